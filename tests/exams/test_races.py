"""Under a rush: real threads, real PostgreSQL connections.

Barriers hold every thread at the point just before the write, so each test also proves the
race is real: all threads passed the Python checks at the same time, and only PostgreSQL (the
partial unique constraint, the conditional status UPDATE, the plan row lock) kept the outcome right.
"""

import datetime

import pytest
from django.db import connection

from exams import services
from exams.models import ExamPlan, ExamRequest
from exams.services import requests as request_services
from portal import identity
from tests.exams.conftest import at, on
from tests.races import barrier, race

D = datetime.date
pytestmark = pytest.mark.django_db(transaction=True)
THREADS = 16


def barrier_before_insert(monkeypatch, parties):
    """Hold every request_create call after its eligibility checks, right before the INSERT."""
    gate = barrier(parties, timeout=20)
    reached = []
    original = services.record_key_time

    def held(record):
        reached.append(1)
        gate.wait()
        return original(record)

    # The request path calls the name it imported into its own module.
    monkeypatch.setattr(request_services, "record_key_time", held)
    return reached


def test_one_candidate_submitting_16_times_at_once_gets_one_live_request(make_learner, make_plan, monkeypatch):
    user, _ = make_learner("C1")
    plans = [make_plan(D(2026, 7, 20), starts=8 + (i % 8), capacity=5) for i in range(4)]
    reached = barrier_before_insert(monkeypatch, THREADS)
    with on(D(2026, 7, 1)):
        results, errors = race(
            lambda i: services.request_create(plan=plans[i % 4], id_number=user.id_number),
            THREADS,
            start_together=False,
        ).returned_and_raised
    # Control: every thread passed the Python eligibility check concurrently ...
    assert len(reached) == THREADS
    # ... and only the partial unique constraint stopped fifteen of them, with the page's message.
    assert len([r for r in results if r is not None]) == 1
    assert len(errors) == THREADS - 1
    assert all(isinstance(e, services.ExamError) and "不能重复申请" in e.message for e in errors)
    assert ExamRequest.objects.filter(id_number_hash=identity.id_key(user.id_number), status="requested").count() == 1


def test_many_candidates_rushing_one_session_each_get_exactly_one_request(make_learner, make_plan, monkeypatch):
    users = [make_learner("C1")[0] for _ in range(THREADS)]
    plan = make_plan(D(2026, 7, 20), capacity=4)
    threads = THREADS * 2  # every candidate double-submits
    reached = barrier_before_insert(monkeypatch, threads)
    with on(D(2026, 7, 1)):
        results, errors = race(
            lambda i: services.request_create(plan=plan, id_number=users[i % THREADS].id_number),
            threads,
            start_together=False,
        ).returned_and_raised
    assert len(reached) == threads
    assert len(errors) == THREADS and all("不能重复申请" in e.message for e in errors)
    live = ExamRequest.objects.filter(plan=plan, status="requested")
    assert live.count() == THREADS
    assert live.values("id_number").distinct().count() == THREADS


def test_concurrent_draws_allocate_once_and_never_beyond_capacity(make_learner, make_plan):
    plan = make_plan(D(2026, 7, 20), capacity=5)
    with on(D(2026, 7, 1)):
        for i in range(30):
            user, _ = make_learner("C1", accepted=at(D(2026, 1, 1)) + datetime.timedelta(minutes=i))
            services.request_create(plan=plan, id_number=user.id_number)
    gate = barrier(THREADS, timeout=20)

    def draw(i):
        gate.wait()  # all sixteen start the draw together
        return services.plan_allocate(plan) if i % 2 else services.sweep()["allocated"]

    with on(plan.closes_on):
        results, errors = race(draw, THREADS, start_together=False).returned_and_raised
    assert errors == []
    assert sum(bool(r) for r in results) == 1  # exactly one run moved the plan
    assert ExamRequest.objects.filter(plan=plan, status="allocated").count() == 5
    assert ExamRequest.objects.filter(plan=plan, status="not_allocated").count() == 25
    assert sorted(ExamRequest.objects.filter(plan=plan).values_list("rank", flat=True)) == list(range(1, 31))
    assert ExamPlan.objects.get(pk=plan.pk).status == "allocated"


def test_concurrent_offers_of_freed_seats_never_exceed_capacity(make_learner, make_plan, clerk_has):
    plan = make_plan(D(2026, 7, 20), capacity=3)
    with on(D(2026, 7, 1)):
        reqs = []
        for i in range(20):
            user, _ = make_learner("C1", accepted=at(D(2026, 1, 1)) + datetime.timedelta(minutes=i))
            reqs.append(services.request_create(plan=plan, id_number=user.id_number))
    with on(plan.closes_on):
        services.sweep()
    gate = barrier(THREADS, timeout=20)
    with on(D(2026, 7, 14)):
        # Two seats freed; sixteen offer runs race to fill them.
        for req in reqs[:2]:
            req.refresh_from_db()
            ExamRequest.objects.filter(pk=req.pk).update(status="cancelled")

        def offer(i):
            gate.wait()
            return len(services.seats_offer(plan))

        results, errors = race(offer, THREADS, start_together=False).returned_and_raised
    assert errors == []
    assert sum(results) == 2
    assert ExamRequest.objects.filter(plan=plan, status__in=["allocated", "offered"]).count() == 3


