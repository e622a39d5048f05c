"""The SMS outbox: every outgoing SMS is an SmsCode row first, sent by whoever claims it.

docs/operations.md "SMS outbox". A row is claimed with one conditional UPDATE (pending and due,
or sending with a lapsed claim), so a redelivered Celery message, a retry and the sweep never
send one row at the same time. A worker killed between the gateway's answer and our write
leaves the claim to lapse; the sweep then sends again with the same reference (out_id), which
the gateway sends once. A row whose code has expired is never sent.
"""

import datetime
import logging

from django.db.models import F, Q
from django.utils import timezone

from portal import sms as sms_backends
from portal.models import SmsCode, SmsReceiptNonce

log = logging.getLogger(__name__)

# Longer than the HTTP backend's timeout: a live sender is never overtaken.
CLAIM_SECONDS = 30
MAX_SEND_ATTEMPTS = 6
SWEEP_BATCH = 200

State = SmsCode.SendState


def _due(now):
    return Q(send_state=State.PENDING, next_attempt_at__lte=now) | Q(send_state=State.SENDING, claimed_until__lt=now)


def retry_delay(attempts: int) -> int:
    """Seconds before the next try: 5, 10, 20, 40, then every 60 (a code lives 5 minutes)."""
    return min(5 * 2 ** max(attempts - 1, 0), 60)


def outbox_send(sms_code_id: int) -> str:
    """Send one row if it is due and nobody else holds it. Returns "sent", "retry", "failed" or
    "skipped" (not due, already sent, held by another worker, expired or nothing to send)."""
    now = timezone.now()
    claimed = (
        SmsCode.objects.filter(_due(now), pk=sms_code_id, expires_at__gt=now)
        .exclude(text="")
        .update(
            send_state=State.SENDING,
            claimed_until=now + datetime.timedelta(seconds=CLAIM_SECONDS),
            send_attempts=F("send_attempts") + 1,
        )
    )
    if not claimed:
        return "skipped"
    row = SmsCode.objects.get(pk=sms_code_id)
    try:
        message_id = sms_backends.send_sms(row.mobile, row.text, reference=f"open122-sms-{row.pk}")
    except sms_backends.SmsGatewayError as exc:
        failed = row.send_attempts >= MAX_SEND_ATTEMPTS
        log.warning("sms %s attempt %s failed: %s", row.pk, row.send_attempts, exc)
        SmsCode.objects.filter(pk=row.pk, send_state=State.SENDING).update(
            send_state=State.FAILED if failed else State.PENDING,
            next_attempt_at=None
            if failed
            else timezone.now() + datetime.timedelta(seconds=retry_delay(row.send_attempts)),
            claimed_until=None,
            text="" if failed else row.text,
        )
        return "failed" if failed else "retry"
    # The code leaves the database with the message: only its hash stays.
    SmsCode.objects.filter(pk=row.pk).update(
        send_state=State.SENT, message_id=message_id, sent_at=timezone.now(), claimed_until=None, text=""
    )
    SmsCode.objects.filter(pk=row.pk, delivery_status="").update(delivery_status="sent")
    return "sent"


def outbox_sweep(now=None) -> dict:
    """Send what is due (lost Celery messages, broker outages, killed workers, gateway retries),
    give up on what expired, and forget receipt nonces past their replay window."""
    now = now or timezone.now()
    expired = (
        SmsCode.objects.filter(send_state__in=[State.PENDING, State.SENDING], expires_at__lte=now)
        .exclude(send_state=State.SENDING, claimed_until__gt=now)
        .update(send_state=State.EXPIRED, text="", claimed_until=None)
    )
    due = list(
        SmsCode.objects.filter(_due(now), expires_at__gt=now)
        .order_by("next_attempt_at")
        .values_list("pk", flat=True)[:SWEEP_BATCH]
    )
    results = [outbox_send(pk) for pk in due]
    window = datetime.timedelta(seconds=2 * sms_backends.RECEIPT_MAX_AGE_SECONDS)
    SmsReceiptNonce.objects.filter(received_at__lt=now - window).delete()
    return {"expired": expired, "sent": results.count("sent"), "retry": results.count("retry")}
