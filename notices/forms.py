from django import forms
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy


class QuestionForm(forms.Form):
    subject = forms.CharField(label=pgettext_lazy("question", "Subject"), max_length=100, min_length=4)
    body = forms.CharField(
        label=_("Your question"),
        min_length=10,
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 6}),
        help_text=_("Do not write your ID number or mobile number: answers are published."),
    )


class ReceiptForm(forms.Form):
    message_id = forms.CharField(max_length=64)
    status = forms.ChoiceField(choices=[("delivered", "delivered"), ("failed", "failed")])
    # Seconds since 1970; bounded so that a signed 1e309 is a bad request, not an overflow.
    ts = forms.IntegerField(min_value=0, max_value=2**40)
    sig = forms.CharField(max_length=128)


class PreferencesForm(forms.Form):
    """One SMS and one push checkbox per notice kind, named sms:<kind> / push:<kind> as the view reads
    them; each labelled with its kind and channel. Legal notices are shown ticked and disabled."""

    def __init__(self, *args, rows, **kwargs):
        super().__init__(*args, **kwargs)
        for row in rows:
            kind = row["kind"]
            for channel, offered, label in (("sms", kind.sms, _("SMS")), ("push", kind.push, _("App push"))):
                if offered:
                    self.fields[f"{channel}:{kind.code}"] = forms.BooleanField(
                        label=f"{row['label']} · {label}",
                        required=False,
                        initial=row[channel],
                        disabled=kind.mandatory,
                    )

    def row_fields(self, rows):
        """(row, its SMS bound field or None, its push bound field or None) for the table."""
        return [
            (
                row,
                self[name] if (name := f"sms:{row['kind'].code}") in self.fields else None,
                self[name] if (name := f"push:{row['kind'].code}") in self.fields else None,
            )
            for row in rows
        ]


class TravelSubscriptionForm(forms.Form):
    """Follow one road or one district (docs/rules.md §6.3)."""

    road = forms.CharField(label=_("Road"), max_length=64, required=False)
    district = forms.CharField(label=_("District or area"), max_length=32, required=False)

    def clean(self):
        cleaned = super().clean()
        if bool((cleaned.get("road") or "").strip()) == bool((cleaned.get("district") or "").strip()):
            raise forms.ValidationError(_("Give either a road or a district, not both."))
        return cleaned


class TravelFilterForm(forms.Form):
    """The travel page's district filter (a GET form)."""

    district = forms.ChoiceField(label=_("District or area"), required=False)

    def __init__(self, *args, districts=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["district"].choices = [("", _("All")), *((d, d) for d in districts)]
