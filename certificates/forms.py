"""Forms only validate and normalise; the views call certificates.services."""

import functools
from decimal import Decimal

from django import forms
from django.core.exceptions import ValidationError
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from certificates import rules
from certificates.models import Application, Item, MedicalCertificate
from portal import identity

# R-DL art 14: the driving-licence classes a medical conclusion lists.
LICENCE_CLASSES = ["A1", "A2", "A3", "B1", "B2", "C1", "C2", "C3", "C4", "C5", "C6", "D", "E", "F", "M", "N", "P"]


class ApplyForm(forms.Form):
    """The application form of one item: build it with apply_form(item)."""

    kind = forms.ChoiceField(label=_("Reason"), widget=forms.RadioSelect)
    reason_text = forms.CharField(label=_("Details (how it was lost or damaged)"), max_length=200, required=False)
    temporary_plate_days = forms.IntegerField(
        label=_("Temporary plate while the new plates are made (days, 0 for none)"),
        min_value=0,
        max_value=rules.TEMPORARY_PLATE_MAX_DAYS,
        initial=0,
        required=False,
    )
    delivery = forms.ChoiceField(
        label=_("Delivery"), choices=Application.Delivery.choices, widget=forms.RadioSelect, initial="post"
    )
    cash_on_delivery = forms.BooleanField(label=_("Pay fees and postage in cash to the courier"), required=False)
    recipient_name = forms.CharField(label=_("Recipient"), max_length=64, required=False)
    recipient_phone = forms.CharField(label=_("Recipient's mobile"), max_length=20, required=False)
    address = forms.CharField(label=_("Postal address"), max_length=300, required=False)
    postcode = forms.RegexField(
        label=_("Postcode"), regex=r"^\d{6}$", required=False, error_messages={"invalid": _("A postcode has 6 digits.")}
    )
    code = forms.RegexField(
        label=_("SMS code"),
        regex=r"^\d{6}$",
        error_messages={"invalid": _("The code has 6 digits.")},
        help_text=_("Nothing can be changed once the application is submitted."),
    )
    item = None

    def clean(self):
        data = super().clean()
        if data.get("delivery") == Application.Delivery.POST:
            for name in ("recipient_name", "address"):
                if not (data.get(name) or "").strip():
                    self.add_error(name, _("Needed for delivery by post."))
            phone = data.get("recipient_phone") or ""
            try:
                data["recipient_phone"] = identity.validate_mobile(phone)
            except ValidationError as exc:
                self.add_error("recipient_phone", exc.messages[0])
        data["temporary_plate_days"] = data.get("temporary_plate_days") or 0
        return data


@functools.cache
def apply_form(item) -> type[ApplyForm]:
    """ApplyForm for one item: its reasons as the `kind` choices, and the temporary plate only for
    plates. A class per item, made once per process: every form instance deep-copies its class's
    fields, so the choices and the field list are set here rather than on each instance (a
    submission builds one form)."""
    from certificates.services import KINDS

    attrs = {
        "item": item,
        "kind": forms.ChoiceField(
            label=_("Reason"),
            widget=forms.RadioSelect,
            choices=[(k.value, k.label) for k in KINDS[item]],
            initial=KINDS[item][0].value,
        ),
    }
    if item != Item.PLATES:
        attrs["temporary_plate_days"] = None  # removes the inherited field
    return type(f"ApplyForm_{item}", (ApplyForm,), attrs)


