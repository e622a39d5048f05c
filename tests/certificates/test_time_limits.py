"""The office's time limits count working days with the holiday calendar (docs/rules.md §4.3):
National Day 2026 is 1-7 October, with Saturday 10 October a make-up working day."""

import pytest

from certificates.models import Item
from tests.certificates.conftest import D, on, submit
from tests.conftest import city_client

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _calendar(db):
    """The seeded calendar (a transactional test elsewhere may have flushed it)."""
    from portal import processcache
    from portal.cities_data import ensure_holidays
    from portal.models import Holiday

    ensure_holidays(Holiday)
    processcache.clear_all()


def accepted_on(user, city, item, day, **subject):
    with on(day):
        return submit(user, city, item, cash_on_delivery=True, **subject)


def test_one_working_day_across_the_holiday(citizen, has, car):
    application = accepted_on(citizen, has, Item.VEHICLE_LICENCE, D(2026, 9, 30), vehicle=car)
    assert application.status == "under_review" and application.due_on == D(2026, 10, 8)


def test_the_make_up_saturday_counts(citizen, has, car):
    application = accepted_on(citizen, has, Item.REGISTRATION_CERT, D(2026, 10, 9), vehicle=car)
    assert application.due_on == D(2026, 10, 10)


def test_fifteen_working_days_for_plates_across_the_holiday(citizen, has, car):
    application = accepted_on(citizen, has, Item.PLATES, D(2026, 9, 30), vehicle=car)
    assert application.due_on == D(2026, 10, 27)  # Oct 8, 9, 10 (make-up), 12-16, 19-23, 26, 27


def test_the_queue_shows_a_case_past_its_limit_only_after_the_last_day(client, clerk_has, citizen, has, car):
    application = accepted_on(citizen, has, Item.PLATES, D(2026, 9, 30), vehicle=car)
    desk = city_client(client, "has")
    desk.force_login(clerk_has)
    with on(D(2026, 10, 27), 17):
        page = desk.get("/admin/certificates/application/queue/").content.decode()
        assert application.number in page and 'data-testid="late"' not in page
    with on(D(2026, 10, 28), 9):
        page = desk.get("/admin/certificates/application/queue/").content.decode()
        assert application.number in page and 'data-testid="late"' in page
