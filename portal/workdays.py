"""Working days under China's holiday calendar, make-up working days (调休) included.

docs/rules.md §0: the "N日" periods of R-REG, R-DL and R-PROC are working days; the calendar is
admin-editable data (portal.Holiday), seeded for the current and the next year.
"""

import datetime

from portal.processcache import TimedCache


def _load_calendar(_key) -> dict[datetime.date, str]:
    from portal.models import Holiday

    return dict(Holiday.objects.values_list("date", "kind"))


# Every hold and every exam window needs the calendar: the whole of it (a few dozen rows a
# year) is kept per process (portal.processcache).
_calendar = TimedCache(_load_calendar)


def _is_working(day: datetime.date, exceptions: dict) -> bool:
    kind = exceptions.get(day)
    if kind == "holiday":
        return False
    if kind == "workday":
        return True
    return day.weekday() < 5


def is_working_day(day: datetime.date) -> bool:
    return _is_working(day, _calendar.get())


def add_working_days(start: datetime.date, n: int) -> datetime.date:
    """The n-th working day after `start` (start itself never counts); n=0 returns start.

    "Held for 3 working days after the day of selection": add_working_days(selection_day, 3)
    is the last day of the hold.
    """
    if n < 0:
        raise ValueError("n must be >= 0")
    calendar = _calendar.get()
    day, counted = start, 0
    while counted < n:
        day += datetime.timedelta(days=1)
        if _is_working(day, calendar):
            counted += 1
    return day


def subtract_working_days(start: datetime.date, n: int) -> datetime.date:
    """The n-th working day before `start` (e.g. a booking window closing 3 working days ahead)."""
    if n < 0:
        raise ValueError("n must be >= 0")
    calendar = _calendar.get()
    day, counted = start, 0
    while counted < n:
        day -= datetime.timedelta(days=1)
        if _is_working(day, calendar):
            counted += 1
    return day


def working_days_between(start: datetime.date, end: datetime.date) -> int:
    """Working days d with start < d <= end."""
    calendar = _calendar.get()
    days = (end - start).days
    return sum(_is_working(start + datetime.timedelta(days=i), calendar) for i in range(1, days + 1))
