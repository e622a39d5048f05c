import datetime
from decimal import Decimal

import pytest
import time_machine
from django.utils import timezone

from portal.models import Payment, Refund
from portal.payments import gateways, services
from tests import factories
from tests.races import barrier, race

PAID_CALLS = []


def _on_paid(payment):
    PAID_CALLS.append(payment.order_number)


services.register_purpose("test.fee", on_paid=_on_paid, label="Test fee")


@pytest.fixture(autouse=True)
def _reset_calls():
    PAID_CALLS.clear()


def _start(city, citizen, amount="60.00", reference="test.item:1"):
    return services.start_payment(
        purpose="test.fee",
        reference=reference,
        city=city,
        payer=citizen,
        amount=Decimal(amount),
        description="科目一考试费",
        return_path="/",
    )


def _signed(order_number, **overrides):
    fields = gateways.SandboxGateway().notification_for(order_number)
    fields.update(overrides)
    if overrides:
        fields["sign"] = gateways.sign(fields, "dev-payment-secret")
    return fields


def _pay_at_sandbox(order_number):
    """The payer pays at the sandbox without the notification reaching the portal."""
    gateway = gateways.SandboxGateway()
    trade = gateway.trade(order_number)
    trade.update(status=gateways.TRADE_SUCCESS, trade_no="SBXTEST" + order_number[-8:])
    gateway._save(order_number, trade)


def test_paying_at_the_cashier_marks_the_payment_paid_and_tells_the_purpose_once(citizen_client, has, citizen):
    payment = _start(has, citizen)
    assert payment.status == Payment.Status.PENDING
    page = citizen_client.get(payment.cashier_url)
    assert payment.order_number in page.content.decode()
    assert "60.00" in page.content.decode()

    response = citizen_client.post(payment.cashier_url, {"action": "pay"}, follow=True)

    payment.refresh_from_db()
    assert payment.status == Payment.Status.PAID
    assert payment.paid_at is not None and payment.gateway_transaction_id.startswith("SBX")
    assert PAID_CALLS == [payment.order_number]
    assert "已收到" in response.content.decode()


def test_cancelling_at_the_cashier_charges_nothing(citizen_client, has, citizen):
    payment = _start(has, citizen)
    response = citizen_client.post(payment.cashier_url, {"action": "cancel"}, follow=True)
    payment.refresh_from_db()
    assert payment.status == Payment.Status.CANCELLED
    assert PAID_CALLS == []
    assert "已取消" in response.content.decode()


def test_a_repeated_notification_changes_nothing_and_still_answers_success(has_client, has, citizen):
    payment = _start(has, citizen)
    _pay_at_sandbox(payment.order_number)
    fields = _signed(payment.order_number)

    first = has_client.post("/pay/notify/", fields)
    payment.refresh_from_db()
    paid_at = payment.paid_at
    history_rows = payment.history.count()
    second = has_client.post("/pay/notify/", fields)

    assert first.content == b"success" and second.content == b"success"
    payment.refresh_from_db()
    assert payment.paid_at == paid_at
    assert payment.history.count() == history_rows
    assert PAID_CALLS == [payment.order_number]


def test_a_forged_notification_is_rejected_and_changes_nothing(has_client, has, citizen):
    payment = _start(has, citizen)
    _pay_at_sandbox(payment.order_number)
    forged = gateways.SandboxGateway().notification_for(payment.order_number)
    forged["sign"] = gateways.sign(forged, "a guessed secret")

    response = has_client.post("/pay/notify/", forged)

    assert response.status_code == 400 and response.content == b"fail"
    payment.refresh_from_db()
    assert payment.status == Payment.Status.PENDING
    assert PAID_CALLS == []


def test_a_tampered_field_breaks_the_signature(has_client, has, citizen):
    payment = _start(has, citizen)
    _pay_at_sandbox(payment.order_number)
    fields = gateways.SandboxGateway().notification_for(payment.order_number)
    fields["total_amount"] = "0.01"

    assert has_client.post("/pay/notify/", fields).status_code == 400
    payment.refresh_from_db()
    assert payment.status == Payment.Status.PENDING


