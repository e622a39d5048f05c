"""Citizen accounts: registration, password reset by SMS, and the failed-login throttle.

Views and forms call these; nothing else writes a citizen account.
"""

from django.conf import settings
from django.db import IntegrityError, transaction
from django.utils.translation import gettext as _
from django_ratelimit.core import get_usage

from portal import identity, verification
from portal.models import User

PURPOSE_REGISTER = "register"
PURPOSE_RESET = "password_reset"

# Failed logins allowed before the form refuses to try again (django-ratelimit windows).
LOGIN_FAILURES_PER_ACCOUNT = getattr(settings, "LOGIN_FAILURES_PER_ACCOUNT", "5/15m")
LOGIN_FAILURES_PER_IP = getattr(settings, "LOGIN_FAILURES_PER_IP", "30/h")


class AccountError(Exception):
    """A user-facing reason why an account step was refused."""

    def __init__(self, message, field=None):
        super().__init__(message)
        self.message = message
        self.field = field


def client_ip(request) -> str | None:
    """The visitor's address: the proxy's header when configured, else the socket peer."""
    header = settings.CLIENT_IP_HEADER
    if header:
        value = request.META.get(header, "")
        if value:
            return value.split(",")[0].strip()
    return request.META.get("REMOTE_ADDR") or None


def duplicate_message(field: str) -> str:
    # Says only that an account exists, never whose or with which mobile.
    if field == "id_number":
        return _(
            "An account already exists for this ID number. Log in, or reset your password by SMS. "
            "If you did not register it, please contact the vehicle administration office."
        )
    return _("This mobile number is already used by an account. Log in, or reset your password by SMS.")


def send_registration_code(mobile: str, ip: str | None) -> None:
    """Send a registration code unless the mobile already belongs to an account."""
    mobile = identity.normalize_mobile(mobile)
    if User.objects.filter(mobile=mobile).exists():
        raise AccountError(duplicate_message("mobile"), field="mobile")
    try:
        verification.send_code(mobile, PURPOSE_REGISTER, ip)
    except verification.VerificationError as exc:
        raise AccountError(str(exc), field="code") from None


def register_citizen(*, real_name: str, id_number: str, mobile: str, password: str, code: str) -> User:
    """Create a citizen account.

    Steps: refuse a taken ID number or mobile; accept the SMS code (its own transaction, so a
    wrong try counts even though registration fails); create the user. A concurrent duplicate
    that slips past the first check hits the unique constraints and gets the same message.
    """
    id_number = identity.id_key(id_number)
    mobile = identity.normalize_mobile(mobile)
    if User.objects.filter(id_number=id_number).exists():
        raise AccountError(duplicate_message("id_number"), field="id_number")
    if User.objects.filter(mobile=mobile).exists():
        raise AccountError(duplicate_message("mobile"), field="mobile")
    try:
        verification.check_code(mobile, PURPOSE_REGISTER, code)
    except verification.VerificationError as exc:
        raise AccountError(str(exc), field="code") from None
    try:
        with transaction.atomic():
            return User.objects.create_user(id_number, mobile, real_name.strip(), password, role=User.Role.CITIZEN)
    except IntegrityError:
        field = "id_number" if User.objects.filter(id_number=id_number).exists() else "mobile"
        raise AccountError(duplicate_message(field), field=field) from None


def send_reset_code(mobile: str, ip: str | None) -> None:
    """Send a password-reset code when the mobile belongs to an account.

    For an unknown mobile nothing is sent and no error is raised: the page says the same in
    both cases so that it cannot be used to find out who has an account.
    """
    mobile = identity.normalize_mobile(mobile)
    if not User.objects.filter(mobile=mobile, is_active=True).exists():
        return
    try:
        verification.send_code(mobile, PURPOSE_RESET, ip)
    except verification.VerificationError as exc:
        raise AccountError(str(exc), field="code") from None


def reset_password(*, mobile: str, code: str, password: str) -> User:
    """Set a new password after the reset code is accepted. Steps: accept the code; save the hash."""
    mobile = identity.normalize_mobile(mobile)
    try:
        verification.check_code(mobile, PURPOSE_RESET, code)
    except verification.VerificationError as exc:
        raise AccountError(str(exc), field="code") from None
    with transaction.atomic():
        user = User.objects.select_for_update().filter(mobile=mobile, is_active=True).first()
        if user is None:
            # Only reachable if the account was deactivated in between.
            raise AccountError(_("The code has expired or was never sent. Ask for a new code."), field="code")
        user.set_password(password)
        user.save(update_fields=["password"])
    return user


# --- Failed-login throttle ------------------------------------------------------------------


def _login_key(login: str) -> str:
    """One key per account whichever identifier is typed; unknown logins are counted by value."""
    login = (login or "").strip()
    if not login:
        return ""
    if len(login) == 18:
        value, user = identity.id_key(login), User.objects.filter(id_number=identity.id_key(login)).first()
    else:
        value = identity.normalize_mobile(login)
        user = User.objects.filter(mobile=value).first()
    # The password hash is part of the key, so a password reset by SMS lifts the lock at once.
    return f"user:{user.pk}:{user.password[-16:]}" if user else f"login:{value}"


def _usages(request, login: str, increment: bool):
    ip = client_ip(request) or "unknown"
    account = _login_key(login)
    yield get_usage(request, group="login-ip", key=lambda g, r: ip, rate=LOGIN_FAILURES_PER_IP, increment=increment)
    if account:
        # django-ratelimit hashes the key into the cache key: no ID number or mobile in Redis.
        yield get_usage(
            request,
            group="login-account",
            key=lambda g, r: account,
            rate=LOGIN_FAILURES_PER_ACCOUNT,
            increment=increment,
        )


def login_blocked(request, login: str) -> int | None:
    """Minutes to wait when the IP or the account has used up its failed logins, else None."""
    for usage in _usages(request, login, increment=False):
        if usage and usage["count"] >= usage["limit"]:
            return max(1, (usage["time_left"] + 59) // 60)
    return None


def record_login_failure(request, login: str) -> None:
    for _usage in _usages(request, login, increment=True):
        pass
