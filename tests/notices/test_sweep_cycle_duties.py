"""The 70+ medical and the A/B review after each points cycle (R-DL arts 72, 74, 79; docs/rules.md
§6.2): the day the cycle ends, the holder's age on it, deferrals, medicals on file, point records."""

import datetime
import types
from decimal import Decimal

import pytest
import time_machine

from notices import own_kinds, services
from notices.models import Notice
from portal import identity
from tests import factories
from tests.certificates.conftest import doctor, institution, upload_medical  # noqa: F401 (fixtures)
from tests.notices.conftest import at
from tests.violations.conftest import code as seeded_code
from violations.models import Decision, Violation
from violations.services.points import cycles_close

pytestmark = pytest.mark.django_db

D = datetime.date
CYCLE_END = D(2026, 6, 1)  # the first day after the cycle 2025-06-01 .. 2026-05-31


def sweep_on(day):
    with time_machine.travel(at(day), tick=False):
        return services.sweep()


def notices_of(licence):
    return list(
        Notice.objects.filter(id_number_hash=identity.id_key(licence.id_number))
        .order_by("id")
        .values_list("kind", "context", "dedupe_key")
    )


def kinds_of(licence):
    return [kind for kind, _, _ in notices_of(licence)]


def holder(born: D, **fields):
    fields = {"first_issued_on": D(2000, 6, 1), "cycle_start": D(2025, 6, 1), "licence_class": "C1", **fields}
    return factories.DrivingLicenceFactory(id_number=factories.make_id_number(birth=born), **fields)


def points_recorded(licence, day: D, points=3):
    """A decision with points taken on `day` (what violations' handling leaves behind)."""
    vehicle = factories.VehicleFactory(city=licence.city)
    code = seeded_code("1625")  # running a red light, 6 points; seeded again if a test flushed it
    when = at(day)
    violation = Violation.objects.create(
        city=licence.city,
        vehicle=vehicle,
        plate_number=vehicle.plate_number or "苏H12345",
        code=code,
        occurred_at=when,
        place="淮海东路",
        fine=Decimal("200"),
        points=points,
        entered_at=when,
        notify_by=day,
        status=Violation.Status.PAID,
    )
    return Decision.objects.create(
        number=f"D{violation.pk:010d}",
        violation=violation,
        city=licence.city,
        licence=licence,
        handler_id_number=licence.id_number,
        handler_name=licence.holder_name,
        decided_at=when,
        due_on=day + datetime.timedelta(days=15),
        fine=Decimal("200"),
        points=points,
        points_cycle_start=licence.cycle_start,
        status=Decision.Status.PAID,
    )


def test_the_medical_is_noticed_the_day_the_cycle_ends_not_the_day_before():
    licence = holder(D(1956, 5, 1))
    sweep_on(CYCLE_END - datetime.timedelta(days=1))
    assert kinds_of(licence) == []
    created = sweep_on(CYCLE_END)
    assert created["medical"] == 1 and kinds_of(licence) == [own_kinds.MEDICAL_DUE]
    [(_, context, key)] = notices_of(licence)
    assert context["cycle_end"] == "2026-05-31" and context["due_by"] == "2026-06-30"
    assert key == f"med:{licence.pk}:20260601:due"


def test_the_cycles_job_having_run_finds_the_same_cycle_end():
    """Whether violations' daily job already moved cycle_start on or not, the key is the same."""
    licence = holder(D(1956, 5, 1), cycle_start=CYCLE_END)
    sweep_on(CYCLE_END)
    assert [key for _, _, key in notices_of(licence)] == [f"med:{licence.pk}:20260601:due"]


def test_age_69_on_the_cycle_end_is_not_noticed_70_is():
    turns_70_next_day = holder(D(1956, 6, 2))
    turns_70_that_day = holder(D(1956, 6, 1))
    sweep_on(CYCLE_END)
    sweep_on(D(2026, 6, 5))  # 70 by now, but not on the day the cycle ended
    assert kinds_of(turns_70_next_day) == []
    assert kinds_of(turns_70_that_day) == [own_kinds.MEDICAL_DUE]


def test_a_deferral_until_tomorrow_suppresses_the_notice_one_until_yesterday_does_not():
    today = D(2026, 6, 10)
    deferred = holder(D(1950, 1, 1), medical_deferred_until=today + datetime.timedelta(days=1))
    lapsed = holder(D(1950, 1, 1), medical_deferred_until=today - datetime.timedelta(days=1))
    sweep_on(today)
    assert kinds_of(deferred) == []
    assert kinds_of(lapsed) == [own_kinds.MEDICAL_DUE]


def test_a_medical_examined_after_the_cycle_end_counts_one_before_it_does_not(doctor):  # noqa: F811
    after = holder(D(1950, 1, 1), holder_name="张老")
    before = holder(D(1950, 1, 1), holder_name="李老")
    upload_medical(doctor, types.SimpleNamespace(id_number=after.id_number, real_name="张老"), CYCLE_END)
    upload_medical(doctor, types.SimpleNamespace(id_number=before.id_number, real_name="李老"), D(2026, 5, 31))
    sweep_on(D(2026, 6, 5))
    assert kinds_of(after) == []
    assert kinds_of(before) == [own_kinds.MEDICAL_DUE]


