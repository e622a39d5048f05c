"""The request path reads the plan and the candidate's records and their live subjects
with records_query (services.candidates), as record_find does: it must decide exactly as record_find + request_refusals do.

Each test runs through the clerk's entry point (request_create with a plan) and the candidate's
(request_create_online with the plan's id, what the page calls).
"""

import datetime

import pytest

from exams import services
from exams.models import ExamPlan, ExamRequest, LearnerRecord
from portal import identity
from tests.exams.conftest import at, on, sit

D = datetime.date
pytestmark = pytest.mark.django_db


@pytest.fixture(params=["service", "online"])
def request_as(request):
    """request_as(user, plan) -> the request, or the list of refusal reasons."""

    def make(user, plan):
        try:
            if request.param == "service":
                return services.request_create(plan=plan, id_number=user.id_number)
            return services.request_create_online(city=plan.city, plan_id=plan.pk, user=user)
        except services.ExamError as exc:
            return exc.reasons

    return make


def reference_refusals(user, plan):
    """What the plans page shows, through the ORM reads."""
    return services.request_refusals(services.record_find(plan.city, user.id_number), plan)


def test_request_writes_the_row_and_its_audit_row(make_learner, make_plan, request_as):
    user, record = make_learner("C1")
    plan = make_plan(D(2026, 7, 20))
    with on(D(2026, 7, 1)):
        req = request_as(user, plan)
    stored = ExamRequest.objects.get(pk=req.pk)
    assert (stored.record_id, stored.plan_id, stored.status, stored.draw_hash) == (
        record.pk,
        plan.pk,
        "requested",
        req.draw_hash,
    )
    assert stored.key_time == record.application_accepted_at == req.key_time
    audit = ExamRequest.history.get(id=req.pk)
    assert (audit.history_type, audit.status, audit.draw_hash) == ("+", "requested", req.draw_hash)


def test_failure_wait_is_applied_to_the_same_subject_only(make_learner, make_plan, request_as):
    user, record = make_learner("C1", permit_on=D(2026, 5, 4))
    sit(make_plan(D(2026, 6, 15), subject="2"), [(user, "fail")])
    nxt = make_plan(D(2026, 7, 31), subject="2")
    road = make_plan(D(2026, 7, 31), subject="3", starts=14)
    with on(D(2026, 6, 29)):  # 10 working days after 15 June, over the Dragon Boat holiday
        refused = request_as(user, nxt)
        assert refused == reference_refusals(user, nxt)
        assert any("2026-06-30起" in r for r in refused)
        assert isinstance(request_as(user, road), ExamRequest)
    with on(D(2026, 6, 30)):
        assert reference_refusals(user, nxt) == []
        assert isinstance(request_as(user, nxt), ExamRequest)


def test_live_requests_bookings_used_and_passes_refuse_as_on_the_page(make_learner, make_plan, request_as):
    user, _ = make_learner("C1", permit_on=D(2026, 1, 5), road_bookings=5)
    s2a, s2b = make_plan(D(2026, 7, 20), "2"), make_plan(D(2026, 7, 21), "2")
    road, s1 = make_plan(D(2026, 7, 22), "3"), make_plan(D(2026, 7, 23), "1")
    with on(D(2026, 7, 1)):
        assert isinstance(request_as(user, s2a), ExamRequest)
        for plan in (s2b, road, s1):
            refused = request_as(user, plan)
            assert refused and refused == reference_refusals(user, plan)
    assert ExamRequest.objects.filter(id_number_hash=identity.id_key(user.id_number), status="requested").count() == 1


def test_priority_and_ranking_time_are_fixed_as_before(make_learner, make_plan, request_as):
    # Permit valid until 2027-01-05: under 6 months left from 2026-07-06.
    user, record = make_learner("C1", permit_on=D(2024, 1, 5), accepted=at(D(2023, 12, 1)))
    LearnerRecord.objects.filter(pk=record.pk).update(last_exam_on=D(2026, 5, 1), last_cancel_at=at(D(2026, 5, 20), 9))
    plan = make_plan(D(2026, 7, 31), subject="2")
    with on(D(2026, 7, 6)):
        req = request_as(user, plan)
    assert req.priority is True
    assert req.key_time == at(D(2026, 5, 20), 9)


def test_two_class_applicant_books_with_the_record_the_session_examines(make_learner, make_plan, request_as, has):
    user, c1 = make_learner("C1", accepted=at(D(2026, 3, 1)))
    b2 = LearnerRecord.objects.create(
        city=has,
        id_number=user.id_number,
        name=user.real_name,
        licence_class="B2",
        application_accepted_at=at(D(2026, 1, 5)),
    )
    only_b2 = make_plan(D(2026, 7, 20), classes=["B2"])
    both = make_plan(D(2026, 7, 21), classes=["B2", "C1"])
    with on(D(2026, 7, 1)):
        assert request_as(user, only_b2).record_id == b2.pk
    ExamRequest.objects.filter(id_number_hash=identity.id_key(user.id_number)).update(status="withdrawn")
    with on(D(2026, 7, 1)):
        assert request_as(user, both).record_id == c1.pk  # the newest record, examined here too


def test_void_and_completed_records_are_not_used_when_an_active_one_exists(make_learner, make_plan, request_as, has):
    user, active = make_learner("C1", accepted=at(D(2026, 1, 5)))
    for status in ("void", "completed"):
        LearnerRecord.objects.create(
            city=has,
            id_number=user.id_number,
            name=user.real_name,
            licence_class="C1",
            application_accepted_at=at(D(2026, 3, 1)),
            status=status,
        )
    plan = make_plan(D(2026, 7, 20))
    with on(D(2026, 7, 1)):
        assert request_as(user, plan).record_id == active.pk


def test_only_a_completed_record_means_apply_at_the_counter(make_learner, make_plan, request_as):
    user, record = make_learner("C1")
    LearnerRecord.objects.filter(pk=record.pk).update(status="completed")
    plan = make_plan(D(2026, 7, 20))
    with on(D(2026, 7, 1)):
        refused = request_as(user, plan)
    assert refused == reference_refusals(user, plan) and "窗口办理" in refused[0]


def test_online_request_finds_only_plans_of_the_site_city(make_learner, make_plan, szv, has_client):
    user, _ = make_learner("C1")
    plan = make_plan(D(2026, 7, 20))
    with on(D(2026, 7, 1)):
        for city, plan_id in ((szv, plan.pk), (plan.city, 2**63), (plan.city, 0)):
            with pytest.raises(ExamPlan.DoesNotExist):
                services.request_create_online(city=city, plan_id=plan_id, user=user)
        has_client.force_login(user)
        assert has_client.post(f"/exams/plans/{2**64}/request/").status_code == 404
    assert not ExamRequest.objects.exists()
