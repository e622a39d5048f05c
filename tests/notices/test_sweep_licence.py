"""Driving-licence reminders (R-DL arts 63, 79) and points (R-PTS arts 17, 29)."""

import datetime

import pytest
import time_machine

from notices import own_kinds, services
from notices.models import Notice
from portal import identity
from tests.factories import DrivingLicenceFactory
from tests.notices.conftest import at

pytestmark = pytest.mark.django_db


def sweep_on(day):
    with time_machine.travel(at(day), tick=False):
        return services.sweep()


def kinds_for(licence):
    return sorted(
        Notice.objects.filter(id_number_hash=identity.id_key(licence.id_number)).values_list("kind", flat=True)
    )


@pytest.fixture
def licence(has):
    return DrivingLicenceFactory(city=has, valid_until=datetime.date(2027, 6, 30), points=0)


def test_renewal_window_opens_90_days_before_expiry(licence):
    sweep_on("2027-03-31")
    assert kinds_for(licence) == []
    sweep_on("2027-04-01")
    assert kinds_for(licence) == [own_kinds.LICENCE_WINDOW]


def test_expired_the_day_after(licence):
    sweep_on("2027-06-30")
    assert own_kinds.LICENCE_EXPIRED not in kinds_for(licence)
    sweep_on("2027-07-01")
    assert own_kinds.LICENCE_EXPIRED in kinds_for(licence)


def test_cancelled_more_than_one_year_after_expiry(licence):
    sweep_on("2028-06-30")
    assert own_kinds.LICENCE_CANCELLED not in kinds_for(licence)
    sweep_on("2028-07-01")
    assert own_kinds.LICENCE_CANCELLED in kinds_for(licence)
    sweep_on("2028-07-05")
    assert kinds_for(licence).count(own_kinds.LICENCE_CANCELLED) == 1


def test_long_term_licences_never_expire(has):
    licence = DrivingLicenceFactory(city=has, valid_until=None)
    sweep_on("2040-01-01")
    assert kinds_for(licence) == []


def test_points_warning_from_nine_and_full_score_at_twelve_once_per_cycle(has):
    licence = DrivingLicenceFactory(city=has, points=8, cycle_start=datetime.date(2026, 6, 1))
    sweep_on("2026-09-01")
    assert kinds_for(licence) == []
    licence.points = 9
    licence.save(update_fields=["points"])
    sweep_on("2026-09-02")
    sweep_on("2026-09-03")
    assert kinds_for(licence) == [own_kinds.POINTS_9]
    licence.points = 12
    licence.save(update_fields=["points"])
    sweep_on("2026-09-04")
    assert kinds_for(licence) == [own_kinds.POINTS_12, own_kinds.POINTS_9]
    # A new points cycle starts the counting again.
    licence.points, licence.cycle_start = 9, datetime.date(2027, 6, 1)
    licence.save(update_fields=["points", "cycle_start"])
    sweep_on("2027-07-01")
    assert kinds_for(licence).count(own_kinds.POINTS_9) == 2