def test_a_signed_notification_with_another_amount_is_rejected(has_client, has, citizen):
    payment = _start(has, citizen)
    _pay_at_sandbox(payment.order_number)

    response = has_client.post("/pay/notify/", _signed(payment.order_number, total_amount="0.01"))

    assert response.status_code == 400
    payment.refresh_from_db()
    assert payment.status == Payment.Status.PENDING


def test_a_full_refund_goes_through_the_gateway(citizen_client, has, citizen):
    payment = _start(has, citizen)
    citizen_client.post(payment.cashier_url, {"action": "pay"})
    payment.refresh_from_db()

    refund = services.request_refund(payment, reason="考试取消")

    assert refund.status == Refund.Status.SUCCEEDED and refund.gateway_refund_id.startswith("SBR")
    payment.refresh_from_db()
    assert payment.status == Payment.Status.REFUNDED
    assert payment.refunded_amount == Decimal("60.00")


def test_partial_refunds_add_up_and_cannot_exceed_what_was_paid(citizen_client, has, citizen):
    payment = _start(has, citizen, amount="100.00")
    citizen_client.post(payment.cashier_url, {"action": "pay"})
    payment.refresh_from_db()

    services.request_refund(payment, amount=Decimal("30.00"), reason="部分退款")
    payment.refresh_from_db()
    assert payment.status == Payment.Status.PARTIALLY_REFUNDED
    with pytest.raises(services.PaymentError, match="70.00"):
        services.request_refund(payment, amount=Decimal("70.01"), reason="过多")
    services.request_refund(payment, amount=Decimal("70.00"), reason="余款")

    payment.refresh_from_db()
    assert payment.status == Payment.Status.REFUNDED
    assert payment.refunded_amount == Decimal("100.00")
    assert list(payment.refunds.values_list("amount", flat=True).order_by("amount")) == [
        Decimal("30.00"),
        Decimal("70.00"),
    ]


def test_an_unpaid_payment_cannot_be_refunded(has, citizen):
    payment = _start(has, citizen)
    with pytest.raises(services.PaymentError):
        services.request_refund(payment, reason="x")
    assert not Refund.objects.exists()


def test_a_second_attempt_paid_for_the_same_item_is_refunded_automatically(citizen_client, has, citizen):
    first = _start(has, citizen)
    second = _start(has, citizen)
    citizen_client.post(first.cashier_url, {"action": "pay"})
    citizen_client.post(second.cashier_url, {"action": "pay"})

    first.refresh_from_db()
    second.refresh_from_db()
    assert first.status == Payment.Status.PAID
    assert second.status == Payment.Status.REFUNDED
    assert PAID_CALLS == [first.order_number]


def test_reconciliation_settles_a_paid_trade_whose_notification_was_lost(has, citizen):
    with time_machine.travel(datetime.datetime(2026, 9, 1, 10, 0, tzinfo=datetime.UTC), tick=False):
        payment = _start(has, citizen)
        _pay_at_sandbox(payment.order_number)
    with time_machine.travel(datetime.datetime(2026, 9, 1, 10, 20, tzinfo=datetime.UTC), tick=False):
        from portal.payments.tasks import reconcile_payments

        assert reconcile_payments.delay().get() == 1
    payment.refresh_from_db()
    assert payment.status == Payment.Status.PAID
    assert PAID_CALLS == [payment.order_number]


def test_reconciliation_leaves_recent_payments_and_expires_abandoned_ones(has, citizen):
    with time_machine.travel(datetime.datetime(2026, 9, 1, 10, 0, tzinfo=datetime.UTC), tick=False):
        abandoned = _start(has, citizen, reference="test.item:1")
    with time_machine.travel(datetime.datetime(2026, 9, 1, 12, 5, tzinfo=datetime.UTC), tick=False):
        recent = _start(has, citizen, reference="test.item:2")
        services.reconcile()
    abandoned.refresh_from_db()
    recent.refresh_from_db()
    assert abandoned.status == Payment.Status.FAILED
    assert recent.status == Payment.Status.PENDING
    # The gateway closed it too: pressing pay now does nothing.
    assert gateways.SandboxGateway().payer_pays(abandoned.order_number) is False


