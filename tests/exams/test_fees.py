"""Exam fees through portal.payments (docs/rules.md §3): the fee a page shows is the fee charged,
a seat is kept only when paid in time, and a paid fee is refunded when the booking is cancelled in
time at the counter or the office cancels the session."""

import datetime
from decimal import Decimal

import pytest
import time_machine

from exams import services
from exams.models import ExamPlan, ExamRequest
from notices.models import Notice
from portal import identity
from portal.models import CitySetting, Payment
from portal.payments import gateways
from portal.payments import services as payments
from tests.exams.conftest import at, on, pay_fee, sit

D = datetime.date
pytestmark = pytest.mark.django_db


def drawn(make_learner, make_plan, n=3, capacity=2, subject="1", **plan):
    """n candidates request one plan (ranked in request order by application time); the draw runs
    at 01:00 on the closing day."""
    users = [make_learner("C1", accepted=at(D(2026, 2, 1 + i)))[0] for i in range(n)]
    plan = make_plan(D(2026, 7, 20), subject=subject, capacity=capacity, **plan)
    with on(plan.closes_on - datetime.timedelta(days=1)):
        reqs = [services.request_create(plan=plan, id_number=u.id_number) for u in users]
    with on(plan.closes_on, 1):
        services.sweep()
    for req in reqs:
        req.refresh_from_db()
    return plan, users, reqs


def test_a_seat_owes_the_fee_the_page_showed_until_the_citys_time_limit(make_learner, make_plan, has_client):
    CitySetting.objects.update_or_create(city=make_plan.city, key="fee_exam_subject1", defaults={"value": "70"})
    CitySetting.objects.update_or_create(city=make_plan.city, key="exam_fee_pay_hours", defaults={"value": 36})
    plan, users, (a, b, c) = drawn(make_learner, make_plan)
    assert (a.status, b.status, c.status) == ("allocated", "allocated", "not_allocated")
    assert a.fee == Decimal("70.00") and a.fee_due_at == at(plan.closes_on, 1) + datetime.timedelta(hours=36)
    assert c.fee is None  # no seat, no fee
    assert Notice.objects.filter(kind="exams.fee_due", id_number_hash=identity.id_key(users[0].id_number)).count() == 1

    has_client.force_login(users[0])
    with on(plan.closes_on, 9):
        page = has_client.get("/exams/").content.decode()
        assert 'data-testid="pay"' in page and "70.00" in page
        cashier = has_client.post(f"/exams/requests/{a.pk}/pay/")
    payment = Payment.objects.get(reference=f"exams.request:{a.pk}")
    assert cashier.status_code == 302 and cashier.url == payment.cashier_url
    assert payment.amount == Decimal("70.00") and payment.purpose == "exams.fee"
    with on(plan.closes_on, 9, 5):
        has_client.post(payment.cashier_url, {"action": "pay"})
        page = has_client.get("/exams/").content.decode()
    a.refresh_from_db()
    assert a.fee_paid_at == at(plan.closes_on, 9, 5) and 'data-testid="fee-paid"' in page
    assert a.history.filter(fee_paid_at=a.fee_paid_at).exists()  # the audit trail has the payment


def test_a_fee_unpaid_past_its_limit_frees_the_booking(make_learner, make_plan, django_capture_on_commit_callbacks):
    plan, users, (a, b, c) = drawn(make_learner, make_plan)
    due = a.fee_due_at
    with on(plan.closes_on, 2):
        pay_fee(b, users[1])
        started = services.fee_pay_start(a, payer=users[0])  # a goes to the cashier and leaves
    # One minute before the limit nothing happens ...
    with time_machine.travel(due - datetime.timedelta(minutes=1), tick=False):
        assert services.sweep()["unpaid"] == 0
    # ... at the limit the unpaid seat is freed, the open payment closed, the seat offered on.
    with django_capture_on_commit_callbacks(execute=True), time_machine.travel(due, tick=False):
        assert services.sweep()["unpaid"] == 1
    for req in (a, b, c):
        req.refresh_from_db()
    assert a.status == ExamRequest.Status.UNPAID and a.fee_paid_at is None
    assert b.status == ExamRequest.Status.ALLOCATED and b.fee_paid_at is not None
    assert c.status == ExamRequest.Status.OFFERED
    started.refresh_from_db()
    assert started.status == Payment.Status.CANCELLED
    assert gateways.SandboxGateway().payer_pays(started.order_number) is False  # can no longer be paid
    assert (
        Notice.objects.filter(kind="exams.fee_unpaid", id_number_hash=identity.id_key(users[0].id_number)).count() == 1
    )
    assert a.record.__class__.objects.get(pk=a.record_id).last_cancel_at == due
    with pytest.raises(services.ExamError):
        services.fee_pay_start(a, payer=users[0])
    # An accepted offer owes the fee too, within the same limit.
    later = due + datetime.timedelta(hours=1)
    with time_machine.travel(later, tick=False):
        services.offer_respond(c, id_number=users[2].id_number, accept=True)
    c.refresh_from_db()
    assert (
        c.status == "allocated" and c.fee == Decimal("60.00") and c.fee_due_at == later + datetime.timedelta(hours=24)
    )