def test_overdue_after_30_days_then_nothing_more_in_that_cycle():
    licence = holder(D(1950, 1, 1))
    sweep_on(D(2026, 6, 30))  # the 30th day: still due
    assert kinds_of(licence) == [own_kinds.MEDICAL_DUE]
    sweep_on(D(2026, 7, 1))
    assert kinds_of(licence) == [own_kinds.MEDICAL_DUE, own_kinds.MEDICAL_OVERDUE]
    context = notices_of(licence)[1][1]
    assert context["last_day"] == "2027-05-31"
    cycles_close(D(2026, 6, 2))  # violations' daily job moves the cycle on
    sweep_on(D(2027, 5, 31))
    assert len(kinds_of(licence)) == 2
    # The next cycle's end starts it again.
    sweep_on(D(2027, 6, 1))
    assert kinds_of(licence)[-1] == own_kinds.MEDICAL_DUE and len(kinds_of(licence)) == 3


def test_a_missed_due_stage_catches_up_with_the_overdue_notice_only():
    licence = holder(D(1950, 1, 1))
    sweep_on(D(2026, 8, 1))
    assert kinds_of(licence) == [own_kinds.MEDICAL_OVERDUE]


def test_no_cycle_has_ended_in_the_first_year_nor_for_a_cancelled_licence():
    first_year = holder(D(1950, 1, 1), first_issued_on=D(2026, 3, 1), cycle_start=D(2026, 3, 1))
    cancelled = holder(D(1950, 1, 1), status="cancelled")
    sweep_on(CYCLE_END)
    assert kinds_of(first_year) == [] and kinds_of(cancelled) == []


def test_the_sweep_run_twice_sends_nothing_twice():
    medical = holder(D(1950, 1, 1))
    review = holder(D(1980, 1, 1), licence_class="B2")
    points_recorded(review, D(2025, 12, 1))
    first = sweep_on(CYCLE_END)
    second = sweep_on(CYCLE_END)
    assert (first["medical"], first["review"]) == (1, 1)
    assert (second["medical"], second["review"]) == (0, 0)
    assert kinds_of(medical) == [own_kinds.MEDICAL_DUE] and kinds_of(review) == [own_kinds.REVIEW_DUE]


def test_a_b_holders_with_points_in_the_cycle_are_noticed_of_the_review_c1_holders_not():
    large = holder(D(1980, 1, 1), licence_class="B2")
    car = holder(D(1980, 1, 1), licence_class="C1")
    points_recorded(large, D(2025, 12, 1))
    points_recorded(car, D(2025, 12, 1))
    sweep_on(CYCLE_END - datetime.timedelta(days=1))
    assert kinds_of(large) == []
    sweep_on(CYCLE_END)
    assert kinds_of(large) == [own_kinds.REVIEW_DUE] and kinds_of(car) == []
    sweep_on(D(2026, 7, 1))
    assert kinds_of(large) == [own_kinds.REVIEW_DUE, own_kinds.REVIEW_OVERDUE]


def test_a_cycle_without_points_needs_no_review_nor_do_points_of_the_cycle_before():
    """R-DL art 72: a cycle without any point record spares the review of that cycle."""
    clean = holder(D(1980, 1, 1), licence_class="A2")
    earlier = holder(D(1980, 1, 1), licence_class="A1")
    points_recorded(earlier, D(2025, 5, 31))  # the last day of the cycle before
    sweep_on(CYCLE_END)
    assert kinds_of(clean) == [] and kinds_of(earlier) == []


def test_a_review_deferral_covering_today_suppresses_it():
    today = D(2026, 6, 10)
    deferred = holder(D(1980, 1, 1), licence_class="A1", review_deferred_until=today)
    lapsed = holder(D(1980, 1, 1), licence_class="A1", review_deferred_until=today - datetime.timedelta(days=1))
    points_recorded(deferred, D(2026, 1, 5))
    points_recorded(lapsed, D(2026, 1, 5))
    sweep_on(today)
    assert kinds_of(deferred) == []
    assert kinds_of(lapsed) == [own_kinds.REVIEW_DUE]


def test_the_birth_date_follows_the_id_number():
    licence = holder(D(1956, 2, 29))
    assert licence.holder_born_on == D(1956, 2, 29)
    licence.id_number = factories.make_id_number(birth=D(1961, 7, 1))
    licence.save()
    licence.refresh_from_db()
    assert licence.holder_born_on == D(1961, 7, 1)


def test_born_29_february_is_70_on_1_march():
    licence = holder(D(1956, 2, 29), first_issued_on=D(2000, 3, 1), cycle_start=D(2025, 2, 28))
    sweep_on(D(2026, 2, 28))  # the cycle ended, but the holder is 69 that day
    assert kinds_of(licence) == []
    later = holder(D(1956, 2, 29), first_issued_on=D(2000, 3, 1), cycle_start=D(2025, 3, 1))
    sweep_on(D(2026, 3, 1))
    assert kinds_of(later) == [own_kinds.MEDICAL_DUE]


def test_the_medical_notice_leads_to_the_holders_certificates():
    from portal import hooks

    url, label = hooks.notice_link(own_kinds.MEDICAL_DUE, {})
    assert url == "/certificates/medical/" and label
