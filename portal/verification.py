"""SMS verification codes (design.md "Accounts and identity").

send_code() and check_code() are the only API: registration, password reset, plate selection,
exam requests and payments all confirm a step with them.
"""

import hashlib
import hmac
import secrets

from django.conf import settings
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from portal.models import SmsCode


class VerificationError(Exception):
    """A user-facing reason why a code could not be sent or was not accepted."""


def _hash(mobile: str, purpose: str, code: str) -> str:
    return hmac.new(settings.SECRET_KEY.encode(), f"{mobile}:{purpose}:{code}".encode(), hashlib.sha256).hexdigest()


def _after_commit(fn) -> None:
    """Queue the SMS only once the code row is committed (tests replace this: their transaction
    never commits)."""
    transaction.on_commit(fn)


def send_code(mobile: str, purpose: str, ip: str | None = None) -> SmsCode:
    """Create a code and queue its SMS. Raises VerificationError when a limit is hit."""
    now = timezone.now()
    # The resend wait is per purpose: the code of one step (say, confirming a plate) must not wait
    # on the code of the step just before it (starting the selection); the daily caps bound the rest.
    last = SmsCode.objects.filter(mobile=mobile, purpose=purpose).order_by("-created_at").first()
    if last and now - last.created_at < settings.SMS_RESEND_INTERVAL:
        wait = int((settings.SMS_RESEND_INTERVAL - (now - last.created_at)).total_seconds()) + 1
        raise VerificationError(
            _("Please wait %(seconds)d seconds before asking for another code.") % {"seconds": wait}
        )
    day_start = timezone.localtime(now).replace(hour=0, minute=0, second=0, microsecond=0)
    if SmsCode.objects.filter(mobile=mobile, created_at__gte=day_start).count() >= settings.SMS_DAILY_CAP_PER_MOBILE:
        raise VerificationError(_("This mobile number has received the most codes allowed today. Try again tomorrow."))
    if ip and SmsCode.objects.filter(ip=ip, created_at__gte=day_start).count() >= settings.SMS_DAILY_CAP_PER_IP:
        raise VerificationError(_("Too many codes were requested from your network today. Try again tomorrow."))
    code = f"{secrets.randbelow(10**6):06d}"
    sms = SmsCode.objects.create(
        mobile=mobile,
        purpose=purpose,
        code_hash=_hash(mobile, purpose, code),
        ip=ip,
        created_at=now,
        expires_at=now + settings.SMS_CODE_TTL,
    )
    from portal.tasks import send_verification_sms

    text = _("Your open122 verification code is %(code)s, valid for 5 minutes. Do not tell anyone.") % {"code": code}
    _after_commit(lambda: send_verification_sms.delay(sms.pk, text))
    return sms


def check_code(mobile: str, purpose: str, code: str) -> None:
    """Accept the newest live code for (mobile, purpose) once, or raise VerificationError."""
    code = (code or "").strip()
    now = timezone.now()
    # The refusal is raised only after the block commits: raising inside it would roll back the
    # counted wrong try, and the 5-tries limit with it.
    refusal = None
    with transaction.atomic():
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
