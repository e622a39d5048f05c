"""Forms only validate and normalise; the views call plates.services."""

from django import forms
from django.utils.translation import gettext_lazy as _

from plates import ga36
from portal.uploads import validate_pdf_or_image_upload


class StartForm(forms.Form):
    accept = forms.BooleanField(
        label=_("I have read the preselection notice and accept it"),
        error_messages={"required": _("Please read and accept the notice first.")},
    )
    vin = forms.CharField(label=_("VIN (vehicle identification number)"), min_length=17, max_length=17)
    cert_number = forms.CharField(label=_("Conformity certificate number"), max_length=32)

    def clean_vin(self):
        vin = self.cleaned_data["vin"].strip().upper()
        if not vin.isalnum():
            raise forms.ValidationError(_("A VIN has 17 letters and digits."))
        return vin

    def clean_cert_number(self):
        return self.cleaned_data["cert_number"].strip().upper()


class CodeForm(forms.Form):
    code = forms.RegexField(
        label=_("SMS code"), regex=r"^\d{6}$", error_messages={"invalid": _("The code has 6 digits.")}
    )


class DrawForm(forms.Form):
    avoid_four = forms.BooleanField(label=_("No digit 4"), required=False)


# A row id the database can hold (bigint): a larger number is a form error, not a database error.
ROW_ID = {"min_value": 1, "max_value": 2**63 - 1}


class BackupForm(forms.Form):
    batch = forms.IntegerField(widget=forms.HiddenInput, **ROW_ID)
    number = forms.CharField(max_length=10, widget=forms.HiddenInput)


class AbandonForm(forms.Form):
    """The box a holder ticks to give a held number up; the view checks confirm == "yes"."""

    confirm = forms.BooleanField(widget=forms.CheckboxInput(attrs={"value": "yes"}))

    def __init__(self, *args, ban_years, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["confirm"].label = _(
            "I give this number up and accept that I may not preselect online for %(ban_years)s years."
        ) % {"ban_years": ban_years}


class PickerField(forms.ChoiceField):
    """One position of the picker: the characters still available there.

    The compose form holds up to 30 of these; Django would normalise every choice list on
    construction and scan it on validation. Here the list is built only when the page renders
    it, and a typed value is checked against the characters directly.
    """

    def __init__(self, chars: str, **kwargs):
        self.chars = chars
        super().__init__(choices=lambda: [("", "–")] + [(c, c) for c in chars], **kwargs)

    def valid_value(self, value):
        return len(value) == 1 and value in self.chars


class ComposeForm(forms.Form):
    """Up to N candidates in priority order; each position is a picker of the characters still
    available at that position in the city's open pool (no free text)."""

    def __init__(self, *args, prefixes, positions, candidates, **kwargs):
        super().__init__(*args, **kwargs)
        self.candidate_count = candidates
        self.length = len(positions)
        for i in range(candidates):
            self.fields[f"c{i}_prefix"] = forms.ChoiceField(
                choices=[(p, p) for p in prefixes], initial=prefixes[0], required=False, label=""
            )
            for p, chars in enumerate(positions):
                self.fields[f"c{i}_{p}"] = PickerField(chars, required=False, label="")

    def rows(self):
        return [
            (i + 1, self[f"c{i}_prefix"], [self[f"c{i}_{p}"] for p in range(self.length)])
            for i in range(self.candidate_count)
        ]

    def clean(self):
        data = super().clean()
        candidates = []
        for i in range(self.candidate_count):
            chars = [data.get(f"c{i}_{p}") or "" for p in range(self.length)]
            if not any(chars):
                continue
            if not all(chars):
                raise forms.ValidationError(
                    _("Candidate %(n)d is incomplete: choose a character at every position.") % {"n": i + 1}
                )
            candidates.append((data.get(f"c{i}_prefix") or "") + "".join(chars))
        if not candidates:
            raise forms.ValidationError(_("Compose at least one number."))
        data["candidates"] = candidates
        return data


class PickForm(forms.Form):
    """One number picked from the search results: a self-composed round with one candidate."""

    number = forms.CharField(max_length=10)


class FindForm(forms.Form):
    MODES = [("contains", _("contains")), ("ends", _("ends with"))]

    mode = forms.ChoiceField(label=_("Match"), choices=MODES, initial="contains")
    text = forms.CharField(label=_("Characters"), max_length=5, required=False)
    avoid_four = forms.BooleanField(label=_("No digit 4"), required=False)

    def clean_text(self):
        text = self.cleaned_data["text"].strip().upper()
        if any(c not in ga36.ALPHABET for c in text):
            raise forms.ValidationError(_("Use digits and letters only (plates have no I or O)."))
        return text


class ConfirmForm(forms.Form):
    number_id = forms.IntegerField(widget=forms.HiddenInput, **ROW_ID)
    code = forms.CharField(label=_("SMS code"), max_length=6, required=False)


class InvoiceForm(forms.Form):
    invoice = forms.FileField(label=_("Purchase invoice (PDF or image, at most 5 MB)"))

    def clean_invoice(self):
        # By content and size (portal.uploads), not by the name the browser sent.
        return validate_pdf_or_image_upload(self.cleaned_data["invoice"], max_bytes=5 * 1024 * 1024)
