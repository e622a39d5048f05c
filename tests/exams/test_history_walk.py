"""Every transition of an exam plan, a request, a learner record and a result leaves one
history row with the person who made it (portal.audit, exams/sql.py for the draw's set-based
rows; docs/architecture.md "Audit"): the candidate on their pages, the clerk at the counter or in
the admin, nobody for the draw and the sweeps."""

import datetime

import pytest

from exams import services
from exams.models import ExamPlan, ExamRequest, ExamResult, LearnerRecord
from portal import identity
from tests.audit import acting_as, created_row, one_row
from tests.exams.conftest import at, on, pay_fee

D = datetime.date
pytestmark = pytest.mark.django_db


def test_a_plan_from_publication_to_results(make_learner, make_plan, clerk_has):
    a, record_a = make_learner("C1", accepted=at(D(2026, 2, 1)))
    b, record_b = make_learner("C1", accepted=at(D(2026, 2, 2)))
    c, _ = make_learner("C1", accepted=at(D(2026, 2, 3)))
    plan = make_plan(D(2026, 6, 15), capacity=1, publish=False)  # Monday
    with on(D(2026, 5, 1)), acting_as(clerk_has), one_row(plan, clerk_has):
        services.plan_publish(plan)
    plan.refresh_from_db()
    with on(plan.closes_on - datetime.timedelta(days=1)):
        reqs = [services.request_create_online(city=plan.city, plan_id=plan.pk, user=u) for u in (a, b, c)]
        for req, user in zip(reqs, (a, b, c), strict=True):
            created_row(ExamRequest, req.pk, user)
        with (
            acting_as(c),
            one_row(reqs[2], c),
            one_row(LearnerRecord.objects.get(id_number_hash=identity.id_key(c.id_number)), c),
        ):
            services.request_withdraw(reqs[2], id_number=c.id_number)
    req_a, req_b = reqs[:2]
    with on(plan.closes_on, 1):
        with one_row(plan, None), one_row(req_a, None), one_row(req_b, None):
            assert services.plans_allocate([plan.pk]) == [plan.pk]
        with one_row(plan, None):
            services.decisions_notify([plan.pk])
        with one_row(req_a, None):
            pay_fee(req_a, a)  # the gateway's signed notification settles it: nobody signed in
    with on(D(2026, 6, 12), 16):
        with one_row(req_a, clerk_has), one_row(record_a, clerk_has), one_row(req_b, None):
            services.booking_cancel(req_a, actor=clerk_has)  # the freed seat is offered on to b
        with acting_as(b), one_row(req_b, b):
            services.offer_respond(req_b, id_number=b.id_number, accept=True)
        pay_fee(req_b, b)
    with on(plan.date, 18), one_row(req_b, clerk_has), one_row(record_b, clerk_has), one_row(plan, clerk_has):
        result = services.result_record(req_b, "pass", actor=clerk_has)
    created_row(ExamResult, result.pk, clerk_has)


def test_the_office_cancels_a_plan(make_learner, make_plan, clerk_has):
    a, _ = make_learner("C1", accepted=at(D(2026, 2, 1)))
    plan = make_plan(D(2026, 6, 15), capacity=1)
    with on(plan.closes_on - datetime.timedelta(days=1)):
        req = services.request_create(plan=plan, id_number=a.id_number, channel="counter", actor=clerk_has)
        created_row(ExamRequest, req.pk, clerk_has)
        with one_row(plan, clerk_has), one_row(req, clerk_has):
            services.plan_cancel(plan, actor=clerk_has)
    assert ExamPlan.objects.get(pk=plan.pk).status == ExamPlan.Status.CANCELLED
