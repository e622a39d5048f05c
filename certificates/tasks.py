from celery import shared_task


@shared_task(name="certificates.tasks.sweep", acks_late=True)
def sweep():
    """Daily: cases left unpaid past their pay deadline are cancelled (docs/rules.md §4.2, §0).
    Idempotent: a second run finds nothing to do."""
    from certificates import services

    return {"expired_unpaid": services.applications_expire_unpaid()}
