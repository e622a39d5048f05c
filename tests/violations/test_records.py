"""Catalogue, recording, notices of new records, and the selectors other apps rely on."""

import datetime

import pytest

from notices.models import Notice
from portal import identity
from tests.violations.conftest import D, at, on
from violations import selectors, services
from violations.models import Violation, ViolationCode

pytestmark = pytest.mark.django_db


def test_catalogue_is_seeded_with_at_least_30_real_codes_each_with_its_source():
    codes = ViolationCode.objects.all()
    assert codes.count() >= 30
    assert all(c.source and c.legal_basis and c.penalty_basis for c in codes)
    assert set(codes.values_list("points", flat=True)) <= {12, 9, 6, 3, 1, 0}
    red_light = codes.get(code="1625")
    assert red_light.points == 6 and red_light.online_allowed
    drunk = codes.get(code="1711")
    assert drunk.suspension and not drunk.online_allowed


def test_unsettled_selectors_follow_the_record_status(person, car, record):
    owner = person()
    vehicle = car(owner)
    assert not selectors.vehicle_has_unsettled(vehicle)
    with on(D(2026, 7, 2)):
        first = record(vehicle, when=at(D(2026, 7, 1)))
    assert selectors.vehicle_has_unsettled(vehicle)
    assert list(selectors.unsettled_for_vehicle(vehicle)) == [first]
    for status, unsettled in [("objected", True), ("decided", True), ("paid", False)]:
        Violation.objects.filter(pk=first.pk).update(status=status)
        assert selectors.vehicle_has_unsettled(vehicle) is unsettled
    Violation.objects.filter(pk=first.pk).update(status="deleted", deleted_reason="plate misread")
    assert not selectors.vehicle_has_unsettled(vehicle)


def test_a_camera_record_notifies_the_owner_and_the_drivers_bound_before_it(person, car, record, bind):
    owner, early, late = person(), person(), person()
    vehicle = car(owner)
    bind(vehicle, early, approved_at=at(D(2026, 6, 1)))
    bind(vehicle, late, approved_at=at(D(2026, 7, 5)))
    with on(D(2026, 7, 6)):
        violation = record(vehicle, when=at(D(2026, 7, 3)))
    assert violation.notified_at is not None or Violation.objects.get(pk=violation.pk).notified_at is not None
    told = set(Notice.objects.filter(kind="violations.recorded").values_list("id_number", flat=True))
    assert told == {owner.id_number, early.id_number}
    # R-PROC art 20: the notice is due within 5 working days of entry.
    assert violation.notify_by > violation.entered_at.date()


def test_fine_outside_the_code_range_is_refused(person, car, record):
    vehicle = car(person())
    with pytest.raises(services.ViolationError) as exc:
        record(vehicle, fine="200.01")
    assert "20" in exc.value.message
    assert not Violation.objects.exists()


def test_proposed_penalty_notice_after_five_records_unhandled_30_days(person, car, record):
    owner = person()
    vehicle = car(owner)
    with on(D(2026, 7, 1)):
        for i in range(5):
            record(vehicle, when=at(D(2026, 6, 20), hour=8 + i))
    with on(D(2026, 7, 30)):
        assert services.sweep_proposed_penalty() == 0  # 29 days
    with on(D(2026, 7, 31)):
        assert services.sweep_proposed_penalty() == 1
        assert services.sweep_proposed_penalty() == 0  # once per set of records
    assert (
        Notice.objects.filter(
            kind="violations.proposed_penalty", id_number_hash=identity.id_key(owner.id_number)
        ).count()
        == 1
    )


def test_four_records_bring_no_proposed_penalty(person, car, record):
    vehicle = car(person())
    with on(D(2026, 7, 1)):
        for i in range(4):
            record(vehicle, when=at(D(2026, 6, 20), hour=8 + i))
    with on(D(2026, 9, 1)):
        assert services.sweep_proposed_penalty() == 0


def test_deleting_needs_a_reason_and_keeps_it(person, car, record, clerk_has):
    vehicle = car(person())
    violation = record(vehicle, when=datetime.datetime.now(datetime.UTC) - datetime.timedelta(hours=1))
    with pytest.raises(services.ViolationError):
        services.violation_delete(violation, reason=" ", by=clerk_has)
    services.violation_delete(violation, reason="号牌识别错误", by=clerk_has)
    violation.refresh_from_db()
    assert violation.status == "deleted" and violation.deleted_reason == "号牌识别错误"
    assert violation.history.first().history_user == clerk_has
