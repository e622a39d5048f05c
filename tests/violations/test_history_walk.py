"""Every transition of a violation record, a decision, a licence's points, a binding, an
objection, a watch entry and a study session leaves one history row with the person who made
it (portal.audit; docs/architecture.md "Audit"): the citizen online, the clerk at the counter or
in the admin, nobody for the sweeps and the gateway's notification."""

import pytest

from portal.models import DrivingLicence
from tests.audit import created_row, one_row
from tests.violations.conftest import D, at, on
from tests.violations.test_fines import _pay
from violations import services
from violations.models import Binding, Decision, Objection, StudySession, Violation, WatchEntry
from violations.services import objections, points

pytestmark = pytest.mark.django_db


def licence_of(user):
    return DrivingLicence.objects.held_by(user.id_number).get()


def test_a_record_notified_handled_online_and_paid(person, car, record, has_client):
    owner = person(points=0)
    vehicle = car(owner)
    with on(D(2026, 7, 1)):
        violation = record(vehicle, when=at(D(2026, 6, 30)))
        Violation.objects.filter(pk=violation.pk).update(notified_at=None)  # test data: not told yet
        with one_row(violation, None):
            assert services.violation_notify(violation)
        licence = licence_of(owner)
        with one_row(violation, owner), one_row(licence, owner):
            (decision,) = services.violation_handle([violation.pk], user=owner)
        created_row(Decision, decision.pk, owner)
        payment = services.decision_pay_start(decision, payer=owner)
        # The gateway's notification settles it; the history names the payer whose money it was.
        with one_row(decision, owner), one_row(violation, owner):
            assert has_client.post("/pay/notify/", _pay(payment.order_number)).content == b"success"


def test_counter_handling_to_12_points_holds_the_licence(person, car, record, clerk_has):
    owner = person(points=6)
    vehicle = car(owner)
    with on(D(2026, 7, 2)):
        violation = record(vehicle, when=at(D(2026, 7, 1)))
        licence = licence_of(owner)
        before = licence.history.count()
        services.violation_handle([violation.pk], user=owner, online=False, by=clerk_has)
    # Two transitions of the licence, each with its row: the points, then the full-score hold.
    rows = list(licence.history.order_by("history_id"))[before:]
    assert [(r.points, r.status, r.history_user_id) for r in rows] == [
        (12, "normal", clerk_has.pk),
        (12, "full_score", clerk_has.pk),
    ]


def test_an_objection_filed_and_decided_and_a_record_deleted(person, car, record, clerk_has):
    owner = person()
    vehicle = car(owner)
    with on(D(2026, 7, 1)):
        violation = record(vehicle, when=at(D(2026, 6, 30)))
        with one_row(violation, owner):
            objection = objections.objection_file(violation, user=owner, reason="号牌被套用")
        created_row(Objection, objection.pk, owner)
        with one_row(objection, clerk_has), one_row(violation, clerk_has):
            objections.objection_decide(objection, upheld=False, note="照片清晰", by=clerk_has)
        with one_row(violation, clerk_has):
            services.violation_delete(violation, reason="重复录入", by=clerk_has)


def test_a_binding_requested_approved_revoked_and_refused(person, car):
    owner, driver, other = person(), person(), person()
    vehicle = car(owner)

    def ask(user):
        return services.binding_request(
            user=user,
            plate_type=vehicle.plate_type,
            plate_number=vehicle.plate_number,
            engine_last6=vehicle.engine_number[-6:],
            relationship="friend",
        )

    binding = ask(driver)
    created_row(Binding, binding.pk, driver)
    with one_row(binding, owner):
        services.binding_approve(binding, owner=owner)
    with one_row(binding, driver):
        services.binding_revoke(binding, user=driver)
    refused = ask(other)
    with one_row(refused, owner):
        services.binding_refuse(refused, owner=owner)


def test_a_watch_entry_cleared_by_the_clerk(person, has, clerk_has):
    owner = person()
    entry = WatchEntry.objects.create(
        city=has,
        id_number=licence_of(owner).id_number,
        name=owner.real_name,
        reason=WatchEntry.Reason.values[0],
        detail="test",
        listed_at=at(D(2026, 7, 1)),
    )
    with one_row(entry, clerk_has):
        services.watch_clear(entry, reason="核实无误", by=clerk_has)


def test_study_sessions_and_the_cycle_sweep(person):
    owner = person(points=3, cycle_start=D(2025, 7, 1))
    licence = licence_of(owner)
    with on(D(2026, 6, 1)):
        session = points.study_start(licence, user=owner)
        created_row(StudySession, session.pk, owner)
    with on(D(2026, 6, 5)), one_row(session, owner):
        # 3 days later the session has expired: starting again closes it first.
        fresh = points.study_start(licence, user=owner)
    StudySession.objects.filter(pk=fresh.pk).update(seconds_studied=31 * 60)  # test data: 31 minutes studied
    fresh.refresh_from_db()
    answers = {str(q.pk): q.answer for q in points.study_questions(fresh)}
    with on(D(2026, 6, 5), 11), one_row(fresh, owner), one_row(licence, owner):
        assert points.study_submit(fresh, answers, user=owner)
    with one_row(licence, None):
        points.cycles_close(D(2026, 7, 1))
    assert Violation.objects.count() == 0
