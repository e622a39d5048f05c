"""Citizen accounts: registration, password reset and login by SMS, identity verification, and
the clerk's counter actions (docs/rules.md §1).

Views, forms and admin actions call these; nothing else writes a citizen account.
"""

from django.conf import settings
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django_ratelimit.core import get_usage

from portal import identity, registry, verification
from portal.models import IdentityCheck, User
from portal.ratelimits import client_ip

PURPOSE_REGISTER = "register"
PURPOSE_RESET = "password_reset"
PURPOSE_LOGIN = "login"
PURPOSE_IDENTITY = "identity"

# Requests that could tell whether an ID number or mobile has an account: limited per address and
# per target (django-ratelimit, keys hashed with portal.identity.limit_key).
SEND_PER_IP = getattr(settings, "ACCOUNT_SEND_PER_IP", "20/h")
SEND_PER_TARGET = getattr(settings, "ACCOUNT_SEND_PER_TARGET", "10/h")
SUBMIT_PER_IP = getattr(settings, "ACCOUNT_SUBMIT_PER_IP", "30/h")
SUBMIT_PER_TARGET = getattr(settings, "ACCOUNT_SUBMIT_PER_TARGET", "10/h")


class AccountError(Exception):
    """A user-facing reason why an account step was refused."""

    def __init__(self, message, field=None):
        super().__init__(message)
        self.message = message
        self.field = field


def unavailable_message() -> str:
    return _("This service is temporarily unavailable. Please try again in a few minutes.")


class LimitsUnavailable(AccountError):
    """The limits live in Redis and Redis does not answer: the step is refused, not left open."""

    def __init__(self, field=None):
        super().__init__(unavailable_message(), field)


def limits_usage(request, group: str, value: str, rate: str, increment: bool):
    """django-ratelimit's usage for one key; LimitsUnavailable when the cache failed (which
    django-ratelimit reports as a limit of 0, portal.cache)."""
    usage = get_usage(request, group=group, key=lambda g, r: value, rate=rate, increment=increment)
    if usage is not None and usage["limit"] == 0:
        raise LimitsUnavailable()
    return usage


