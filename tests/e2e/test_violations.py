"""A citizen in the browser: see a camera violation, handle it with an SMS code, pay the fine
at the cashier, download the penalty decision."""

import datetime

import pytest
from django.utils import timezone

from portal import identity
from tests import factories
from tests.conftest import last_code
from tests.violations.conftest import code
from violations import services
from violations.models import Decision

pytestmark = pytest.mark.e2e


def test_see_my_violation_handle_pay_and_download_the_decision(page, site_url):
    city = factories.city("has")
    owner = factories.UserFactory()
    factories.DrivingLicenceFactory(
        city=city, id_number=identity.normalize_id_number(owner.id_number), holder_name=owner.real_name, points=3
    )
    vehicle = factories.VehicleFactory(city=city, owner_id_number=owner.id_number, owner_name=owner.real_name)
    violation = services.violation_record(
        vehicle=vehicle,
        code=code("1625"),
        occurred_at=timezone.now() - datetime.timedelta(days=3),
        place="淮海东路与健康西路路口",
    )

    page.goto(site_url("has", "/accounts/login/?next=/violations/"))
    page.fill("#id_username", owner.id_number)
    page.fill("#id_password", "Secret-pass-123")
    page.get_by_test_id("login-submit").click()
    row = page.get_by_test_id(f"violation-{violation.pk}")
    assert "未处理" in row.get_by_test_id("status").inner_text()
    row.get_by_role("checkbox").check()
    page.get_by_test_id("handle-selected").click()

    page.get_by_test_id("send-code").click()
    page.get_by_test_id("sms-notice").wait_for()
    page.get_by_test_id("sms-code").fill(last_code(owner.mobile))
    page.get_by_test_id("confirm-handle").click()

    page.get_by_test_id("decision").wait_for()
    decision = Decision.objects.get(violation=violation)
    assert decision.number in page.get_by_test_id("decision").inner_text()
    assert "200.00" in page.get_by_test_id("amount-due").inner_text()
    page.get_by_test_id("pay").click()
    page.get_by_role("button", name="确认支付").click()
    page.get_by_test_id("payment-status").wait_for()
    assert "已收到" in page.get_by_test_id("payment-status").inner_text()

    page.goto(site_url("has", f"/violations/decision/{decision.number}/"))
    assert "200.00" in page.get_by_test_id("paid").inner_text()
    with page.expect_download() as download:
        page.get_by_test_id("decision-pdf").click()
    with open(download.value.path(), "rb") as pdf:
        assert pdf.read(4) == b"%PDF"
    decision.refresh_from_db()
    assert decision.status == "paid"
