"""Proof of work in front of the rush paths (self-hosted ALTCHA), with a no-JavaScript fallback.

Why: a fleet of scripted accounts answers a block opening in milliseconds. Every rush entry
(starting a plate selection, requesting an exam seat) therefore needs a *pass* in the session,
earned by one of:

1. the ALTCHA widget (static/vendor/altcha, MIT, served from this site): the browser finds a
   counter whose PBKDF2/SHA-256 key starts with 00 (about 256 derivations of ANTIBOT_COST
   iterations: a second or two on a phone, once per pass). A fleet pays that for every account
   on its own CPUs. The challenge is signed (HMAC), names the account it was issued to, expires
   and is accepted once.
2. without JavaScript, a signed ticket issued with the page (in <noscript>): accepted only when
   ANTIBOT_NOSCRIPT_WAIT_SECONDS have passed since it was issued, once, for that account. A
   citizen reads the page and submits; it costs a script time per account instead of CPU.

A pass lasts ANTIBOT_PASS_SECONDS for that session. The limits in portal.ratelimits (per account
and per address) do the rest: the proof of work makes each account cost something, the limits
keep one address from running many accounts.
"""

import base64
import binascii
import json
import time

import altcha
from django.conf import settings
from django.core import signing
from django.core.cache import cache
from django.utils.crypto import salted_hmac
from django.utils.translation import gettext as _

PASS_KEY = "antibot_pass_until"
FIELD = "altcha"
TICKET_FIELD = "altcha_ticket"
_SALT = "open122.antibot"


def enabled() -> bool:
    return getattr(settings, "ANTIBOT_ENABLED", True)


def _secret(kind: str) -> str:
    return salted_hmac(_SALT, kind).hexdigest()


def challenge(request) -> dict:
    """A new challenge for the signed-in account, as the widget reads it (JSON)."""
    expires = int(time.time()) + settings.ANTIBOT_CHALLENGE_SECONDS
    made = altcha.create_challenge(
        "PBKDF2/SHA-256",
        settings.ANTIBOT_COST,
        expires_at=expires,
        data={"u": str(request.user.pk or "")},
        hmac_secret=_secret("challenge"),
        hmac_key_secret=_secret("key"),
    )
    return made.to_dict()


def ticket(request) -> str:
    return signing.dumps({"u": request.user.pk, "t": int(time.time())}, salt=_SALT)


def message() -> str:
    return _(
        "Please complete the check “I am not a robot” before submitting (your browser works for a few "
        "seconds). Without JavaScript, wait %(seconds)d seconds after the page opened, then submit."
    ) % {"seconds": settings.ANTIBOT_NOSCRIPT_WAIT_SECONDS}


def has_pass(request) -> bool:
    return request.session.get(PASS_KEY, 0) > time.time()


def _once(kind: str, token: str, seconds: int) -> bool:
    """True the first time a solution or ticket is presented (replays are refused)."""
    digest = salted_hmac(_SALT, token).hexdigest()
    return cache.add(f"antibot:{kind}:{digest}", 1, seconds + 60)


def _solution_ok(request, payload: str) -> bool:
    if not payload or len(payload) > 4000:
        return False
    try:
        decoded = json.loads(base64.b64decode(payload, validate=True))
        data = (decoded.get("challenge") or {}).get("parameters", {}).get("data") or {}
        result = altcha.verify_solution(payload, _secret("challenge"), hmac_key_secret=_secret("key"))
    except (ValueError, TypeError, KeyError, AttributeError, binascii.Error, RecursionError):
        return False
    if not result.verified or str(data.get("u")) != str(request.user.pk):
        return False
    return _once("solution", payload, settings.ANTIBOT_CHALLENGE_SECONDS)


def _ticket_ok(request, token: str) -> bool:
    if not token or len(token) > 500:
        return False
    try:
        data = signing.loads(token, salt=_SALT, max_age=settings.ANTIBOT_CHALLENGE_SECONDS)
    except signing.BadSignature:
        return False
    if not isinstance(data, dict) or data.get("u") != request.user.pk:
        return False
    waited = time.time() - float(data.get("t", 0))
    if waited < settings.ANTIBOT_NOSCRIPT_WAIT_SECONDS:
        return False
    return _once("ticket", token, settings.ANTIBOT_CHALLENGE_SECONDS)


def check(request) -> bool:
    """Whether this POST may pass: a pass in the session, or a fresh solution or ripe ticket
    (which then grants the pass). Call only for signed-in users."""
    if not enabled() or has_pass(request):
        return True
    ok = _solution_ok(request, request.POST.get(FIELD, "")) or _ticket_ok(request, request.POST.get(TICKET_FIELD, ""))
    if ok:
        request.session[PASS_KEY] = int(time.time()) + settings.ANTIBOT_PASS_SECONDS
    return ok