def limits_enforce(request, step: str, targets: list[str], per_ip: str, per_target: str, field: str) -> None:
    """Count one request of this step against the address and each target; refuse past a limit."""
    checks = [(f"{step}-ip", client_ip(request) or "unknown", per_ip)]
    checks += [(f"{step}-target", identity.limit_key(t), per_target) for t in targets if t]
    for group, value, rate in checks:
        usage = limits_usage(request, group, value, rate, increment=True)
        if usage and usage["should_limit"]:
            minutes = max(1, (usage["time_left"] + 59) // 60)
            raise AccountError(
                _("Too many requests. Please try again in %(minutes)d minutes.") % {"minutes": minutes}, field=field
            )


def code_send(mobile: str, purpose: str, ip, **kwargs) -> None:
    try:
        verification.send_code(mobile, purpose, ip, **kwargs)
    except verification.VerificationError as exc:
        raise AccountError(str(exc), field="code") from None


def code_check(mobile: str, purpose: str, code: str) -> None:
    try:
        verification.check_code(mobile, purpose, code)
    except verification.VerificationError as exc:
        raise AccountError(str(exc), field="code") from None


def duplicate_id_message() -> str:
    # Shown only after the SMS code proved the mobile: says that an account exists, never whose.
    return _(
        "An account already exists for this ID number. If it is yours, log in or reset your password by SMS. "
        "If you did not register it, bring your ID card to a vehicle administration counter: the clerk "
        "will give the account back to you."
    )


def already_registered_sms() -> str:
    return _(
        "Someone asked to register an open122 account with this mobile, which already has one. "
        "If it was you, log in or reset your password. No code is needed."
    )


# --- Registration ---------------------------------------------------------------------------


def send_registration_code(request, mobile: str) -> None:
    """Press "send code" on the registration page. The answer is the same whether or not the
    mobile has an account; only its owner learns it (by SMS, instead of a code)."""
    mobile = identity.normalize_mobile(mobile)
    limits_enforce(request, "register-send", [mobile], SEND_PER_IP, SEND_PER_TARGET, "code")
    taken = User.objects.filter(mobile=mobile).exists()
    code_send(mobile, PURPOSE_REGISTER, client_ip(request), notice=already_registered_sms() if taken else "")


def register_citizen(*, real_name: str, id_number: str, mobile: str, password: str, code: str, request=None) -> User:
    """Create a citizen account.

    Steps: limit the attempt; accept the SMS code (its own transaction, so a wrong try counts
    even though registration fails), which proves the mobile; only then say whether the ID number
    is taken; create the user, verified at once when the registry has this mobile on file for
    this person. A concurrent duplicate that slips past the check hits the unique constraints and
    gets the same message.
    """
    id_number = identity.normalize_id_number(id_number)
    mobile = identity.normalize_mobile(mobile)
    if request is not None:
        limits_enforce(request, "register-submit", [mobile, id_number], SUBMIT_PER_IP, SUBMIT_PER_TARGET, "code")
    code_check(mobile, PURPOSE_REGISTER, code)
    if User.objects.filter(id_number_hash=identity.id_key(id_number)).exists():
        raise AccountError(duplicate_id_message(), field="id_number")
    mobiles = registry.mobiles_on_file(id_number)
    verified = mobiles is not None and mobile in mobiles
    try:
        with transaction.atomic():
            return User.objects.create_user(
                id_number,
                mobile,
                real_name.strip(),
                password,
                role=User.Role.CITIZEN,
                identity_verified_at=timezone.now() if verified else None,
                identity_verified_how=IdentityCheck.REGISTRY_SMS if verified else "",
            )
    except IntegrityError:
        if User.objects.filter(id_number_hash=identity.id_key(id_number)).exists():
            raise AccountError(duplicate_id_message(), field="id_number") from None
        # The mobile was proven a moment ago and taken since: only its owner can see this.
        raise AccountError(
            _("This mobile number is already used by an account. Log in, or reset your password by SMS."),
            field="mobile",
        ) from None


# --- Password reset and SMS login: the same answer for a mobile with or without an account -----


def _send_to_account(request, mobile: str, purpose: str, step: str) -> None:
    mobile = identity.normalize_mobile(mobile)
    limits_enforce(request, step, [mobile], SEND_PER_IP, SEND_PER_TARGET, "code")
    known = User.objects.filter(mobile=mobile, is_active=True).exists()
    # An unknown mobile gets a decoy: the same limits, the same wrong-code answers, no SMS.
    code_send(mobile, purpose, client_ip(request), decoy=not known)


def send_reset_code(request, mobile: str) -> None:
    _send_to_account(request, mobile, PURPOSE_RESET, "reset-send")


def send_login_code(request, mobile: str) -> None:
    _send_to_account(request, mobile, PURPOSE_LOGIN, "login-send")


def _account_by_code(request, mobile: str, code: str, purpose: str, step: str) -> User:
    mobile = identity.normalize_mobile(mobile)
    if request is not None:
        limits_enforce(request, step, [mobile], SUBMIT_PER_IP, SUBMIT_PER_TARGET, "code")
    code_check(mobile, purpose, code)
    user = User.objects.filter(mobile=mobile, is_active=True).first()
    if user is None:
        # A decoy code cannot be typed right; reached only if the account was disabled meanwhile.
        raise AccountError(_("The code has expired or was never sent. Ask for a new code."), field="code")
    return user


def reset_password(*, mobile: str, code: str, password: str, request=None) -> User:
    """Set a new password after the reset code is accepted. Steps: accept the code; save the hash."""
    user = _account_by_code(request, mobile, code, PURPOSE_RESET, "reset-submit")
    with transaction.atomic():
        user = User.objects.select_for_update().get(pk=user.pk)
        user.set_password(password)
        user.save(update_fields=["password"])
    return user


def login_by_code(request, mobile: str, code: str) -> User:
    """The account whose mobile just received this code. A proof of the owner's mobile always gets
    in: the password throttles do not apply to it (docs/rules.md §1)."""
    return _account_by_code(request, mobile, code, PURPOSE_LOGIN, "login-submit")


# --- Identity verification against the registry --------------------------------------------


def registry_mobile_choices(user: User) -> list[str]:
    """The mobiles on file for the user's ID number, sorted; pages show them masked."""
    return sorted(registry.mobiles_on_file(user.id_number) or ())


def send_identity_code(request, user: User, choice: int) -> None:
    mobiles = registry_mobile_choices(user)
    if not 0 <= choice < len(mobiles):
        raise AccountError(_("Choose one of the mobile numbers on file."), field="target")
    limits_enforce(request, "identity-send", [user.id_number], SEND_PER_IP, SEND_PER_TARGET, "code")
    code_send(mobiles[choice], PURPOSE_IDENTITY, client_ip(request))


def identity_verify_by_code(request, user: User, choice: int, code: str) -> User:
    """Verify the account by a code sent to a mobile the registry holds for the person."""
    mobiles = registry_mobile_choices(user)
    if not 0 <= choice < len(mobiles):
        raise AccountError(_("Choose one of the mobile numbers on file."), field="target")
    limits_enforce(request, "identity-submit", [user.id_number], SUBMIT_PER_IP, SUBMIT_PER_TARGET, "code")
    code_check(mobiles[choice], PURPOSE_IDENTITY, code)
    return _mark_verified(user, IdentityCheck.REGISTRY_SMS, "")


def _mark_verified(user: User, how: str, note: str) -> User:
    with transaction.atomic():
        user = User.objects.select_for_update().get(pk=user.pk)
        user.identity_verified_at = timezone.now()
        user.identity_verified_how = how
        user.identity_note = note
        user.save(update_fields=["identity_verified_at", "identity_verified_how", "identity_note"])
    return user


def _counter_may_act(user: User, clerk: User) -> None:
    # A clerk who could take over a staff account could give themselves the admin: only a province
    # administrator acts on staff accounts.
    if (user.is_staff or user.is_superuser) and not clerk.is_superuser:
        raise AccountError(_("Only a province administrator may change a staff account."))


def identity_verify_at_counter(user: User, *, clerk: User, reason: str) -> User:
    """A clerk saw the person and their ID card at a counter. The history row records the clerk
    (simple_history's request user, or _history_user here) and the reason."""
    _counter_may_act(user, clerk)
    reason = " ".join((reason or "").split())
    if not reason:
        raise AccountError(_("Record why the person is verified (ID card seen, document number)."), field="reason")
    user._history_user = clerk
    return _mark_verified(user, IdentityCheck.COUNTER, reason[:200])


def account_recover_at_counter(user: User, *, clerk: User, mobile: str, reason: str) -> User:
    """Give an account taken with someone else's ID number back to its rightful holder, seen at a
    counter: their mobile replaces the impostor's, the password is voided (they set one by SMS
    reset, which ends the impostor's sessions), and the account is verified. Recorded with the clerk and reason."""
    _counter_may_act(user, clerk)
    reason = " ".join((reason or "").split())
    if not reason:
        raise AccountError(_("Record why the account is given back (ID card seen, document number)."), field="reason")
    try:
        mobile = identity.validate_mobile(mobile)
    except Exception as exc:
        raise AccountError(" ".join(getattr(exc, "messages", [str(exc)])), field="mobile") from None
    with transaction.atomic():
        user = User.objects.select_for_update().get(pk=user.pk)
        if User.objects.filter(mobile=mobile).exclude(pk=user.pk).exists():
            raise AccountError(_("This mobile number is already used by another account."), field="mobile")
        user._history_user = clerk
        user.mobile = mobile
        user.set_unusable_password()
        user.identity_verified_at = timezone.now()
        user.identity_verified_how = IdentityCheck.COUNTER
        user.identity_note = reason[:200]
        # The new password hash ends every session of the impostor on their next request.
        user.save()
    return user
