"""What every violations service shares: the refusal type, dates."""

import datetime

from django.utils import timezone


class ViolationError(Exception):
    """A refusal with a message for the page (in the active language), and every reason."""

    def __init__(self, message, reasons=None):
        super().__init__(str(message))
        self.message = str(message)
        self.reasons = [str(r) for r in (reasons or [message])]


def one_year_after(day: datetime.date) -> datetime.date:
    """The same date a year later (29 February → 1 March): a 12-month points cycle's next start."""
    try:
        return day.replace(year=day.year + 1)
    except ValueError:
        return day.replace(year=day.year + 1, month=3, day=1)


def one_year_before(day: datetime.date) -> datetime.date:
    try:
        return day.replace(year=day.year - 1)
    except ValueError:
        return day.replace(year=day.year - 1, day=28)


def now():
    return timezone.now()


def today() -> datetime.date:
    return timezone.localdate()
