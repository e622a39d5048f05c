"""The printable selection voucher (预选号凭证): an A5 PDF through portal.pdf, in the page's language."""

from django.utils.translation import gettext as _
from reportlab.lib.pagesizes import A5
from reportlab.lib.units import mm

from portal.pdf import Document


def render_pdf(hold, user, language: str | None = None) -> bytes:
    from plates import services

    doc = Document(_("Plate-number preselection voucher"), pagesize=A5, language=language)
    with doc.translated():
        doc.title(_("Plate-number preselection voucher"))
        doc.big(hold.number.number)
        vehicle = hold.vehicle
        doc.rows(
            [
                (_("Plate type"), hold.number.get_plate_type_display()),
                (_("Vehicle"), f"{vehicle.brand} {vehicle.model_name}"),
                (_("VIN"), vehicle.vin),
                (_("Owner"), f"{vehicle.owner_name} {hold.masked_holder_id}"),
                (_("Selected on"), hold.selected_on.isoformat()),
                (_("Register by the end of"), services.deadline_day(hold).isoformat()),
                (_("Status"), hold.get_status_display()),
                (_("Voucher number"), f"{hold.city.division_code}-{hold.pk:08d}"),
            ],
            label_width=37 * mm,
        )
        doc.paragraph(
            _("Bring this voucher, the vehicle and its documents to the vehicle office before the deadline."), size=9
        )
    return doc.render()
