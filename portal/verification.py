"""SMS verification codes (docs/rules.md §1).

send_code() and check_code() are the only API: registration, password reset, SMS login, identity
verification, plate selection, exam requests and payments all confirm a step with them.
"""

import hashlib
import hmac
import logging
import secrets

from django.conf import settings
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from portal import identity
from portal.models import SmsCode, SmsQuota

log = logging.getLogger(__name__)


class VerificationError(Exception):
    """A user-facing reason why a code could not be sent or was not accepted."""


def _hash(mobile: str, purpose: str, code: str) -> str:
    return hmac.new(settings.SECRET_KEY.encode(), f"{mobile}:{purpose}:{code}".encode(), hashlib.sha256).hexdigest()


def _after_commit(fn) -> None:
    """Queue the SMS only once the code row is committed (tests replace this: their transaction
    never commits)."""
    transaction.on_commit(fn)


def _locked_quota(key: str, today) -> SmsQuota:
    # get_or_create under FOR UPDATE: a concurrent first send waits on the unique key, then reads
    # the row the winner committed (and locks it), so the check below sees every earlier send.
    quota, _created = SmsQuota.objects.select_for_update().get_or_create(key=key, defaults={"day": today})
    if quota.day != today:
        quota.day, quota.day_count = today, 0
    return quota


def _take_quota(mobile: str, purpose: str, ip: str | None):
    """Count one send against the mobile's and the address's limits, or raise VerificationError.

    Called inside the transaction that creates the code: the row locks serialise concurrent
    sends to one mobile (and from one address), which the old count-then-insert did not.
    Locks are taken mobile first, address second, by every caller: no deadlock. Returns the time
    of the send, read once the mobile's row is locked (so it follows every earlier send), and the
    newest earlier code of this mobile and purpose (or None).
    """
    quota = _locked_quota("m:" + identity.limit_key(mobile), timezone.localdate())
    now = timezone.now()
    today = timezone.localdate(now)
    if quota.day != today:
        quota.day, quota.day_count = today, 0
    # The resend wait is per purpose: the code of one step (say, confirming a plate) must not wait
    # on the code of the step just before it (starting the selection); the daily caps bound the rest.
    # The mobile's quota row is locked, so concurrent sends see each other's codes here.
    last = SmsCode.objects.filter(mobile=mobile, purpose=purpose).order_by("-created_at").first()
    if last and now - last.created_at < settings.SMS_RESEND_INTERVAL:
        wait = int((settings.SMS_RESEND_INTERVAL - (now - last.created_at)).total_seconds()) + 1
        raise VerificationError(
            _("Please wait %(seconds)d seconds before asking for another code.") % {"seconds": wait}
        )
    if quota.day_count >= settings.SMS_DAILY_CAP_PER_MOBILE:
        raise VerificationError(_("This mobile number has received the most codes allowed today. Try again tomorrow."))
    ip_quota = _locked_quota("ip:" + ip, today) if ip else None
    if ip_quota is not None and ip_quota.day_count >= settings.SMS_DAILY_CAP_PER_IP:
        raise VerificationError(_("Too many codes were requested from your network today. Try again tomorrow."))
    for row in (quota, ip_quota):
        if row is not None:
            row.day_count += 1
            row.last_sent_at = now
            row.save(update_fields=["day", "day_count", "last_sent_at"])
    return now, last


def code_text(code: str) -> str:
    return _("Your open122 verification code is %(code)s, valid for 5 minutes. Do not tell anyone.") % {"code": code}


