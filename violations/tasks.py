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
