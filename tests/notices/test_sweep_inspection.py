"""Inspection reminders (docs/rules.md §6.1, §6.2): each stage on its first day, once per validity."""

import datetime

import pytest
import time_machine

from notices import own_kinds, services
from notices.models import Notice
from portal import identity
from tests.factories import VehicleFactory
from tests.notices.conftest import at

pytestmark = pytest.mark.django_db

D = datetime.date(2027, 6, 30)


def kinds_for(vehicle):
    return sorted(
        Notice.objects.filter(id_number_hash=identity.id_key(vehicle.owner_id_number)).values_list("kind", flat=True)
    )


def sweep_on(day):
    with time_machine.travel(at(day), tick=False):
        return services.sweep()


@pytest.fixture
def car(has):
    # Registered 2019-06-15: at 2027-06-30 it is 8 years old -> a 2022-reform car claims the mark online.
    # Use an old-rule van here so the window notice is the on-site one.
    return VehicleFactory(city=has, registered_on=datetime.date(2015, 6, 15), is_van=True, inspection_valid_until=D)


def test_window_opens_three_months_before_validity_ends(car):
    sweep_on("2027-03-29")
    assert kinds_for(car) == []
    sweep_on("2027-03-30")
    assert kinds_for(car) == [own_kinds.INSPECTION_WINDOW]
    notice = Notice.objects.get(id_number_hash=identity.id_key(car.owner_id_number))
    assert notice.context == {"plate": car.plate_number, "valid_until": "2027-06-30"}
    assert car.plate_number in notice.title


def test_reform_car_in_year_eight_is_told_to_claim_the_mark_online(has):
    car = VehicleFactory(city=has, registered_on=datetime.date(2019, 6, 15), seats=5, inspection_valid_until=D)
    sweep_on("2027-03-30")
    assert kinds_for(car) == [own_kinds.INSPECTION_CLAIM_MARK]


def test_reform_car_in_year_six_is_inspected_on_site(has):
    car = VehicleFactory(city=has, registered_on=datetime.date(2021, 6, 15), seats=5, inspection_valid_until=D)
    sweep_on("2027-03-30")
    assert kinds_for(car) == [own_kinds.INSPECTION_WINDOW]


def test_thirty_days_and_seven_days_before(car):
    sweep_on("2027-05-30")
    assert own_kinds.INSPECTION_30D not in kinds_for(car)
    sweep_on("2027-05-31")
    assert own_kinds.INSPECTION_30D in kinds_for(car)
    sweep_on("2027-06-22")
    assert own_kinds.INSPECTION_7D not in kinds_for(car)
    sweep_on("2027-06-23")
    assert own_kinds.INSPECTION_7D in kinds_for(car)


def test_overdue_the_day_after_validity_ends(car):
    sweep_on("2027-06-30")
    assert own_kinds.INSPECTION_OVERDUE not in kinds_for(car)
    sweep_on("2027-07-01")
    assert own_kinds.INSPECTION_OVERDUE in kinds_for(car)


def test_a_repeated_run_creates_nothing(car):
    first = sweep_on("2027-03-30")
    assert first["inspection"] == 1
    again = sweep_on("2027-03-30")
    assert sum(again.values()) == 0
    assert Notice.objects.count() == 1


def test_a_skipped_run_catches_up_without_duplicates_or_stale_stages(car):
    sweep_on("2027-06-20")  # 30-day stage
    # The sweep is down from 06-21 to 07-01: the 7-day stage is overtaken, only "overdue" is sent.
    sweep_on("2027-07-01")
    sweep_on("2027-07-01")
    assert kinds_for(car) == sorted([own_kinds.INSPECTION_30D, own_kinds.INSPECTION_OVERDUE])


def test_a_skipped_run_sends_the_stage_that_is_still_current(car):
    sweep_on("2027-03-25")
    sweep_on("2027-04-04")  # 10 days later: the window opened meanwhile
    assert kinds_for(car) == [own_kinds.INSPECTION_WINDOW]


def test_new_validity_period_starts_the_stages_again(car):
    sweep_on("2027-03-30")
    car.inspection_valid_until = datetime.date(2028, 6, 30)
    car.save(update_fields=["inspection_valid_until"])
    sweep_on("2028-03-30")
    assert kinds_for(car) == [own_kinds.INSPECTION_WINDOW, own_kinds.INSPECTION_WINDOW]


def test_deregistered_vehicles_get_no_reminders(has):
    car = VehicleFactory(city=has, inspection_valid_until=D, status="deregistered")
    sweep_on("2027-06-01")
    assert kinds_for(car) == []
