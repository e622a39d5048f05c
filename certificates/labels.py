"""Address labels of a mail-out as one A4 PDF (2 x 5 labels a page), reportlab's CID font."""

import io

from django.utils import timezone
from django.utils.translation import gettext as _
from reportlab.lib.pagesizes import A4
from reportlab.lib.units import mm
from reportlab.pdfgen import canvas

from portal.pdf import chinese_font

COLUMNS, ROWS = 2, 5


def _wrap(text: str, width: int) -> list[str]:
    return [text[i : i + width] for i in range(0, len(text), width)] or [""]


def labels_pdf(rows, office_name: str) -> bytes:
    """rows: (application, shipment) pairs. The recipient's phone is printed for the courier;
    no ID number appears on a label."""
    font = chinese_font()
    buffer = io.BytesIO()
    width, height = A4
    pdf = canvas.Canvas(buffer, pagesize=A4)
    pdf.setTitle(_("Address labels"))
    label_w, label_h = (width - 20 * mm) / COLUMNS, (height - 20 * mm) / ROWS
    for index, (application, shipment) in enumerate(rows):
        slot = index % (COLUMNS * ROWS)
        if index and slot == 0:
            pdf.showPage()
        col, row = slot % COLUMNS, slot // COLUMNS
        x = 10 * mm + col * label_w
        y = height - 10 * mm - (row + 1) * label_h
        pdf.rect(x + 2 * mm, y + 2 * mm, label_w - 4 * mm, label_h - 4 * mm)
        line_y = y + label_h - 10 * mm
        pdf.setFont(font, 12)
        pdf.drawString(x + 6 * mm, line_y, f"EMS {shipment.tracking_number}")
        line_y -= 7 * mm
        pdf.setFont(font, 11)
        pdf.drawString(x + 6 * mm, line_y, f"{_('To')}: {shipment.recipient_name}  {shipment.recipient_phone}")
        for part in _wrap(shipment.address, 22)[:3]:
            line_y -= 6 * mm
            pdf.drawString(x + 6 * mm, line_y, part)
        pdf.setFont(font, 9)
        line_y -= 7 * mm
        pdf.drawString(x + 6 * mm, line_y, f"{_('Case')} {application.number} · {shipment.contents[:20]}")
        line_y -= 5 * mm
        extras = []
        if shipment.cod_amount:
            extras.append(_("COD %(amount)s yuan") % {"amount": shipment.cod_amount})
        if shipment.take_back_old_document:
            extras.append(_("take back the old document"))
        pdf.drawString(x + 6 * mm, line_y, " · ".join(str(e) for e in extras))
        pdf.drawString(x + 6 * mm, y + 5 * mm, f"{_('From')}: {office_name}")
    if not rows:
        pdf.setFont(font, 12)
        pdf.drawString(20 * mm, height - 30 * mm, _("Nothing was mailed."))
    pdf.setFont(font, 7)
    pdf.drawString(10 * mm, 5 * mm, f"{timezone.localtime():%Y-%m-%d %H:%M}")
    pdf.showPage()
    pdf.save()
    return buffer.getvalue()
