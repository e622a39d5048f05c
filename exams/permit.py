"""The electronic learner permit (学习驾驶证明) as a printable PDF (R-DL art 40), through portal.pdf
in the page's language."""

from django.utils.translation import gettext as _
from reportlab.lib.pagesizes import A5, landscape
from reportlab.lib.units import mm

from portal.pdf import Document


def render(record, language: str | None = None) -> bytes:
    doc = Document(_("Learner driving permit"), pagesize=landscape(A5), margin=22 * mm, language=language)
    with doc.translated():
        doc.title(_("Motor-vehicle learner driving permit"), size=20, leading=12 * mm)
        doc.rows(
            [
                (_("Permit number"), record.permit_number),
                (_("Name"), record.name),
                (_("ID number"), record.masked_id_number),
                (_("Licence class"), record.licence_class),
                (
                    _("Issuing authority"),
                    _("Vehicle Administration Office, Traffic Police Detachment of the %(city)s Public Security Bureau")
                    % {"city": record.city.name},
                ),
                (_("Issued on"), record.permit_issued_on.isoformat()),
                (_("Valid until"), record.permit_valid_until.isoformat()),
            ],
            size=12,
            label_width=42 * mm,
        )
        doc.paragraph(
            _(
                "Within its validity this permit allows learning to drive on the road; subjects 2 and 3 must be "
                "passed before it expires."
            ),
            size=9,
        )
    return doc.render()
