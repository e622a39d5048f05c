"""Compulsory scrapping (R-SCRAP art 4(4), 实施条例 art 9, R-REG art 41; docs/rules.md §6.2)."""

import datetime

import pytest
import time_machine
from django.urls import reverse

from notices import own_kinds, services
from notices.models import Announcement, Notice
from portal import identity
from tests.factories import VehicleFactory
from tests.notices.conftest import at

pytestmark = pytest.mark.django_db


def sweep_on(day):
    with time_machine.travel(at(day), tick=False):
        return services.sweep()


def kinds_for(vehicle):
    return set(
        Notice.objects.filter(id_number_hash=identity.id_key(vehicle.owner_id_number)).values_list("kind", flat=True)
    )


@pytest.fixture
def old_car(has):
    # 12 years old when its validity ended on 2024-06-30: yearly cycles, so the 1st, 2nd and 3rd
    # missed cycles end on 2025-06-30, 2026-06-30 and 2027-06-30 (the scrapping date).
    return VehicleFactory(
        city=has,
        registered_on=datetime.date(2012, 6, 15),
        inspection_valid_until=datetime.date(2024, 6, 30),
        status="overdue",
    )


@pytest.mark.parametrize(
    "day_before, day, kind",
    [
        ("2025-06-29", "2025-06-30", own_kinds.SCRAP_WARNING_1),
        ("2026-06-29", "2026-06-30", own_kinds.SCRAP_WARNING_2),
        ("2027-04-29", "2027-04-30", own_kinds.SCRAP_UPCOMING),
        ("2027-06-29", "2027-06-30", own_kinds.SCRAP_DECISION),
    ],
)
def test_each_scrapping_stage_starts_on_its_day(old_car, day_before, day, kind):
    sweep_on(day_before)
    assert kind not in kinds_for(old_car)
    sweep_on(day)
    assert kind in kinds_for(old_car)


def test_scrapping_dates_are_in_the_notice(old_car):
    sweep_on("2027-04-30")
    notice = Notice.objects.get(kind=own_kinds.SCRAP_UPCOMING)
    assert notice.context["scrap_date"] == "2027-06-30"
    assert "2027-06-30" in notice.title


def test_two_year_cycles_count_per_vehicle_age(has):
    # Van registered 2020: validity ended at age 2 (2-year cycle), age 4 (2-year), then yearly from 6.
    van = VehicleFactory(
        city=has,
        is_van=True,
        registered_on=datetime.date(2020, 6, 15),
        inspection_valid_until=datetime.date(2022, 6, 30),
    )
    sweep_on("2024-06-29")
    assert kinds_for(van) == {own_kinds.INSPECTION_OVERDUE}
    sweep_on("2024-06-30")
    assert own_kinds.SCRAP_WARNING_1 in kinds_for(van)
    sweep_on("2026-06-30")
    assert own_kinds.SCRAP_WARNING_2 in kinds_for(van)
    sweep_on("2027-06-30")
    assert own_kinds.SCRAP_DECISION in kinds_for(van)


def test_overdue_scrapping_is_announced_without_personal_data(old_car, has_client):
    sweep_on("2027-07-29")
    assert not Announcement.objects.exists()
    sweep_on("2027-07-30")  # 30 days ([LOCAL] notice_scrap_void_days) after the scrapping date
    sweep_on("2027-07-30")
    item = Announcement.objects.get()
    assert item.kind == own_kinds.SCRAP_VOID and item.city == old_car.city
    assert item.context == {"plate": old_car.plate_number, "scrap_date": "2027-06-30"}
    with time_machine.travel(at("2027-07-30", 12), tick=False):
        response = has_client.get(reverse("notices:announcement", args=[item.pk]))
    assert response.status_code == 200
    page = response.content.decode()
    assert old_car.plate_number in page and "作废" in page
    assert old_car.owner_id_number not in page and old_car.owner_name not in page


def test_deregistered_vehicle_is_not_announced(old_car):
    old_car.status = "deregistered"
    old_car.save(update_fields=["status"])
    sweep_on("2027-08-30")
    assert not Announcement.objects.exists()
    assert kinds_for(old_car) == set()


def test_long_outage_sends_only_the_current_stage(old_car):
    sweep_on("2026-07-10")
    assert kinds_for(old_car) == {own_kinds.SCRAP_WARNING_2}
