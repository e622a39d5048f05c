"""Working days under China's holiday calendar, make-up working days (调休) included.

rules.md §0: the "N日" periods of R-REG, R-DL and R-PROC are working days; the calendar is
admin-editable data (portal.Holiday), seeded for the current and the next year.
"""

import datetime


def _exceptions(start: datetime.date, end: datetime.date) -> dict[datetime.date, str]:
    from portal.models import Holiday

    return dict(Holiday.objects.filter(date__gte=start, date__lte=end).values_list("date", "kind"))


def _is_working(day: datetime.date, exceptions: dict) -> bool:
    kind = exceptions.get(day)
    if kind == "holiday":
        return False
    if kind == "workday":
        return True
    return day.weekday() < 5


def is_working_day(day: datetime.date) -> bool:
    return _is_working(day, _exceptions(day, day))


def add_working_days(start: datetime.date, n: int) -> datetime.date:
    """The n-th working day after `start` (start itself never counts); n=0 returns start.

    "Held for 3 working days after the day of selection": add_working_days(selection_day, 3)
    is the last day of the hold.
    """
    if n < 0:
        raise ValueError("n must be >= 0")
    if n == 0:
        return start
    # Long holidays are at most 9 days; fetch a window that surely holds the answer.
    window_end = start + datetime.timedelta(days=n * 2 + 30)
    exceptions = _exceptions(start, window_end)
    day, counted = start, 0
    while counted < n:
        day += datetime.timedelta(days=1)
        if day > window_end:
            window_end = day + datetime.timedelta(days=60)
            exceptions = _exceptions(day, window_end)
        if _is_working(day, exceptions):
            counted += 1
    return day


def subtract_working_days(start: datetime.date, n: int) -> datetime.date:
    """The n-th working day before `start` (e.g. a booking window closing 3 working days ahead)."""
    if n < 0:
        raise ValueError("n must be >= 0")
    if n == 0:
        return start
    window_start = start - datetime.timedelta(days=n * 2 + 30)
    exceptions = _exceptions(window_start, start)
    day, counted = start, 0
    while counted < n:
        day -= datetime.timedelta(days=1)
        if day < window_start:
            window_start = day - datetime.timedelta(days=60)
            exceptions = _exceptions(window_start, day)
        if _is_working(day, exceptions):
            counted += 1
    return day


def working_days_between(start: datetime.date, end: datetime.date) -> int:
    """Working days d with start < d <= end."""
    exceptions = _exceptions(start, end)
    days = (end - start).days
    return sum(_is_working(start + datetime.timedelta(days=i), exceptions) for i in range(1, days + 1))
