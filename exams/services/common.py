"""What every topic of exam booking shares: the refusal error, local dates."""

import datetime

from django.utils import timezone

from exams import rules
from exams.models import (
    ExamPlan,
)
from portal import workdays


class ExamError(Exception):
    """A refusal with a message for the page (in the active language)."""

    def __init__(self, message, reasons=None):
        super().__init__(str(message))
        self.message = str(message)
        self.reasons = [str(r) for r in (reasons or [message])]


def local_today():
    return timezone.localdate()


def local_start(day: datetime.date, at: datetime.time = datetime.time.min) -> datetime.datetime:
    return timezone.make_aware(datetime.datetime.combine(day, at))


def r_dl_period_end(start: datetime.date, days: int) -> datetime.date:
    """The first day after an R-DL wait of `days` days from `start`, counted in working days or
    calendar days as R-DL art 110 says (docs/rules.md §0): "满十日后" from 1 June is the 10th working day after it."""
    if rules.counts_working_days(days):
        return workdays.add_working_days(start, days)
    return start + datetime.timedelta(days=days)


def plan_context(plan: ExamPlan) -> dict:
    return {
        "date": plan.date.isoformat(),
        "session": plan.session,
        "site": plan.site.name,
        "address": plan.site.address,
        "subject": str(plan.get_subject_display()),
    }
