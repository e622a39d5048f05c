from decimal import Decimal

import pytest

from portal.models import Payment
from portal.payments import services
from tests import factories
from tests.e2e.conftest import tab_to

pytestmark = pytest.mark.e2e

services.register_purpose("e2e.fee", label="考试费")


def test_a_payer_pays_at_the_sandbox_cashier_and_sees_the_result(page, site_url):
    city = factories.city("has")
    payer = factories.UserFactory()
    payment = services.start_payment(
        purpose="e2e.fee",
        reference="e2e.item:1",
        city=city,
        payer=payer,
        amount=Decimal("150.00"),
        description="科目三考试费",
        return_path="/",
    )

    # The cashier and the result page are the payer's only: the login page comes first.
    page.goto(site_url("has", payment.cashier_url))
    page.fill("#id_username", payer.id_number)
    page.fill("#id_password", "Secret-pass-123")
    page.get_by_test_id("login-submit").click()
    assert page.get_by_test_id("order-number").inner_text() == payment.order_number
    assert "150.00" in page.get_by_test_id("amount").inner_text()
    # The cashier works from the keyboard alone: Tab reaches "pay", its focus shows, Space presses it.
    pay = page.get_by_role("button", name="确认支付")
    tab_to(page, pay)
    page.keyboard.press("Space")

    page.get_by_test_id("payment-status").wait_for()
    assert "已收到" in page.get_by_test_id("payment-status").inner_text()
    payment.refresh_from_db()
    assert payment.status == Payment.Status.PAID
