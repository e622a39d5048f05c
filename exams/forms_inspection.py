"""Forms of inspection booking: the citizen's slot search, the clerks' slot generation and result."""

import datetime

from django import forms
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

from exams.models import InspectionStation
from portal.models import Vehicle


class SlotSearchForm(forms.Form):
    """GET form on the vehicle and booking pages: which station, from which day."""

    station = forms.ModelChoiceField(
        InspectionStation.objects.none(), label=_("Station"), required=False, empty_label=_("any station")
    )
    first = forms.DateField(label=_("From"), required=False, widget=forms.DateInput(attrs={"type": "date"}))

    def __init__(self, *args, city=None, kind=None, **kwargs):
        super().__init__(*args, **kwargs)
        qs = InspectionStation.objects.filter(city=city, is_active=True)
        if kind:
            qs = qs.filter(vehicle_kinds__contains=[kind])
        self.fields["station"].queryset = qs

    def clean_first(self):
        first = self.cleaned_data.get("first")
        if first and not datetime.date(2000, 1, 1) <= first <= datetime.date(2100, 1, 1):
            raise ValidationError(_("Enter a date in the coming weeks."))
        return first


class StationForm(forms.ModelForm):
    vehicle_kinds = forms.MultipleChoiceField(
        choices=Vehicle.Kind.choices, widget=forms.CheckboxSelectMultiple, label=_("vehicle kinds tested")
    )

    class Meta:
        model = InspectionStation
        fields = [
            "city",
            "name",
            "address",
            "phone",
            "lanes",
            "vehicle_kinds",
            "opens_at",
            "closes_at",
            "break_from",
            "break_until",
            "slot_minutes",
            "slot_capacity",
            "is_active",
        ]

    def clean(self):
        data = super().clean()
        opens, closes = data.get("opens_at"), data.get("closes_at")
        if opens and closes and closes <= opens:
            raise ValidationError(_("The station must close after it opens."))
        start, end = data.get("break_from"), data.get("break_until")
        if (start is None) != (end is None):
            raise ValidationError(_("Give both ends of the midday break, or neither."))
        if start and end and end <= start:
            raise ValidationError(_("The break must end after it starts."))
        minutes = data.get("slot_minutes")
        if minutes is not None and minutes < 10:
            self.add_error("slot_minutes", _("A slot lasts at least 10 minutes."))
        return data


class GenerateSlotsForm(forms.Form):
    first = forms.DateField(label=_("First day"), widget=forms.DateInput(attrs={"type": "date"}))
    last = forms.DateField(label=_("Last day"), widget=forms.DateInput(attrs={"type": "date"}))
    working_days_only = forms.BooleanField(label=_("Working days only"), required=False, initial=True)

    def clean(self):
        data = super().clean()
        first, last = data.get("first"), data.get("last")
        if first and last and last < first:
            raise ValidationError(_("The last day is before the first day."))
        return data


class ResultForm(forms.Form):
    outcome = forms.ChoiceField(
        choices=[("pass", _("passed")), ("fail", _("failed")), ("no_show", _("did not come"))], label=_("Outcome")
    )
    note = forms.CharField(label=_("Note (defects found)"), max_length=200, required=False)
