"""The periodic sweep (Celery beat, exams.tasks.sweep)."""

from django.utils import timezone

from exams.models import (
    ExamPlan,
)
from exams.services.allocation import decisions_notify, offers_expire, plans_allocate, plans_due


# --- The periodic sweep -------------------------------------------------------------------------
def sweep(*, now=None) -> dict:
    """Run every due draw, send its notices, expire lapsed offers and pass their seats on."""
    now = now or timezone.now()
    allocated = plans_allocate(plans_due(timezone.localdate(now)), now=now)
    # Every allocated plan still without its notices (a crash between the two steps is retried).
    pending = list(
        ExamPlan.objects.filter(status=ExamPlan.Status.ALLOCATED, decisions_sent_at__isnull=True).values_list(
            "pk", flat=True
        )
    )
    sent = decisions_notify(pending, now=now)
    expired = offers_expire(now=now)
    return {"allocated": len(allocated), "notices": sent, "expired_offers": expired}
