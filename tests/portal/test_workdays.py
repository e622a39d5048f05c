"""Working days over the 2026 State Council arrangement (国办发明电〔2025〕7号) seeded by migration."""

import datetime

import pytest

from portal import workdays
from portal.models import Holiday
from portal.workdays import add_working_days, is_working_day, subtract_working_days, working_days_between
from tests import factories

D = datetime.date
pytestmark = pytest.mark.django_db


@pytest.mark.parametrize(
    ("n", "expected"),
    [
        (1, D(2026, 10, 8)),  # 1-7 October off
        (2, D(2026, 10, 9)),
        (3, D(2026, 10, 10)),  # Saturday, a make-up working day
        (4, D(2026, 10, 12)),  # Sunday 11 October is an ordinary day off
    ],
)
def test_adding_working_days_across_national_day_counts_the_make_up_saturday(n, expected):
    assert add_working_days(D(2026, 9, 30), n) == expected


def test_the_make_up_sunday_before_national_day_is_a_working_day():
    assert add_working_days(D(2026, 9, 18), 1) == D(2026, 9, 20)
    assert add_working_days(D(2026, 9, 18), 2) == D(2026, 9, 21)
    # Mid-Autumn Festival, Friday 25 to Sunday 27 September.
    assert add_working_days(D(2026, 9, 24), 1) == D(2026, 9, 28)


def test_spring_festival_with_its_two_make_up_saturdays():
    assert add_working_days(D(2026, 2, 13), 1) == D(2026, 2, 14)  # make-up Saturday
    assert add_working_days(D(2026, 2, 13), 2) == D(2026, 2, 24)  # 15-23 February off
    assert add_working_days(D(2026, 2, 13), 6) == D(2026, 2, 28)  # the second make-up Saturday
    assert add_working_days(D(2026, 2, 13), 7) == D(2026, 3, 2)


def test_subtracting_working_days_skips_the_holiday_backwards():
    assert subtract_working_days(D(2026, 10, 8), 1) == D(2026, 9, 30)
    assert subtract_working_days(D(2026, 10, 12), 1) == D(2026, 10, 10)
    assert subtract_working_days(D(2026, 10, 12), 3) == D(2026, 10, 8)
    assert subtract_working_days(D(2026, 2, 24), 1) == D(2026, 2, 14)


def test_zero_days_is_the_same_day_and_negative_is_refused():
    assert add_working_days(D(2026, 10, 3), 0) == D(2026, 10, 3)
    with pytest.raises(ValueError):
        add_working_days(D(2026, 10, 3), -1)


@pytest.mark.parametrize(
    ("day", "working"),
    [
        (D(2026, 10, 10), True),  # make-up Saturday
        (D(2026, 9, 20), True),  # make-up Sunday
        (D(2026, 10, 5), False),  # Monday in the National Day holiday
        (D(2026, 9, 25), False),  # Friday, Mid-Autumn Festival
        (D(2026, 10, 17), False),  # an ordinary Saturday
        (D(2026, 10, 14), True),  # an ordinary Wednesday
        (D(2026, 1, 4), True),  # New Year make-up Sunday
    ],
)
def test_is_working_day(day, working):
    assert is_working_day(day) is working


def test_working_days_between_counts_the_make_up_day():
    assert working_days_between(D(2026, 9, 30), D(2026, 10, 12)) == 4


def test_long_spans_fetch_more_of_the_calendar():
    # 300 working days from New Year 2026 run into 2027 and pass every 2026 holiday.
    end = add_working_days(D(2026, 1, 1), 300)
    assert working_days_between(D(2026, 1, 1), end) == 300
    # Back again lands on the working day before the first one counted (1-3 January are off).
    assert subtract_working_days(end, 300) == D(2025, 12, 31)


def test_a_calendar_change_in_the_admin_takes_effect(client, has):
    admin = factories.UserFactory(is_staff=True, is_superuser=True)
    client.force_login(admin)
    # The State Council moves a make-up day: 10 October becomes a day off, 11 October a working day.
    holiday = Holiday.objects.get(date=D(2026, 10, 10))
    response = client.post(
        f"/admin/portal/holiday/{holiday.pk}/change/",
        {"date": "2026-10-10", "kind": "holiday", "name": "国庆节"},
        HTTP_HOST="has.localhost",
    )
    assert response.status_code == 302
    response = client.post(
        "/admin/portal/holiday/add/",
        {"date": "2026-10-11", "kind": "workday", "name": "国庆节调休"},
        HTTP_HOST="has.localhost",
    )
    assert response.status_code == 302

    assert is_working_day(D(2026, 10, 10)) is False
    assert add_working_days(D(2026, 9, 30), 3) == D(2026, 10, 11)
    assert Holiday.history.filter(date=D(2026, 10, 10), history_user=admin).exists()


def test_other_processes_see_a_calendar_change_within_a_minute(monkeypatch):
    clock = [1000.0]
    monkeypatch.setattr(workdays._calendar, "clock", lambda: clock[0])
    assert is_working_day(D(2026, 12, 7)) is True
    # Another process added the day: this process's signal never fired.
    Holiday.objects.bulk_create([Holiday(date=D(2026, 12, 7), kind="holiday", name="测试")])
    clock[0] += 59
    assert is_working_day(D(2026, 12, 7)) is True
    clock[0] += 2
    assert is_working_day(D(2026, 12, 7)) is False
