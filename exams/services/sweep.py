"""The periodic sweep (Celery beat, exams.tasks.sweep)."""

from django.utils import timezone

from exams.models import (
    ExamPlan,
)
from exams.services.allocation import (
    bookings_expire_unpaid,
    decisions_notify,
    offers_expire,
    plans_allocate,
    plans_due,
)


# --- The periodic sweep -------------------------------------------------------------------------
def sweep(*, now=None) -> dict:
    """Run every due draw, send its notices, free seats whose fee was not paid in time, expire
    lapsed offers, and pass the freed seats on."""
    now = now or timezone.now()
    allocated = plans_allocate(plans_due(timezone.localdate(now)), now=now)
    # Every allocated plan still without its notices (a crash between the two steps is retried).
    pending = list(
        ExamPlan.objects.filter(status=ExamPlan.Status.ALLOCATED, decisions_sent_at__isnull=True).values_list(
            "pk", flat=True
        )
    )
    sent = decisions_notify(pending, now=now)
    unpaid = bookings_expire_unpaid(now=now)
    expired = offers_expire(now=now)
    return {"allocated": len(allocated), "notices": sent, "unpaid": unpaid, "expired_offers": expired}
