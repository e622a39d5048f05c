"""Fines: the 15-day deadline, the 3 %-a-day surcharge and its cap, and payment notifications
that are forged, repeated or out of order (docs/rules.md §5.4)."""

import datetime
from decimal import Decimal

import pytest

from portal.models import Payment
from portal.payments import gateways
from portal.payments import services as pay_services
from tests.violations.conftest import D, at, on
from violations import services
from violations.models import Decision, Violation

pytestmark = pytest.mark.django_db


@pytest.fixture
def decided(person, car, record):
    """A 200-yuan decision made on 1 July 2026 (pay without surcharge until 16 July)."""
    owner = person()
    vehicle = car(owner)
    with on(D(2026, 7, 1)):
        violation = record(vehicle, when=at(D(2026, 6, 30)))
        (decision,) = services.violation_handle([violation.pk], user=owner)
    return owner, decision


def test_day_15_costs_the_fine_day_16_adds_3_percent(decided):
    _owner, decision = decided
    assert decision.due_on == D(2026, 7, 16)
    assert services.amount_due(decision, D(2026, 7, 16)).total == Decimal("200.00")  # day 15 after the decision
    day16 = services.amount_due(decision, D(2026, 7, 17))
    assert (day16.surcharge, day16.total, day16.late_days) == (Decimal("6.00"), Decimal("206.00"), 1)


def test_surcharge_stops_at_the_fine(decided):
    _owner, decision = decided
    # 33 days late: 99 %; 34 days: 102 % capped to 100 %; later: still the fine.
    assert services.amount_due(decision, D(2026, 7, 16) + datetime.timedelta(days=33)).surcharge == Decimal("198.00")
    capped = services.amount_due(decision, D(2026, 7, 16) + datetime.timedelta(days=34))
    assert capped.surcharge == Decimal("200.00") and capped.capped
    assert services.amount_due(decision, D(2027, 7, 1)).total == Decimal("400.00")


def _pay(order_number):
    gateway = gateways.SandboxGateway()
    trade = gateway.trade(order_number)
    trade.update(status=gateways.TRADE_SUCCESS, trade_no="SBXTEST" + order_number[-10:])
    gateway._save(order_number, trade)
    return gateway.notification_for(order_number)


def test_paying_late_charges_the_day_amount_and_marks_the_fine_paid(decided, has_client):
    owner, decision = decided
    with on(D(2026, 7, 18)):
        payment = services.decision_pay_start(decision, payer=owner)
        assert payment.amount == Decimal("212.00")
        assert "12.00" in payment.description
        assert has_client.post("/pay/notify/", _pay(payment.order_number)).content == b"success"
    decision.refresh_from_db()
    assert decision.status == "paid" and decision.paid_amount == Decimal("212.00")
    assert decision.surcharge_paid == Decimal("12.00")
    assert Violation.objects.get(pk=decision.violation_id).status == "paid"


def test_a_forged_notification_pays_nothing(decided, has_client):
    owner, decision = decided
    with on(D(2026, 7, 2)):
        payment = services.decision_pay_start(decision, payer=owner)
        fields = _pay(payment.order_number)
        fields["sign"] = "0" * 64
        assert has_client.post("/pay/notify/", fields).status_code == 400
        fields = _pay(payment.order_number)
        fields["total_amount"] = "1.00"
        assert has_client.post("/pay/notify/", fields).status_code == 400
    decision.refresh_from_db()
    assert decision.status == "unpaid"


def test_a_repeated_notification_pays_once(decided, has_client):
    owner, decision = decided
    with on(D(2026, 7, 2)):
        payment = services.decision_pay_start(decision, payer=owner)
        fields = _pay(payment.order_number)
        assert has_client.post("/pay/notify/", fields).content == b"success"
        history = decision.history.count()
        assert has_client.post("/pay/notify/", fields).content == b"success"
    decision.refresh_from_db()
    assert decision.status == "paid" and decision.history.count() == history
    assert Payment.objects.filter(status="paid").count() == 1


def test_a_closed_notification_after_success_changes_nothing(decided, has_client):
    owner, decision = decided
    with on(D(2026, 7, 2)):
        payment = services.decision_pay_start(decision, payer=owner)
        paid = _pay(payment.order_number)
        closed = dict(paid, trade_status=gateways.TRADE_CLOSED, notify_id="late-close")
        closed["sign"] = gateways.sign(closed, "dev-payment-secret")
        assert has_client.post("/pay/notify/", paid).content == b"success"
        assert has_client.post("/pay/notify/", closed).content == b"success"
    payment.refresh_from_db()
    decision.refresh_from_db()
    assert payment.status == "paid" and decision.status == "paid"


def test_a_payment_of_another_decision_never_marks_this_one_paid(decided, person, car, record, has_client):
    owner, decision = decided
    other = person()
    with on(D(2026, 7, 1)):
        second = record(car(other), when=at(D(2026, 6, 30)))
        (other_decision,) = services.violation_handle([second.pk], user=other)
    with on(D(2026, 7, 2)):
        mine = services.decision_pay_start(decision, payer=owner)
        theirs = services.decision_pay_start(other_decision, payer=other)
        # Out of order: the later order's notification first.
        assert has_client.post("/pay/notify/", _pay(theirs.order_number)).content == b"success"
    decision.refresh_from_db()
    other_decision.refresh_from_db()
    assert other_decision.status == "paid" and decision.status == "unpaid"
    assert mine.reference != theirs.reference


def test_a_payment_started_yesterday_and_paid_today_is_refunded_not_taken(
    decided, has_client, django_capture_on_commit_callbacks
):
    owner, decision = decided
    with on(D(2026, 7, 16), 23, 59):
        payment = services.decision_pay_start(decision, payer=owner)  # 200.00, the last free day
        fields = _pay(payment.order_number)
    with on(D(2026, 7, 17), 0, 1), django_capture_on_commit_callbacks(execute=True):
        assert has_client.post("/pay/notify/", fields).content == b"success"
    decision.refresh_from_db()
    payment.refresh_from_db()
    assert decision.status == "unpaid"
    assert payment.status == "refunded"


def test_a_second_payment_for_a_paid_fine_is_refunded(decided, has_client):
    owner, decision = decided
    with on(D(2026, 7, 2)):
        first = services.decision_pay_start(decision, payer=owner)
        pay_services.cancel(first)  # the payer abandons it, starts again, then both go through
        second = services.decision_pay_start(decision, payer=owner)
        assert has_client.post("/pay/notify/", _pay(second.order_number)).content == b"success"
        with pytest.raises(services.ViolationError):
            services.decision_pay_start(Decision.objects.get(pk=decision.pk), payer=owner)
    assert Decision.objects.get(pk=decision.pk).paid_amount == Decimal("200.00")
