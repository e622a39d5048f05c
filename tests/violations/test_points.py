"""Points cycles (R-PTS art 15, 17) and study for point reduction (arts 25-27)."""

import datetime

import pytest
import time_machine

from notices.models import Notice
from portal import identity
from portal.models import DrivingLicence
from tests.violations.conftest import D, at, on
from violations import services
from violations.models import Decision, StudySession
from violations.services import points

pytestmark = pytest.mark.django_db


def licence_of(user):
    return DrivingLicence.objects.held_by(user.id_number).get()


@pytest.fixture
def driver_with_two_decisions(person, car, record):
    """6 points paid + 3 points unpaid in the cycle 2026-06-01 .. 2027-05-31."""
    owner = person(cycle_start=D(2026, 6, 1))
    vehicle = car(owner)
    with on(D(2026, 7, 2)):
        paid = record(vehicle, when=at(D(2026, 7, 1), 8))
        unpaid = record(vehicle, code_value="1357", fine="100", when=at(D(2026, 7, 1), 9))
        (first,) = services.violation_handle([paid.pk], user=owner)
        (second,) = services.violation_handle([unpaid.pk], user=owner)
    Decision.objects.filter(pk=first.pk).update(status="paid")
    return owner, first, second


def test_cycle_end_clears_paid_points_and_carries_unpaid_ones_and_a_second_run_changes_nothing(
    driver_with_two_decisions,
):
    owner, _paid, unpaid = driver_with_two_decisions
    assert licence_of(owner).points == 9
    assert points.cycles_close(D(2027, 5, 31)) == 0  # the cycle's last day
    assert points.cycles_close(D(2027, 6, 1)) == 1
    licence = licence_of(owner)
    assert (licence.points, licence.cycle_start) == (3, D(2027, 6, 1))
    history = licence.history.count()
    assert points.cycles_close(D(2027, 6, 1)) == 0  # run twice: nothing more
    licence.refresh_from_db()
    assert (licence.points, licence.cycle_start, licence.history.count()) == (3, D(2027, 6, 1), history)
    unpaid.refresh_from_db()
    assert unpaid.points_cycle_start == D(2027, 6, 1)


def test_a_licence_several_cycles_behind_catches_up_in_one_run(person):
    owner = person(points=4, cycle_start=D(2024, 6, 1))
    assert points.cycles_close(D(2026, 7, 1)) == 2
    licence = licence_of(owner)
    assert (licence.points, licence.cycle_start) == (0, D(2026, 6, 1))


def test_reaching_12_holds_the_licence_and_sends_a_notice(person, car, record, clerk_has):
    owner = person(points=6)
    vehicle = car(owner)
    with on(D(2026, 7, 2)):
        violation = record(vehicle, when=at(D(2026, 7, 1)))
        services.violation_handle([violation.pk], user=owner, online=False, by=clerk_has)
    licence = licence_of(owner)
    assert licence.points == 12 and licence.status == "full_score"
    assert Notice.objects.filter(kind="violations.full_score", id_number_hash=identity.id_key(owner.id_number)).exists()


def test_full_score_points_stay_at_cycle_end(person):
    owner = person(points=12, status="full_score", cycle_start=D(2025, 6, 1))
    points.cycles_close(D(2026, 6, 1))
    assert licence_of(owner).points == 12


def _studied(licence, minutes=31):
    session = points.study_start(licence)
    StudySession.objects.filter(pk=session.pk).update(seconds_studied=minutes * 60)
    session.refresh_from_db()
    return session


def _right_answers(session):
    return {str(q.pk): q.answer for q in points.study_questions(session)}


def test_study_of_30_minutes_and_a_passed_test_takes_one_point_off(person):
    owner = person(points=3)
    licence = licence_of(owner)
    with on(D(2026, 7, 1)):
        session = _studied(licence, minutes=29)
        with pytest.raises(services.ViolationError):
            points.study_submit(session, _right_answers(session))
        StudySession.objects.filter(pk=session.pk).update(seconds_studied=30 * 60)
        session.refresh_from_db()
        assert points.study_submit(session, _right_answers(session)) is True
    assert licence_of(owner).points == 2


