"""An unpaid case is cancelled after its pay deadline: the end of the 3rd calendar day after the
day of submission (certificate_pay_days, [LOCAL]; docs/rules.md §4.2 and §0), by the daily sweep."""

import pytest

from certificates import services, tasks
from certificates.models import Application, CaseEvent, Item
from notices.models import Notice
from portal.models import CitySetting, Payment
from tests.certificates.conftest import D, on, submit

pytestmark = pytest.mark.django_db


def test_an_unpaid_case_lives_to_the_end_of_the_3rd_day_and_the_sweep_then_cancels_it(citizen, has, car):
    with on(D(2026, 9, 30), 23, 50):  # a Wednesday; National Day (1-7 October) changes nothing
        application = submit(citizen, has, Item.VEHICLE_LICENCE, vehicle=car)
        payment = services.application_pay(application)
    assert application.status == Application.Status.SUBMITTED
    with on(D(2026, 10, 3), 23, 59):  # the last day to pay
        assert tasks.sweep() == {"expired_unpaid": 0}
    application.refresh_from_db()
    assert application.status == Application.Status.SUBMITTED
    with on(D(2026, 10, 4), 0, 10):
        assert tasks.sweep() == {"expired_unpaid": 1}
        assert tasks.sweep() == {"expired_unpaid": 0}  # safe to run twice
    application.refresh_from_db()
    assert application.status == Application.Status.CANCELLED
    assert application.events.filter(kind=CaseEvent.Kind.CANCELLED).count() == 1
    payment.refresh_from_db()
    assert payment.status == Payment.Status.CANCELLED
    notice = Notice.objects.get(kind="certificates.expired")
    assert application.number in notice.title and notice.id_number == citizen.id_number


def test_paid_and_cash_on_delivery_cases_never_expire(citizen, has, car, exempt_car):
    with on(D(2026, 3, 2)):
        cod = submit(citizen, has, Item.VEHICLE_LICENCE, vehicle=car, cash_on_delivery=True)
    with on(D(2026, 3, 2), 11):
        free = submit(citizen, has, Item.INSPECTION_MARK, vehicle=exempt_car, delivery="collect")
    with on(D(2026, 4, 30)):
        assert services.applications_expire_unpaid() == 0
    for application in (cod, free):
        application.refresh_from_db()
        assert application.status == Application.Status.UNDER_REVIEW


def test_the_pay_period_is_a_city_setting(citizen, has, car):
    CitySetting.objects.update_or_create(city=has, key="certificate_pay_days", defaults={"value": 1})
    with on(D(2026, 5, 4), 9):
        application = submit(citizen, has, Item.VEHICLE_LICENCE, vehicle=car)
    assert services.pay_deadline(application).date() == D(2026, 5, 6)
    with on(D(2026, 5, 5), 23, 59):
        assert services.applications_expire_unpaid() == 0
    with on(D(2026, 5, 6), 0, 0):
        assert services.applications_expire_unpaid() == 1
