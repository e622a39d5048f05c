from celery import shared_task


@shared_task(name="violations.tasks.sweep", acks_late=True)
def sweep():
    """Daily: notices of records not yet notified, notices of proposed penalty (R-PROC art 54),
    points cycles that ended (R-PTS art 15). Each step is idempotent: a second run does nothing."""
    from violations import services
    from violations.services import points

    return {
        "notified": services.sweep_notify_due(),
        "proposed": services.sweep_proposed_penalty(),
        "cycles_closed": points.cycles_close(),
    }


@shared_task(name="violations.tasks.accidents_sweep", acks_late=True)
def accidents_sweep():
    """Every 10 minutes: accident cases the other party never confirmed lapse, and insurer
    reports not yet accepted are sent again (docs/rules.md §5.7). Idempotent."""
    from violations.services import accidents

    return {"lapsed": accidents.accidents_lapse(), "insurers": accidents.insurer_notices_send()}


@shared_task(name="violations.tasks.accident_insurers", acks_late=True)
def accident_insurers():
    """Right after a document is made: report it to both insurers (the sweep retries)."""
    from violations.services import accidents

    return accidents.insurer_notices_send()