def test_study_after_3_days_has_expired(person):
    owner = person(points=3)
    with on(D(2026, 7, 1)):
        session = _studied(licence_of(owner))
    with time_machine.travel(at(D(2026, 7, 4), 10, 1), tick=False):
        with pytest.raises(services.ViolationError):
            points.study_submit(session, _right_answers(session))
    assert licence_of(owner).points == 3


def test_a_failed_test_takes_nothing_off(person):
    owner = person(points=3)
    with on(D(2026, 7, 1)):
        session = _studied(licence_of(owner))
        assert points.study_submit(session, {}) is False
    assert licence_of(owner).points == 3


def test_at_most_6_points_a_cycle_by_study(person):
    owner = person(points=9)
    for day in range(1, 8):
        with on(D(2026, 7, day)):
            licence = licence_of(owner)
            if day <= 6:
                session = _studied(licence)
                assert points.study_submit(session, _right_answers(session))
            else:
                assert any("6" in r for r in points.study_refusals(licence))
    assert licence_of(owner).points == 3


def test_study_is_refused_with_unhandled_records_unpaid_fines_probation_or_overdue_inspection(person, car, record):
    owner = person(points=3)
    vehicle = car(owner)
    with on(D(2026, 7, 2)):
        violation = record(vehicle, code_value="1344", fine="100", when=at(D(2026, 7, 1)))
        assert any("handled" in r or "处理" in r for r in points.study_refusals(licence_of(owner)))
        services.violation_handle([violation.pk], user=owner)
        assert any("paid" in r or "缴" in r for r in points.study_refusals(licence_of(owner)))
    novice = person(points=1, first_issued=D(2026, 3, 1))
    with on(D(2026, 7, 2)):
        assert any("probation" in r or "实习" in r for r in points.study_refusals(licence_of(novice)))
    overdue = person(points=1)
    car(overdue, status="overdue")
    with on(D(2026, 7, 2)):
        assert any("inspection" in r or "检验" in r for r in points.study_refusals(licence_of(overdue)))


def test_study_is_refused_after_drink_driving_in_the_last_three_cycles(person, car, record, clerk_has):
    owner = person(points=0)
    vehicle = car(owner)
    with on(D(2026, 7, 2)):
        drunk = record(vehicle, code_value="1711", when=at(D(2026, 7, 1)))
        services.violation_handle([drunk.pk], user=owner, online=False, by=clerk_has)
    DrivingLicence.objects.filter(pk=licence_of(owner).pk).update(status="normal", points=3)
    Decision.objects.update(status="paid")
    with on(D(2026, 8, 1)):
        assert any("第二十七条" in r for r in points.study_refusals(licence_of(owner)))


def test_cycle_end_day_counts_from_the_first_licence_date():
    assert points.cycle_end(D(2026, 6, 1)) == D(2027, 6, 1)
    assert points.cycle_end(D(2024, 2, 29)) == D(2025, 3, 1)
    assert points.cycle_end(D(2026, 6, 1)) - D(2026, 6, 1) == datetime.timedelta(days=365)


def test_study_page_counts_time_by_heartbeats_and_opens_the_test_after_30_minutes(client, person):
    owner = person(points=2)
    client.defaults["HTTP_HOST"] = "has.localhost"
    client.force_login(owner)
    start = at(D(2026, 7, 1), 9)
    with time_machine.travel(start, tick=False):
        client.post("/violations/study/", {"start": "1"})
        assert "学习满 30 分钟后方可考试" in client.get("/violations/study/").content.decode()
    for minute in range(2, 32, 2):  # a report every 2 minutes for 30 minutes
        with time_machine.travel(start + datetime.timedelta(minutes=minute), tick=False):
            client.post("/violations/study/heartbeat/")
    # A tab left open an hour without reports counts 2 minutes, not 60.
    with time_machine.travel(start + datetime.timedelta(minutes=90), tick=False):
        seconds = client.post("/violations/study/heartbeat/").json()["seconds"]
        assert seconds == 32 * 60
        session = StudySession.objects.get()
        page = client.get("/violations/study/").content.decode()
        assert "交卷" in page
        client.post("/violations/study/", {"submit": "1", **{f"q_{k}": v for k, v in _right_answers(session).items()}})
    assert licence_of(owner).points == 1
