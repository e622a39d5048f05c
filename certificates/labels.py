"""Address labels of a mail-out as one A4 PDF (2 x 5 labels a page), through portal.pdf in the
clerk's page language."""

from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import pgettext
from reportlab.lib.pagesizes import A4
from reportlab.lib.units import mm

from portal.pdf import Document, wrap

COLUMNS, ROWS = 2, 5


def labels_pdf(rows, office_name: str, language: str | None = None) -> bytes:
    """rows: (application, shipment) pairs. The recipient's phone is printed for the courier;
    no ID number appears on a label."""
    doc = Document(_("Address labels"), pagesize=A4, language=language)
    with doc.translated():
        _draw_labels(doc, rows, office_name)
    return doc.render()


def _draw_labels(doc, rows, office_name):
    width, height = doc.width, doc.height
    pdf = doc.canvas
    label_w, label_h = (width - 20 * mm) / COLUMNS, (height - 20 * mm) / ROWS
    for index, (application, shipment) in enumerate(rows):
        slot = index % (COLUMNS * ROWS)
        if index and slot == 0:
            doc.new_page()
        col, row = slot % COLUMNS, slot // COLUMNS
        x = 10 * mm + col * label_w
        y = height - 10 * mm - (row + 1) * label_h
        pdf.rect(x + 2 * mm, y + 2 * mm, label_w - 4 * mm, label_h - 4 * mm)
        line_y = y + label_h - 10 * mm
        doc.text(x + 6 * mm, line_y, f"EMS {shipment.tracking_number}", 12)
        line_y -= 7 * mm
        doc.text(
            x + 6 * mm,
            line_y,
            f"{doc.label(pgettext('address label', 'To'))} {shipment.recipient_name}  {shipment.recipient_phone}",
            11,
        )
        for part in wrap(shipment.address, 11, label_w - 14 * mm)[:3]:
            line_y -= 6 * mm
            doc.text(x + 6 * mm, line_y, part, 11)
        line_y -= 7 * mm
        doc.text(
            x + 6 * mm,
            line_y,
            f"{pgettext('address label', 'Case')} {application.number} · {shipment.contents[:20]}",
            9,
        )
        line_y -= 5 * mm
        extras = []
        if shipment.cod_amount:
            extras.append(_("COD %(amount)s yuan") % {"amount": shipment.cod_amount})
        if shipment.take_back_old_document:
            extras.append(_("take back the old document"))
        doc.text(x + 6 * mm, line_y, " · ".join(str(e) for e in extras), 9)
        doc.text(x + 6 * mm, y + 5 * mm, f"{doc.label(pgettext('address label', 'From'))} {office_name}", 9)
    if not rows:
        doc.text(20 * mm, height - 30 * mm, _("Nothing was mailed."), 12)
    doc.text(10 * mm, 5 * mm, f"{timezone.localtime():%Y-%m-%d %H:%M}", 7)