def send_code(mobile: str, purpose: str, ip: str | None = None, *, decoy: bool = False, notice: str = "") -> SmsCode:
    """Create a code and queue its SMS. Raises VerificationError when a limit is hit.

    decoy: count the send and keep an unguessable code, but send nothing (a mobile without an
    account must look exactly like one with an account). notice: send this text instead of the
    code (tells the mobile's owner something only they should learn).
    """
    mobile = identity.normalize_mobile(mobile)
    code = f"{secrets.randbelow(10**6):06d}"
    if decoy or notice:
        code = secrets.token_hex(16)  # never sent, never typed
    text = "" if decoy else (notice or code_text(code))
    with transaction.atomic():
        now, last = _take_quota(mobile, purpose, ip)
        if last is not None and last.used_at is None and last.expires_at > now:
            # Only the newest code of a mobile and purpose is ever accepted: a resend ends the
            # code before it here, once, so that check_code needs no "is it the newest" subquery
            # on every check. The mobile's quota row is locked: sends to it are serialised, and
            # at most one live code per mobile and purpose exists (older ones expire first).
            SmsCode.objects.filter(mobile=mobile, purpose=purpose, used_at__isnull=True, expires_at__gt=now).update(
                expires_at=now
            )
        sms = SmsCode.objects.create(
            mobile=mobile,
            purpose=purpose,
            code_hash=_hash(mobile, purpose, code),
            ip=ip,
            created_at=now,
            expires_at=now + settings.SMS_CODE_TTL,
            text=text,
            send_state=SmsCode.SendState.PENDING if text else SmsCode.SendState.NONE,
            next_attempt_at=now if text else None,
        )
    if text:
        _after_commit(lambda: enqueue(sms.pk))
    return sms


def enqueue(sms_code_id: int) -> None:
    """Hand the row to a worker. Only its id travels through the broker; when the broker is down
    the row stays pending and the outbox sweep sends it (docs/operations.md "SMS outbox")."""
    from portal.tasks import send_verification_sms

    try:
        send_verification_sms.delay(sms_code_id)
    except Exception:  # broker down: the sweep sends it; the page must not fail for it
        log.warning("could not queue SMS %s; the outbox sweep will send it", sms_code_id, exc_info=True)


def check_code(mobile: str, purpose: str, code: str) -> None:
    """Accept the newest live code for (mobile, purpose) once, or raise VerificationError."""
    mobile = identity.normalize_mobile(mobile)
    code = identity.nfkc(code).strip()
    now = timezone.now()
    # A right code, by far the common case, is spent by one conditional UPDATE: no transaction
    # or savepoint of its own and no SELECT ... FOR UPDATE first (4 round trips inside a
    # caller's transaction, BEGIN and COMMIT besides outside one). The row lock the UPDATE takes
    # serialises two uses of one code as the FOR UPDATE did: the second re-checks
    # `used_at IS NULL` on the committed row, matches nothing, and falls to the path below,
    # which finds the code spent. Anything else (no code, expired, used up, a wrong try to count)
    # goes through the locked path. Only the newest code may be accepted: send_code expires the
    # live code before it, so the one unused live code of a mobile and purpose is the newest,
    # with no subquery here to find it.
    spent = SmsCode.objects.filter(
        mobile=mobile,
        purpose=purpose,
        used_at__isnull=True,
        expires_at__gt=now,
        attempts__lt=settings.SMS_CODE_MAX_ATTEMPTS,
        code_hash=_hash(mobile, purpose, code),
    ).update(used_at=now)
    if spent:
        return
    # The refusal is raised only after the block commits: raising inside it would roll back the
    # counted wrong try, and the 5-tries limit with it. Nothing is raised inside the block, so
    # inside a caller's transaction (a service that spends the code with its own writes) a
    # savepoint would protect nothing and cost two round trips: savepoint=False.
    refusal = None
    with transaction.atomic(savepoint=False):
        sms = (
            SmsCode.objects.select_for_update()
            .filter(mobile=mobile, purpose=purpose, used_at__isnull=True)
            .order_by("-created_at")
            .first()
        )
        if sms is None or sms.expires_at <= now:
            refusal = _("The code has expired or was never sent. Ask for a new code.")
        elif sms.attempts >= settings.SMS_CODE_MAX_ATTEMPTS:
            refusal = _("Too many wrong codes. Ask for a new code.")
        elif not hmac.compare_digest(sms.code_hash, _hash(mobile, purpose, code)):
            sms.attempts += 1
            sms.save(update_fields=["attempts"])
            left = settings.SMS_CODE_MAX_ATTEMPTS - sms.attempts
            if left <= 0:
                refusal = _("Too many wrong codes. Ask for a new code.")
            else:
                refusal = _("The code is wrong. %(left)d tries left.") % {"left": left}
        else:
            sms.used_at = now
            sms.save(update_fields=["used_at"])
    if refusal:
        raise VerificationError(refusal)