def test_the_receipt_shows_the_masked_payer_and_a_chinese_pdf(citizen_client, has, citizen):
    payment = _start(has, citizen)
    citizen_client.post(payment.cashier_url, {"action": "pay"})

    page = citizen_client.get(f"/pay/receipt/{payment.order_number}/").content.decode()
    pdf = citizen_client.get(f"/pay/receipt/{payment.order_number}/pdf/")

    assert citizen.masked_id_number in page
    assert citizen.id_number not in page
    assert pdf["Content-Type"] == "application/pdf"
    assert pdf.content.startswith(b"%PDF")
    assert b"STSong-Light" in pdf.content


def test_another_citizen_cannot_see_a_receipt(client, has, citizen, other_citizen):
    payment = _start(has, citizen)
    _pay_at_sandbox(payment.order_number)
    services.handle_notification(_signed(payment.order_number))
    client.force_login(other_citizen)
    assert client.get(f"/pay/receipt/{payment.order_number}/", HTTP_HOST="has.localhost").status_code == 404


def test_a_payment_is_not_shown_on_another_citys_site(client, has, szv, citizen):
    payment = _start(has, citizen)
    client.force_login(citizen)
    assert client.get(payment.cashier_url, HTTP_HOST="szv.localhost").status_code == 404


def test_money_and_status_are_read_only_in_the_admin(client, has, citizen):
    payment = _start(has, citizen)
    admin = factories.UserFactory(is_staff=True, is_superuser=True)
    client.force_login(admin)
    url = f"/admin/portal/payment/{payment.pk}/change/"
    page = client.get(url, HTTP_HOST="has.localhost")
    assert page.status_code == 200
    client.post(url, {"amount": "0.01", "status": "paid"}, HTTP_HOST="has.localhost")
    payment.refresh_from_db()
    assert payment.amount == Decimal("60.00") and payment.status == Payment.Status.PENDING
    assert citizen.id_number not in page.content.decode()


@pytest.mark.django_db(transaction=True)
def test_sixteen_simultaneous_notifications_settle_the_payment_once():
    city = factories.city("has")
    citizen = factories.UserFactory()
    payment = _start(city, citizen)
    _pay_at_sandbox(payment.order_number)
    fields = _signed(payment.order_number)
    answers, _errors = race(lambda i: services.handle_notification(dict(fields)), 16)

    assert answers == [True] * 16
    assert PAID_CALLS == [payment.order_number]
    assert payment.history.filter(history_change_reason="paid").count() == 1


@pytest.mark.django_db(transaction=True)
def test_control_without_the_conditional_update_the_same_race_pays_out_many_times():
    city = factories.city("has")
    payment = _start(city, factories.UserFactory())
    gate = barrier(16, timeout=60)
    callbacks = []

    def naive_settle(i):
        status = Payment.objects.get(pk=payment.pk).status  # read ...
        gate.wait()  # ... every thread has read "pending" before any writes
        if status == Payment.Status.PENDING:
            Payment.objects.filter(pk=payment.pk).update(status=Payment.Status.PAID, paid_at=timezone.now())
            callbacks.append(1)

    race(naive_settle, 16, start_together=False)
    assert len(callbacks) == 16


def test_a_failing_purpose_callback_leaves_the_payment_pending_for_a_retry(has_client, has, citizen):
    def broken(payment):
        raise RuntimeError("the app is down")

    services.register_purpose("test.broken", on_paid=broken)
    payment = services.start_payment(
        purpose="test.broken", reference="test.item:9", city=has, payer=citizen, amount="10", description="x"
    )
    _pay_at_sandbox(payment.order_number)
    fields = _signed(payment.order_number)

    assert has_client.post("/pay/notify/", fields).status_code == 400
    payment.refresh_from_db()
    assert payment.status == Payment.Status.PENDING

    services.register_purpose("test.broken", on_paid=_on_paid)  # the app is back
    assert has_client.post("/pay/notify/", fields).content == b"success"
    payment.refresh_from_db()
    assert payment.status == Payment.Status.PAID


def test_selectors_tell_other_apps_whether_an_item_is_paid(citizen_client, has, citizen):
    from portal.payments import selectors

    payment = _start(has, citizen, reference="test.item:42")
    assert selectors.open_payment("test.item:42") == payment
    assert not selectors.is_paid("test.item:42")
    citizen_client.post(payment.cashier_url, {"action": "pay"})
    assert selectors.is_paid("test.item:42")
    assert selectors.paid_payment("test.item:42") == payment
    services.request_refund(payment, reason="全额退款")
    assert not selectors.is_paid("test.item:42")
