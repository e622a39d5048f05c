"""Citizen forms (crispy-rendered; every input labelled, errors tied to fields)."""

from crispy_forms.bootstrap import StrictButton
from crispy_forms.helper import FormHelper
from crispy_forms.layout import Layout
from django import forms
from django.utils.translation import gettext_lazy as _

from portal.models.registry import PlateType
from violations.models import Binding


class CodeForm(forms.Form):
    code = forms.RegexField(
        label=_("SMS code"), regex=r"^\d{6}$", error_messages={"invalid": _("The code has 6 digits.")}
    )


class BindingRequestForm(forms.Form):
    plate_type = forms.ChoiceField(label=_("Plate type"), choices=PlateType.choices, initial=PlateType.SMALL)
    plate_number = forms.CharField(label=_("Plate number"), max_length=10)
    engine_last6 = forms.RegexField(
        label=_("Last 6 characters of the engine number"),
        regex=r"^[0-9A-Za-z]{6}$",
        error_messages={"invalid": _("Enter the last 6 letters or digits of the engine number.")},
    )
    relationship = forms.ChoiceField(label=_("Your relationship to the owner"), choices=Binding.Relationship.choices)

    def clean_plate_number(self):
        return self.cleaned_data["plate_number"].strip().upper()


class MultiFileInput(forms.ClearableFileInput):
    allow_multiple_selected = True


class MultiFileField(forms.FileField):
    def clean(self, data, initial=None):
        files = data if isinstance(data, list | tuple) else ([data] if data else [])
        return [super(MultiFileField, self).clean(f, initial) for f in files]


class ObjectionForm(forms.Form):
    reason = forms.CharField(
        label=_("Why the record is wrong"), max_length=2000, widget=forms.Textarea(attrs={"rows": 4})
    )
    photos = MultiFileField(
        label=_("Photos (JPEG or PNG, at most 3, each at most 2 MB)"),
        required=False,
        widget=MultiFileInput(attrs={"accept": "image/jpeg,image/png"}),
    )


class StudyTestForm(forms.Form):
    """The study test (docs/rules.md, R-PTS art 25): one radio group per question, fields named
    q_<question id> as points.study_submit reads them; an unanswered question counts as wrong."""

    def __init__(self, *args, questions, **kwargs):
        super().__init__(*args, **kwargs)
        for n, question in enumerate(questions, start=1):
            options = [("A", question.option_a), ("B", question.option_b)]
            options += [(key, text) for key, text in (("C", question.option_c), ("D", question.option_d)) if text]
            self.fields[f"q_{question.pk}"] = forms.ChoiceField(
                label=f"{n}. {question.text}",
                choices=[(key, f"{key}. {text}") for key, text in options],
                widget=forms.RadioSelect,
                required=False,
            )
        self.helper = FormHelper()
        self.helper.layout = Layout(
            *self.fields,
            StrictButton(_("Submit the test"), type="submit", name="submit", value="1", css_class="btn-primary"),
        )
