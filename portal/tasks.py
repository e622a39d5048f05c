from celery import shared_task

from portal import sms_outbox


@shared_task(acks_late=True)
def send_verification_sms(sms_code_id: int) -> str:
    """Send one outbox row. The message carries only the row id; the text (with its code) is read
    from the database. A gateway error leaves the row for a later try, asked for here with a
    countdown and made sure of by the sweep."""
    result = sms_outbox.outbox_send(sms_code_id)
    if result == "retry":
        from portal.models import SmsCode

        attempts = SmsCode.objects.filter(pk=sms_code_id).values_list("send_attempts", flat=True).first() or 1
        try:
            send_verification_sms.apply_async((sms_code_id,), countdown=sms_outbox.retry_delay(attempts))
        except Exception:  # broker down: the sweep retries it
            pass
    return result


@shared_task
def sms_outbox_sweep() -> dict:
    return sms_outbox.outbox_sweep()


@shared_task(ignore_result=True, expires=60)
def beat_heartbeat() -> None:
    """Sent by the active beat every 30 s; the worker that runs it records the time, which
    GET /healthz/celery reports (portal.views.health)."""
    import time

    from django.core.cache import cache

    from portal.views.health import HEARTBEAT_KEY

    cache.set(HEARTBEAT_KEY, time.time(), timeout=None)
