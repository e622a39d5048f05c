"""Payments, refunds, shipments and a citizen's question to the office leave one history row per
transition with the person who made it (portal.audit; docs/architecture.md "Audit"): the payer
who goes to the cashier, nobody for the gateway's notification, the clerk who refunds or answers.
The cases these belong to are walked in tests/<app>/test_history_walk.py."""

from decimal import Decimal

import pytest

from notices.models import Question
from notices.services import public
from portal.models import Payment, Refund, Shipment
from portal.payments import services
from portal.postal import carriers
from portal.postal import services as postal
from tests.audit import acting_as, created_row, one_row
from tests.portal.test_payments import _start  # noqa: F401  (registers the test purpose)
from tests.portal.test_postal import _ship

pytestmark = pytest.mark.django_db


def test_a_payment_paid_and_refunded(citizen_client, has, citizen, clerk_has):
    payment = services.start_payment(
        purpose="test.fee",
        reference="test.item:9",
        city=has,
        payer=citizen,
        amount=Decimal("60.00"),
        description="科目一考试费",
        return_path="/",
    )
    rows = list(Payment.history.filter(id=payment.pk).order_by("history_id"))
    assert [(r.history_type, r.status, r.history_user_id) for r in rows] == [
        ("+", "created", citizen.pk),
        ("~", "pending", citizen.pk),
    ]
    with one_row(payment, citizen):
        # At the sandbox cashier: the notification is handled inside the payer's own request.
        citizen_client.post(payment.cashier_url, {"action": "pay"})
    with one_row(payment, clerk_has):
        refund = services.request_refund(payment, reason="考试取消", by=clerk_has)
    rows = list(Refund.history.filter(id=refund.pk).order_by("history_id"))
    assert [(r.history_type, r.status, r.history_user_id) for r in rows] == [
        ("+", "pending", clerk_has.pk),
        ("~", "succeeded", clerk_has.pk),
    ]


def test_a_question_asked_and_answered(citizen, has, clerk_has):
    question = public.question_ask(user=citizen, city=has, subject="驾驶证补领", body="需要带什么？")
    created_row(Question, question.pk, citizen)
    with one_row(question, clerk_has):
        public.question_answer(question=question, clerk=clerk_has, answer="身份证", published=True)


def test_a_shipment_booked_by_the_clerk_and_moved_by_the_carrier(has, clerk_has):
    with acting_as(clerk_has):
        shipment = _ship(has)
    rows = list(Shipment.history.filter(id=shipment.pk).order_by("history_id"))
    assert [(r.history_type, r.history_user_id) for r in rows] == [("+", clerk_has.pk), ("~", clerk_has.pk)]
    sandbox = carriers.SandboxCarrier()
    body = sandbox.event_body(shipment.tracking_number, "delivered", event_id="evt-walk")
    with one_row(shipment, None):  # the carrier's signed event: nobody signed in
        assert postal.handle_webhook(body, carriers.body_signature(body, sandbox.secret))