def test_a_payment_that_lands_after_the_seat_was_freed_is_refunded(
    make_learner, make_plan, django_capture_on_commit_callbacks
):
    plan, users, (a, _b, _c) = drawn(make_learner, make_plan)
    with on(plan.closes_on, 2):
        payment = services.fee_pay_start(a, payer=users[0])
    # The payer pays at the gateway, but its notification is delayed past the limit.
    gateway = gateways.SandboxGateway()
    trade = gateway.trade(payment.order_number)
    trade.update(status=gateways.TRADE_SUCCESS, trade_no="SBXLATE0001")
    gateway._save(payment.order_number, trade)
    with django_capture_on_commit_callbacks(execute=True), time_machine.travel(a.fee_due_at, tick=False):
        services.sweep()
        assert payments.handle_notification(gateway.notification_for(payment.order_number)) is True
    a.refresh_from_db()
    payment.refresh_from_db()
    assert a.status == ExamRequest.Status.UNPAID and a.fee_paid_at is None  # the seat stays freed
    assert payment.status == Payment.Status.REFUNDED and payment.refunded_amount == payment.amount


def test_cancelling_in_time_at_the_counter_refunds_the_paid_fee(
    make_learner, make_plan, clerk_has, django_capture_on_commit_callbacks
):
    user, _ = make_learner("C1")
    plan = make_plan(D(2026, 7, 20))
    (req,) = sit(plan, [(user, None)])
    assert req.fee_paid_at is not None
    with django_capture_on_commit_callbacks(execute=True), on(D(2026, 7, 16)):
        services.booking_cancel(req, actor=clerk_has)
    payment = Payment.objects.get(reference=req.payment_reference)
    assert payment.status == Payment.Status.REFUNDED
    assert payment.refunds.get().reason == "考试预约已按时在窗口取消"


def test_the_office_cancelling_a_session_refunds_every_paid_fee_and_keeps_ranks(
    make_learner, make_plan, clerk_has, django_capture_on_commit_callbacks
):
    plan, users, (a, b, c) = drawn(make_learner, make_plan)
    with on(plan.closes_on, 2):
        pay_fee(a, users[0])
    with django_capture_on_commit_callbacks(execute=True), on(plan.closes_on, 10):
        assert services.plan_cancel(plan, actor=clerk_has) == 2  # the two seats; c had none
    plan.refresh_from_db()
    assert plan.status == ExamPlan.Status.CANCELLED
    for req in (a, b):
        req.refresh_from_db()
        assert req.status == ExamRequest.Status.OFFICE_CANCELLED
        assert req.record.__class__.objects.get(pk=req.record_id).last_cancel_at is None  # not their doing
    assert Payment.objects.get(reference=a.payment_reference).status == Payment.Status.REFUNDED
    assert Notice.objects.filter(kind="exams.plan_cancelled").count() == 2


def test_the_safe_driving_theory_part_has_no_fee_of_its_own(make_learner, make_plan):
    user, _ = make_learner(
        "C1", permit_on=D(2026, 1, 5), subject2_passed_on=D(2026, 3, 2), road_passed_on=D(2026, 6, 1)
    )
    (req,) = sit(make_plan(D(2026, 7, 15), subject="4"), [(user, "pass")])
    assert req.fee is None and req.status == "completed"
    assert not Payment.objects.filter(reference=req.payment_reference).exists()


def test_a_result_cannot_be_entered_for_a_seat_whose_fee_is_unpaid(make_learner, make_plan):
    plan, _users, (a, _b, _c) = drawn(make_learner, make_plan)
    ExamRequest.objects.filter(pk=a.pk).update(fee_due_at=at(plan.date, 23))  # the sweep has not run
    with on(plan.date, 18), pytest.raises(services.ExamError, match="考试费"):
        services.result_record(a, "pass")
