"""The printable selection voucher (预选号凭证): A5 PDF with reportlab's built-in CID font."""

import io

from django.utils.translation import gettext as _
from reportlab.lib.pagesizes import A5
from reportlab.lib.units import mm
from reportlab.lib.utils import simpleSplit
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfgen import canvas

from portal.pdf import chinese_font


def _wrap(text: str, font: str, size: float, max_width: float) -> list[str]:
    """Lines that fit max_width: by words where there are spaces, else by characters (Chinese)."""
    if " " in text:
        return simpleSplit(text, font, size, max_width)
    lines, line = [], ""
    for char in text:
        if pdfmetrics.stringWidth(line + char, font, size) > max_width:
            lines.append(line)
            line = ""
        line += char
    return [*lines, line] if line else lines


def render_pdf(hold, user) -> bytes:
    from plates import services

    font = chinese_font()
    buffer = io.BytesIO()
    pdf = canvas.Canvas(buffer, pagesize=A5)
    width, height = A5
    pdf.setTitle(_("Plate-number preselection voucher"))
    pdf.setFont(font, 16)
    pdf.drawCentredString(width / 2, height - 20 * mm, _("Plate-number preselection voucher"))
    pdf.setFont(font, 30)
    pdf.drawCentredString(width / 2, height - 40 * mm, hold.number.number)
    vehicle = hold.vehicle
    lines = [
        (_("Plate type"), hold.number.get_plate_type_display()),
        (_("Vehicle"), f"{vehicle.brand} {vehicle.model_name}"),
        (_("VIN"), vehicle.vin),
        (_("Owner"), f"{vehicle.owner_name} {hold.masked_holder_id}"),
        (_("Selected on"), hold.selected_on.isoformat()),
        (_("Register by the end of"), services.deadline_day(hold).isoformat()),
        (_("Status"), hold.get_status_display()),
        (_("Voucher number"), f"{hold.city.division_code}-{hold.pk:08d}"),
    ]
    pdf.setFont(font, 11)
    y = height - 58 * mm
    for label, value in lines:
        pdf.drawString(18 * mm, y, f"{label}:")
        pdf.drawString(55 * mm, y, str(value))
        y -= 8 * mm
    pdf.setFont(font, 9)
    note = _("Bring this voucher, the vehicle and its documents to the vehicle office before the deadline.")
    for i, line in enumerate(_wrap(note, font, 9, width - 36 * mm)):
        pdf.drawString(18 * mm, y - (6 + 5 * i) * mm, line)
    pdf.showPage()
    pdf.save()
    return buffer.getvalue()