def test_control_without_the_partial_unique_constraint_the_rush_duplicates(make_learner, make_plan, monkeypatch):
    """The same rush with the constraint removed: the Python checks alone let every thread in."""
    user, _ = make_learner("C1")
    plan = make_plan(D(2026, 7, 20), capacity=5)
    barrier_before_insert(monkeypatch, THREADS)
    (constraint,) = [c for c in ExamRequest._meta.constraints if c.name == "examrequest_one_live_per_subject"]
    with connection.schema_editor() as editor:
        editor.remove_constraint(ExamRequest, constraint)
    try:
        with on(D(2026, 7, 1)):
            results, errors = race(
                lambda i: services.request_create(plan=plan, id_number=user.id_number), THREADS, start_together=False
            ).returned_and_raised
        live = ExamRequest.objects.filter(id_number_hash=identity.id_key(user.id_number), status="requested").count()
    finally:
        ExamRequest.objects.all().delete()
        with connection.schema_editor() as editor:
            editor.add_constraint(ExamRequest, constraint)
    assert errors == []
    assert live == THREADS
    with connection.cursor() as cursor:
        assert "examrequest_one_live_per_subject" in connection.introspection.get_constraints(
            cursor, "exams_examrequest"
        )


def test_a_payment_and_the_unpaid_sweep_at_the_same_moment_leave_one_consistent_outcome(make_learner, make_plan):
    """The sweep frees an unpaid seat while the gateway's notification of its payment settles.

    Both threads are held right before their conditional UPDATE of the booking. Whichever lands
    first decides: the seat is kept and paid, or freed and the payment refunded in full; never a
    freed seat with a paid fee kept, nor a kept seat marked freed."""
    from exams.services import allocation, fees
    from portal.models import Payment
    from portal.payments import gateways
    from portal.payments import services as payments

    outcomes = []
    for round_ in range(3):
        user, _ = make_learner("C1")
        plan = make_plan(D(2026, 7, 20) + datetime.timedelta(days=round_ * 7), capacity=1)
        with on(plan.closes_on - datetime.timedelta(days=1)):
            req = services.request_create(plan=plan, id_number=user.id_number)
        with on(plan.closes_on, 1):
            services.sweep()
        req.refresh_from_db()
        with on(plan.closes_on, 2):
            payment = services.fee_pay_start(req, payer=user)
        gateway = gateways.SandboxGateway()
        trade = gateway.trade(payment.order_number)
        trade.update(status=gateways.TRADE_SUCCESS, trade_no=f"SBXRACE{round_}")
        gateway._save(payment.order_number, trade)
        notification = gateway.notification_for(payment.order_number)

        gate = barrier(2, timeout=20)
        reached = []
        original_free = allocation._free_unpaid

        def held_free(r, now, original_free=original_free, gate=gate, reached=reached):
            reached.append("sweep")
            gate.wait()
            return original_free(r, now)

        def held_paid(p, gate=gate, reached=reached):
            reached.append("payment")
            gate.wait()
            return fees.fee_paid(p)

        allocation._free_unpaid = held_free
        payments.register_purpose(fees.PURPOSE, on_paid=held_paid, label="exam fee")
        try:
            with on(plan.closes_on + datetime.timedelta(days=1), 2):
                results, errors = race(
                    lambda i, n=notification: (
                        payments.handle_notification(n) if i == 0 else services.bookings_expire_unpaid()
                    ),
                    2,
                    start_together=False,
                ).returned_and_raised
        finally:
            allocation._free_unpaid = original_free
            payments.register_purpose(fees.PURPOSE, on_paid=fees.fee_paid, label="exam fee")
        # Control: both threads were inside their transaction, before the deciding UPDATE, together.
        assert sorted(reached) == ["payment", "sweep"] and errors == []
        req.refresh_from_db()
        payment.refresh_from_db()
        if req.status == ExamRequest.Status.ALLOCATED:
            assert req.fee_paid_at is not None and payment.status == Payment.Status.PAID
            assert results[1] == 0
        else:
            assert req.status == ExamRequest.Status.UNPAID and req.fee_paid_at is None
            assert payment.status == Payment.Status.REFUNDED and results[1] == 1
        outcomes.append(req.status)
    assert set(outcomes) <= {"allocated", "unpaid"}
