"""Celery tasks: thin wrappers around notices.services (schedule in settings.CELERY_BEAT_SCHEDULE)."""

from celery import shared_task

from notices import services

# deliver_pending runs every minute: stop starting new batches before the next run is due.
DELIVER_BUDGET_SECONDS = 45


@shared_task(acks_late=True)
def sweep() -> dict:
    """Hourly: the registry sweeps (inspection, scrapping, licence, points, 70+ medical, A/B review)."""
    return services.sweep()


@shared_task(acks_late=True)
def deliver_pending() -> dict:
    """Every minute: plan channels for new notices, then send what is due (retries, held SMS)."""
    return services.deliver_all(budget_seconds=DELIVER_BUDGET_SECONDS)


@shared_task(acks_late=True)
def deliver_new() -> dict:
    """Kicked by notify() on commit: send every notice written before this run starts."""
    # First release the kick, then read: a notice committed before the release is seen by the
    # dispatch below, one committed after it queues a new kick (services.kick_taken).
    services.kick_taken()
    return services.deliver_all(budget_seconds=DELIVER_BUDGET_SECONDS)


@shared_task(acks_late=True)
def unit_summaries() -> int:
    """Monthly (1st, 08:00): each unit administrator's summary (docs/rules.md §1.2)."""
    return services.unit_summaries()
