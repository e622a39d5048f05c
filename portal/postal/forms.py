"""The sandbox carrier's staff form (crispy-rendered: every input labelled, errors tied to fields)."""

from crispy_forms.bootstrap import StrictButton
from crispy_forms.helper import FormHelper
from crispy_forms.layout import Layout
from django import forms
from django.utils.translation import gettext_lazy as _


class SandboxEventForm(forms.Form):
    """One tracking event of the sandbox carrier; the statuses offered are the shipment's next ones."""

    status = forms.ChoiceField(label=_("Status"))
    location = forms.CharField(label=_("Location"), max_length=100, required=False)

    def __init__(self, *args, choices, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["status"].choices = choices
        self.helper = FormHelper()
        self.helper.form_class = "mb-4"
        self.helper.layout = Layout(
            "status", "location", StrictButton(_("Send tracking event"), type="submit", css_class="btn-primary")
        )
