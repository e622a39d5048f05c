"""Citizen forms of accident quick settlement (docs/rules.md §5.7)."""

from django import forms
from django.conf import settings
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from portal import identity
from portal.uploads import validate_image_upload
from violations.forms import MultiFileField, MultiFileInput
from violations.models_accident import Responsibility, Situation, Weather

YES_NO = [("yes", _("Yes")), ("no", _("No"))]
MAX_PHOTOS_PER_KIND = 3
PHOTO_MAX_BYTES = getattr(settings, "ACCIDENT_PHOTO_MAX_BYTES", 5 * 1024 * 1024)


def _photos(files) -> list[tuple[bytes, str]]:
    if len(files) > MAX_PHOTOS_PER_KIND:
        raise forms.ValidationError(_("At most %(n)s photos here.") % {"n": MAX_PHOTOS_PER_KIND})
    checked = []
    for upload in files:
        validate_image_upload(upload, PHOTO_MAX_BYTES)
        data = upload.read()
        upload.seek(0)
        content_type = "image/png" if upload.name.endswith(".png") else "image/jpeg"
        checked.append((data, content_type))
    return checked


def _photo_field(label):
    return MultiFileField(
        label=label,
        help_text=_("JPEG or PNG, at most 3, each at most 5 MB."),
        widget=MultiFileInput(attrs={"accept": "image/jpeg,image/png"}),
    )


class AccidentStartForm(forms.Form):
    no_injury = forms.ChoiceField(
        label=_("Is everybody unhurt (no injury at all)?"), choices=YES_NO, widget=forms.RadioSelect
    )
    drivable = forms.ChoiceField(
        label=_("Can both vehicles still be driven?"), choices=YES_NO, widget=forms.RadioSelect
    )
    vehicle = forms.ChoiceField(label=_("Your vehicle"))
    occurred_at = forms.DateTimeField(
        label=_("Time of the accident"),
        widget=forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M"),
        input_formats=["%Y-%m-%dT%H:%M", "%Y-%m-%d %H:%M"],
    )
    place = forms.CharField(label=_("Place (road and nearest landmark)"), max_length=200)
    weather = forms.ChoiceField(label=_("Weather"), choices=Weather.choices)
    own_damage = forms.CharField(label=_("Where your vehicle was hit (e.g. rear bumper)"), max_length=100)
    other_plate = forms.CharField(label=_("The other vehicle's plate number"), max_length=10)
    other_licence_number = forms.CharField(
        label=_("The other driver's licence number (on the driving licence; the ID number)"), max_length=18
    )
    other_damage = forms.CharField(label=_("Where the other vehicle was hit"), max_length=100)
    photo_scene = _photo_field(_("Photos of the scene (both vehicles and their positions)"))
    photo_damage_a = _photo_field(_("Photos of your vehicle's damage"))
    photo_damage_b = _photo_field(_("Photos of the other vehicle's damage"))

    def __init__(self, *args, vehicles=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.vehicles = {str(v.pk): v for v in vehicles}
        self.fields["vehicle"].choices = [(str(v.pk), v.plate_number) for v in vehicles]

    def clean_vehicle(self):
        return self.vehicles[self.cleaned_data["vehicle"]]

    def clean_occurred_at(self):
        value = self.cleaned_data["occurred_at"]
        if value > timezone.now():
            raise forms.ValidationError(_("The time of the accident is in the future."))
        return value

    def clean_other_plate(self):
        value = identity.nfkc(self.cleaned_data["other_plate"]).strip().upper().replace(" ", "")
        if not 7 <= len(value) <= 8 or not value[0].isalpha() or value[0].isascii():
            raise forms.ValidationError(_("Enter a plate number such as 苏H12345."))
        return value

    def clean_other_licence_number(self):
        return identity.validate_id_number(self.cleaned_data["other_licence_number"])

    def _clean_photos(self, name):
        files = self.cleaned_data.get(name) or []
        if not files:
            raise forms.ValidationError(_("Add at least one photo."))
        return _photos(files)

    def clean_photo_scene(self):
        return self._clean_photos("photo_scene")

    def clean_photo_damage_a(self):
        return self._clean_photos("photo_damage_a")

    def clean_photo_damage_b(self):
        return self._clean_photos("photo_damage_b")


class JoinCodeForm(forms.Form):
    join_code = forms.CharField(label=_("Case code (8 characters, from the other driver)"), max_length=16)


class ProposeForm(forms.Form):
    situation = forms.ChoiceField(label=_("What happened"), choices=Situation.choices, widget=forms.RadioSelect)
    fault_role = forms.ChoiceField(
        label=_("Which vehicle did it"),
        choices=[("A", _("party A's vehicle")), ("B", _("party B's vehicle"))],
        widget=forms.RadioSelect,
        required=False,
        help_text=_("Not needed when both changed lanes at once."),
    )


class DecideForm(forms.Form):
    situation = forms.ChoiceField(label=_("Situation"), choices=[("", "---"), *Situation.choices], required=False)
    a_responsibility = forms.ChoiceField(label=_("Party A's responsibility"), choices=Responsibility.choices)
    b_responsibility = forms.ChoiceField(label=_("Party B's responsibility"), choices=Responsibility.choices)
    note = forms.CharField(label=_("Facts and reasons"), max_length=500, widget=forms.Textarea(attrs={"rows": 3}))
