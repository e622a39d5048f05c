"""The periodic sweep (Celery beat, exams.tasks.sweep)."""

import time

from django.utils import timezone

from exams.services.allocation import (
    DECISIONS_BATCH,
    bookings_expire_unpaid,
    decisions_notify,
    decisions_pending,
    offers_expire,
    plans_allocate,
    plans_due,
)

# No new batch of decision notices starts after this long. The sweep runs every 5 minutes
# (settings.CELERY_BEAT_SCHEDULE) and is acknowledged late: a run must end well within the
# broker's visibility timeout (CELERY_VISIBILITY_TIMEOUT, 120 s), else its message is handed to a
# second worker that tells the same plans beside it. The rest waits for the next run; a draw of
# 100,000 requests is told within a few runs, long before its fees are due (24 hours).
DECISIONS_BUDGET_SECONDS = 45


# --- The periodic sweep -------------------------------------------------------------------------
def sweep(*, now=None, budget_seconds: float = DECISIONS_BUDGET_SECONDS) -> dict:
    """Run every due draw, send its notices, free seats whose fee was not paid in time, expire
    lapsed offers, and pass the freed seats on.

    The decision notices go out in batches of DECISIONS_BATCH requests (decisions_notify), until
    every allocated plan is told or `budget_seconds` have passed: a draw of 100,000 requests is
    told over a few runs, never read into memory at once (a crash between the draw and its
    notices is retried the same way)."""
    now = now or timezone.now()
    started = time.monotonic()
    allocated = plans_allocate(plans_due(timezone.localdate(now)), now=now)
    sent, told = 0, None
    while time.monotonic() - started < budget_seconds:
        pending = decisions_pending()
        if not pending or pending == told:  # none left, or all being told by another worker
            break
        sent += decisions_notify(pending, now=now, limit=DECISIONS_BATCH)
        told = pending
    unpaid = bookings_expire_unpaid(now=now)
    expired = offers_expire(now=now)
    return {"allocated": len(allocated), "notices": sent, "unpaid": unpaid, "expired_offers": expired}
