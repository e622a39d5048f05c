"""Failed password logins: slow down and challenge, never lock the owner out (docs/rules.md §1,
OWASP ASVS 4.0.3 V2.2.1).

Three django-ratelimit counters of failed password logins:
- per account and address: past LOGIN_FAILURES_PER_ACCOUNT_ADDRESS that address waits before it
  may try this account's password again; the owner elsewhere is not affected;
- per account, all addresses: past LOGIN_FAILURES_PER_ACCOUNT the password alone no longer opens
  the account: the owner logs in with an SMS code to its mobile (a guesser has no such code);
- per address, all accounts: past LOGIN_FAILURES_PER_IP (credential stuffing) password logins from
  that address need the SMS code too; people behind the same NAT still get in by SMS.
Logging in with an SMS code (account_services.login_by_code) is never throttled by these.
With Redis down the counters cannot be read: password logins work from the database, unthrottled
(docs/operations.md "When Redis is down").
"""

from django.conf import settings

from portal import account_services, identity
from portal.auth_backends import find_user
from portal.ratelimits import client_ip

PER_ACCOUNT_ADDRESS = getattr(settings, "LOGIN_FAILURES_PER_ACCOUNT_ADDRESS", "5/15m")
PER_ACCOUNT = getattr(settings, "LOGIN_FAILURES_PER_ACCOUNT", "20/h")
PER_IP = getattr(settings, "LOGIN_FAILURES_PER_IP", "100/h")

WAIT = "wait"
NEEDS_SMS = "sms"


def _account_key(login: str) -> str:
    """One key per account whichever identifier is typed; unknown logins are counted by value.
    The password hash is part of it, so a password reset by SMS starts the account afresh."""
    user = find_user(login or "")
    if user is not None:
        return f"user:{user.pk}:{user.password[-16:]}"
    value = identity.nfkc(login or "").strip()
    return "login:" + identity.limit_key(identity.normalize_id_number(value)) if value else ""


def _counters(request, login: str):
    ip = client_ip(request) or "unknown"
    account = _account_key(login)
    counters = [("login-ip", ip, PER_IP, NEEDS_SMS)]
    if account:
        counters.insert(0, ("login-account-ip", f"{account}|{ip}", PER_ACCOUNT_ADDRESS, WAIT))
        counters.insert(1, ("login-account", account, PER_ACCOUNT, NEEDS_SMS))
    return counters


def login_blocked(request, login: str) -> tuple[str, int] | None:
    """(WAIT, minutes) or (NEEDS_SMS, minutes) when a password login must not be tried now."""
    try:
        for group, value, rate, kind in _counters(request, login):
            usage = account_services.limits_usage(request, group, value, rate, increment=False)
            if usage and usage["count"] >= usage["limit"]:
                return kind, max(1, (usage["time_left"] + 59) // 60)
    except account_services.LimitsUnavailable:
        return None
    return None


def record_login_failure(request, login: str) -> None:
    try:
        for group, value, rate, _kind in _counters(request, login):
            account_services.limits_usage(request, group, value, rate, increment=True)
    except account_services.LimitsUnavailable:
        pass
