"""Celery tasks: thin wrappers around notices.services (schedule in settings.CELERY_BEAT_SCHEDULE)."""

import time

from celery import shared_task

from notices import services

# deliver_pending runs every minute: stop starting new batches before the next run is due.
DELIVER_BUDGET_SECONDS = 45


@shared_task(acks_late=True)
def sweep() -> dict:
    """Hourly: the registry sweeps (inspection, scrapping, licence, points)."""
    return services.sweep()


@shared_task(acks_late=True)
def deliver_pending() -> dict:
    """Every minute: plan channels for new notices, then send what is due (retries, held SMS)."""
    started = time.monotonic()
    totals = {"dispatched": 0, "sent": 0, "retry": 0, "failed": 0, "held": 0}
    while time.monotonic() - started < DELIVER_BUDGET_SECONDS:
        notices, _ = services.dispatch_new()
        totals["dispatched"] += notices
        if notices == 0:
            break
    while time.monotonic() - started < DELIVER_BUDGET_SECONDS:
        counts = services.deliver_due()
        for key, value in counts.items():
            totals[key] += value
        if sum(counts.values()) == 0:
            break
    return totals


@shared_task(acks_late=True)
def deliver_notice(notice_id: int) -> None:
    """Right after notify(): plan and send this one notice's deliveries."""
    services.dispatch_new(notice_ids=[notice_id])
    services.deliver_due(notice_ids=[notice_id])
