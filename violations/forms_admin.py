"""Forms of the clerks' admin pages."""

import datetime

from django import forms
from django.contrib.admin.widgets import AdminSplitDateTime
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from portal.models import Vehicle
from violations.models import Violation, ViolationCode


class ViolationEntryForm(forms.ModelForm):
    """A clerk enters a record by plate number (their city's vehicles only)."""

    plate = forms.CharField(label=_("Plate number"), max_length=10)
    occurred_at = forms.SplitDateTimeField(label=_("Time of the violation"), widget=AdminSplitDateTime)

    class Meta:
        model = Violation
        fields = ["code", "occurred_at", "place", "fine", "source"]

    def __init__(self, *args, city=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.city = city
        # On a record's own page every field is read-only: the form has none of these fields.
        if "code" in self.fields:
            self.fields["code"].queryset = ViolationCode.objects.filter(is_active=True)
        if "fine" in self.fields:
            self.fields["fine"].required = False
            self.fields["fine"].help_text = _("Empty: the code's highest fine.")
        self.order_fields(["plate", "code", "occurred_at", "place", "fine", "source"])

    def clean_plate(self):
        plate = self.cleaned_data["plate"].strip().upper()
        vehicles = Vehicle.objects.filter(plate_number=plate)
        if self.city is not None:
            vehicles = vehicles.filter(city=self.city)
        vehicle = vehicles.first()
        if vehicle is None:
            raise forms.ValidationError(_("No vehicle of this city has this plate number."))
        self.vehicle = vehicle
        return plate

    def clean_occurred_at(self):
        value = self.cleaned_data["occurred_at"]
        if value > timezone.now():
            raise forms.ValidationError(_("The time cannot be in the future."))
        if value < timezone.now() - datetime.timedelta(days=3 * 365):
            raise forms.ValidationError(_("The time is more than three years ago."))
        return value


class ReasonForm(forms.Form):
    reason = forms.CharField(label=_("Reason"), max_length=300, widget=forms.Textarea(attrs={"rows": 3}))


class CsvForm(forms.Form):
    file = forms.FileField(label=_("CSV file (UTF-8)"))

    def clean_file(self):
        upload = self.cleaned_data["file"]
        if upload.size > 5 * 1024 * 1024:
            raise forms.ValidationError(_("The file is larger than 5 MB."))
        return upload
