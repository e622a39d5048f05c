from celery import shared_task

from plates import services


@shared_task(acks_late=True)
def sweep() -> dict:
    """Lapse holds, free expired backups, open and announce blocks (plates.services.sweep)."""
    return services.sweep()