class _MedicalFields(forms.Form):
    exam_date = forms.DateField(label=_("Exam date"), widget=forms.DateInput(attrs={"type": "date"}))
    height_cm = forms.IntegerField(label=_("Height (cm)"), min_value=50, max_value=250)
    vision_left = forms.DecimalField(
        label=_("Vision, left eye (5-point scale)"),
        min_value=Decimal("3.0"),
        max_value=Decimal("5.3"),
        decimal_places=1,
    )
    vision_right = forms.DecimalField(
        label=_("Vision, right eye (5-point scale)"),
        min_value=Decimal("3.0"),
        max_value=Decimal("5.3"),
        decimal_places=1,
    )
    vision_corrected = forms.BooleanField(label=_("Measured with glasses or contact lenses"), required=False)
    colour_vision = forms.ChoiceField(label=_("Colour vision"), choices=MedicalCertificate.Colour.choices)
    hearing_ok = forms.BooleanField(label=_("Hearing: tells a whisper at 5 m with both ears"), required=False)
    limbs_ok = forms.BooleanField(label=_("Upper and lower limbs sound"), required=False)
    trunk_neck_ok = forms.BooleanField(label=_("Trunk and neck move freely"), required=False)
    conclusion = forms.ChoiceField(label=_("Conclusion"), choices=MedicalCertificate.Conclusion.choices)
    classes_fit = forms.MultipleChoiceField(
        label=_("Classes fit for"),
        choices=[(c, c) for c in LICENCE_CLASSES],
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )
    doctor_name = forms.CharField(label=_("Examining doctor (signature)"), max_length=32)

    def clean_exam_date(self):
        day = self.cleaned_data["exam_date"]
        if day > timezone.localdate():
            raise ValidationError(_("The exam date cannot be in the future."))
        return day

    def clean(self):
        data = super().clean()
        if data.get("conclusion") == MedicalCertificate.Conclusion.FIT and not data.get("classes_fit"):
            self.add_error("classes_fit", _("List the licence classes the person is fit for."))
        return data


class MedicalForm(_MedicalFields):
    id_number = forms.CharField(label=_("ID number of the person examined"), max_length=20)
    name = forms.CharField(label=_("Name of the person examined"), max_length=32)

    field_order = ["id_number", "name"]

    def clean_id_number(self):
        try:
            return identity.validate_id_number(self.cleaned_data["id_number"])
        except ValidationError as exc:
            raise ValidationError(exc.messages[0]) from None

    def clean_name(self):
        return self.cleaned_data["name"].strip()


class MedicalCorrectionForm(_MedicalFields):
    """A correction keeps the person; everything the doctor found can be corrected."""

    @classmethod
    def initial_from(cls, certificate):
        return {name: getattr(certificate, name) for name in cls.base_fields}


class DeferralForm(forms.Form):
    """Ask to defer renewal, review or medical (docs/rules.md §4.7); the document is checked by
    content (portal.uploads)."""

    licence = forms.TypedChoiceField(label=_("Driving licence"), coerce=int, choices=())
    subject = forms.ChoiceField(label=_("What to defer"), choices=(), widget=forms.RadioSelect)
    reason = forms.ChoiceField(label=_("Reason"), choices=(), widget=forms.RadioSelect)
    until = forms.DateField(
        label=_("Defer until"),
        widget=forms.DateInput(attrs={"type": "date"}),
        help_text=_("At most 3 years: from the expiry for renewal, from today for the review or the medical."),
    )
    details = forms.CharField(label=_("Details (unit, or country and expected return)"), max_length=200, required=False)
    document = forms.FileField(
        label=_("Supporting document (PDF, JPG or PNG, at most 5 MB)"),
        help_text=_("A certificate of service from your unit, or your passport's entry and exit pages or visa."),
    )

    def __init__(self, *args, licences=(), **kwargs):
        from certificates.models import Deferral

        super().__init__(*args, **kwargs)
        self.fields["licence"].choices = [
            (lic.pk, f"{lic.licence_class} · {lic.valid_until or _('long-term')}") for lic in licences
        ]
        self.fields["subject"].choices = Deferral.Subject.choices
        self.fields["reason"].choices = Deferral.Reason.choices

    def clean_document(self):
        from certificates.services.deferrals import DOCUMENT_MAX_BYTES
        from portal.uploads import validate_pdf_or_image_upload

        return validate_pdf_or_image_upload(self.cleaned_data["document"], max_bytes=DOCUMENT_MAX_BYTES)
