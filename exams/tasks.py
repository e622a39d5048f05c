from celery import shared_task

from exams import services


@shared_task(name="exams.tasks.sweep")
def sweep():
    """Run due draws, send their notices, expire lapsed freed-seat offers (idempotent)."""
    return services.sweep()
