from django import forms
from django.contrib.auth import password_validation
from django.contrib.auth.forms import AuthenticationForm
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

from portal import identity, login_throttle
from portal.models import User


class IdNumberField(forms.CharField):
    def __init__(self, **kwargs):
        kwargs.setdefault("label", _("Resident ID number"))
        kwargs.setdefault("max_length", 18)
        kwargs.setdefault("min_length", 1)
        super().__init__(**kwargs)
        self.widget.attrs.update(autocomplete="off", spellcheck="false", inputmode="text")

    def clean(self, value):
        value = super().clean(value)
        return identity.validate_id_number(value) if value else value


class MobileField(forms.CharField):
    def __init__(self, **kwargs):
        kwargs.setdefault("label", _("Mobile number"))
        kwargs.setdefault("max_length", 20)
        super().__init__(**kwargs)
        self.widget.attrs.update(autocomplete="tel", inputmode="tel")

    def clean(self, value):
        value = super().clean(value)
        return identity.validate_mobile(value) if value else value


class CodeField(forms.CharField):
    def __init__(self, **kwargs):
        kwargs.setdefault("label", _("SMS code"))
        kwargs.setdefault("max_length", 6)
        kwargs.setdefault("min_length", 6)
        kwargs.setdefault("help_text", _("The 6-digit code we sent to your mobile. It is valid for 5 minutes."))
        super().__init__(**kwargs)
        self.widget.attrs.update(autocomplete="one-time-code", inputmode="numeric")


class _NewPasswordMixin:
    """Two password fields checked against settings.AUTH_PASSWORD_VALIDATORS."""

    def _check_passwords(self, cleaned, user):
        p1, p2 = cleaned.get("password1"), cleaned.get("password2")
        if p1 and p2 and p1 != p2:
            self.add_error("password2", _("The two passwords do not match."))
        elif p1:
            try:
                password_validation.validate_password(p1, user)
            except ValidationError as exc:
                self.add_error("password1", exc)


def _password_fields():
    first = forms.CharField(
        label=_("Password"),
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}, render_value=True),
        help_text=_("At least 8 characters, not only digits, not a common password, not like your name or numbers."),
    )
    second = forms.CharField(
        label=_("Password again"),
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}, render_value=True),
    )
    return first, second


class RegistrationForm(_NewPasswordMixin, forms.Form):
    """Real-name registration. Pressing "send code" validates only the mobile (send_code_form)."""

    real_name = forms.CharField(label=_("Real name"), max_length=32, help_text=_("As on your resident ID card."))
    id_number = IdNumberField()
    mobile = MobileField(help_text=_("Codes and official notices are sent to this number."))
    password1, password2 = _password_fields()
    code = CodeField()

    def clean_real_name(self):
        name = " ".join(self.cleaned_data["real_name"].split())
        if len(name) < 2 or any(ch.isdigit() for ch in name):
            raise ValidationError(_("Enter your real name as on your ID card."))
        return name

    def clean(self):
        cleaned = super().clean()
        probe = User(
            real_name=cleaned.get("real_name") or "",
            id_number=cleaned.get("id_number") or "",
            mobile=cleaned.get("mobile") or "",
        )
        self._check_passwords(cleaned, probe)
        return cleaned


class SendCodeForm(forms.Form):
    """The "send code" button of a form: only the mobile is needed for it."""

    mobile = MobileField()


class PasswordResetForm(_NewPasswordMixin, forms.Form):
    mobile = MobileField(help_text=_("The mobile number of your account."))
    code = CodeField()
    password1, password2 = _password_fields()

    def clean(self):
        cleaned = super().clean()
        # Checked against no account: the similarity check would otherwise answer differently
        # for a mobile with an account, before the code proves the mobile (docs/rules.md §1).
        self._check_passwords(cleaned, None)
        return cleaned


class SmsLoginForm(forms.Form):
    """Log in with an SMS code to the account's mobile: always possible, whatever the failed
    password logins (docs/rules.md §1)."""

    mobile = MobileField(help_text=_("The mobile number of your account."))
    code = CodeField()


class IdentityVerifyForm(forms.Form):
    """Verify the account by a code sent to one of the mobiles the registry holds for the person."""

    target = forms.TypedChoiceField(label=_("Mobile number on file"), coerce=int, choices=())
    code = CodeField()

    def __init__(self, *args, mobiles=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["target"].choices = [(i, identity.mask_mobile(m)) for i, m in enumerate(mobiles)]


class LoginForm(AuthenticationForm):
    """Log in with the ID number or the mobile; failed tries are limited per IP and per account."""

    username = forms.CharField(
        label=_("ID number or mobile number"),
        max_length=20,
        widget=forms.TextInput(attrs={"autofocus": True, "autocomplete": "username"}),
    )
    error_messages = {
        **AuthenticationForm.error_messages,
        "invalid_login": _("The ID number / mobile number or the password is wrong."),
        "inactive": _("This account is disabled. Please contact the vehicle administration office."),
        "throttled": _(
            "Too many failed logins for this account from your network. Please wait %(minutes)d minutes, "
            "or log in with an SMS code."
        ),
        "needs_sms": _(
            "For your protection, this login needs an SMS code now: log in with an SMS code sent to your mobile."
        ),
    }

    def clean(self):
        login = self.cleaned_data.get("username") or ""
        if self.request is not None:
            blocked = login_throttle.login_blocked(self.request, login)
            if blocked:
                kind, minutes = blocked
                code = "throttled" if kind == login_throttle.WAIT else "needs_sms"
                raise ValidationError(self.error_messages[code], code=code, params={"minutes": minutes})
        try:
            return super().clean()
        except ValidationError as exc:
            if self.request is not None and getattr(exc, "code", None) == "invalid_login":
                login_throttle.record_login_failure(self.request, login)
            raise


class ContactMobileForm(forms.Form):
    """A new mobile on file, confirmed by codes to the old and to the new number."""

    new_mobile = MobileField(label=_("New mobile number"))
    old_code = CodeField(label=_("Code sent to your current mobile"), help_text="")
    new_code = CodeField(label=_("Code sent to the new mobile"), help_text="")


class ContactAddressForm(forms.Form):
    postal_address = forms.CharField(label=_("Postal address"), max_length=300)
    postcode = forms.CharField(label=_("Postcode"), max_length=6, min_length=6)


class UnitStaffForm(forms.Form):
    """A unit administrator adds a staff login: an existing account's mobile and real name."""

    real_name = forms.CharField(label=_("Real name"), max_length=32)
    mobile = MobileField(help_text=_("The mobile number of the person's portal account."))
    is_admin = forms.BooleanField(label=_("May also manage staff"), required=False)
