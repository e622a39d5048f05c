import datetime
import re

from django import forms
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

from exams.models import ExamPlan, ExamRequest, ExamResult, ExamSite, LearnerRecord, LicenceClass, Subject
from portal import identity

_SESSION_RE = re.compile(r"^\s*(\d{1,2}:\d{2})\s*-\s*(\d{1,2}:\d{2})\s*$")


class LicenceClassesField(forms.MultipleChoiceField):
    """Licence classes as ticked boxes (stored in an ArrayField), never typed as free text."""

    def __init__(self, **kwargs):
        super().__init__(choices=LicenceClass.choices, widget=forms.CheckboxSelectMultiple, **kwargs)


class BulkPlanForm(forms.Form):
    """A week (or any run of days) of sessions for one site and subject."""

    site = forms.ModelChoiceField(ExamSite.objects.none(), label=_("Site"))
    subject = forms.ChoiceField(choices=Subject.choices, label=_("Subject"))
    classes = forms.MultipleChoiceField(
        choices=LicenceClass.choices, label=_("Licence classes"), widget=forms.CheckboxSelectMultiple
    )
    first_date = forms.DateField(label=_("First day"), widget=forms.DateInput(attrs={"type": "date"}))
    days = forms.IntegerField(label=_("Number of days"), min_value=1, max_value=31, initial=7)
    sessions = forms.CharField(
        label=_("Sessions"),
        widget=forms.Textarea(attrs={"rows": 3}),
        initial="08:30-11:30\n13:30-16:30",
        help_text=_("One session per line, e.g. 08:30-11:30"),
    )
    capacity = forms.IntegerField(label=_("Seats per session"), min_value=1)
    working_days_only = forms.BooleanField(label=_("Working days only"), required=False, initial=True)
    publish = forms.BooleanField(label=_("Publish at once"), required=False)

    def __init__(self, *args, city=None, **kwargs):
        super().__init__(*args, **kwargs)
        sites = ExamSite.objects.filter(is_active=True)
        self.fields["site"].queryset = sites.filter(city=city) if city else sites

    def clean_sessions(self):
        sessions = []
        for line in filter(str.strip, self.cleaned_data["sessions"].splitlines()):
            match = _SESSION_RE.match(line)
            try:
                if not match:
                    raise ValueError(line)
                start, end = (datetime.time.fromisoformat(t.zfill(5)) for t in match.groups())
            except ValueError:
                raise ValidationError(
                    _("Write each session as HH:MM-HH:MM (e.g. 08:30-11:30): %(line)s") % {"line": line}
                ) from None
            sessions.append((start, end))
        if not sessions:
            raise ValidationError(_("Enter at least one session."))
        return sessions


class CsvImportForm(forms.Form):
    file = forms.FileField(label=_("CSV file (UTF-8)"))

    def clean_file(self):
        data = self.cleaned_data["file"].read()
        try:
            return data.decode("utf-8-sig")
        except UnicodeDecodeError:
            raise ValidationError(_("The file must be UTF-8 text.")) from None


class ClerkBookingForm(forms.Form):
    """A clerk requests a seat for a candidate by telephone or at the counter."""

    id_number = forms.CharField(label=_("Candidate's ID number"), max_length=18)
    plan = forms.ModelChoiceField(ExamPlan.objects.none(), label=_("Exam plan"))
    channel = forms.ChoiceField(
        choices=[
            (ExamRequest.Channel.PHONE, ExamRequest.Channel.PHONE.label),
            (ExamRequest.Channel.COUNTER, ExamRequest.Channel.COUNTER.label),
        ],
        label=_("Channel"),
    )

    def __init__(self, *args, plans=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["plan"].queryset = plans if plans is not None else ExamPlan.objects.none()

    def clean_id_number(self):
        return identity.validate_id_number(self.cleaned_data["id_number"])


class LearnerRecordForm(forms.ModelForm):
    class Meta:
        model = LearnerRecord
        fields = [
            "city",
            "id_number",
            "name",
            "licence_class",
            "application_accepted_at",
            "holds_car_licence",
            "school",
        ]

    def clean_id_number(self):
        return identity.validate_id_number(self.cleaned_data["id_number"])


class ResultRowForm(forms.Form):
    outcome = forms.ChoiceField(choices=[("", "—"), *ExamResult.Outcome.choices], required=False, label=_("Outcome"))
    score = forms.IntegerField(min_value=0, max_value=100, required=False, label=_("Score"))
    retake_score = forms.IntegerField(min_value=0, max_value=100, required=False, label=_("Retake score"))
