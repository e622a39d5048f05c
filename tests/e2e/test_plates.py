"""The main preselection journey in a real browser."""

import pytest

from tests import factories
from tests.conftest import PASSWORD, last_code
from tests.e2e.conftest import tab_to
from tests.plates.conftest import new_vehicle, open_block, set_city

pytestmark = pytest.mark.e2e


def test_citizen_selects_a_number_and_gets_a_voucher(page, site_url, transactional_db):
    has = factories.city("has")
    open_block(has)
    # The city asks for one SMS code only (plate_second_sms off), which keeps this walk free of
    # the gateway's 60-second resend interval; the second code is covered by tests/plates/test_flow.py.
    set_city(has, "plate_second_sms", False)
    citizen = factories.UserFactory()
    vehicle = new_vehicle(citizen, has)

    page.goto(site_url("has", "/accounts/login/"))
    page.fill("input[name=username]", citizen.id_number)
    page.fill("input[name=password]", PASSWORD)
    page.locator("main button[type=submit]").first.click()
    page.wait_for_url(site_url("has", "/"))

    page.goto(site_url("has", "/plates/"))
    assert "业务须知" in page.get_by_test_id("notice").inner_text()
    page.check("input[name=accept]")
    page.fill("input[name=vin]", vehicle.vin)
    page.fill("input[name=cert_number]", vehicle.conformity_cert_number)
    page.get_by_role("button", name="确认车辆信息").click()

    assert vehicle.vin in page.get_by_test_id("vehicle-data").inner_text()
    page.get_by_test_id("send-code").click()
    page.fill("input[name=code]", last_code(citizen.mobile))
    page.get_by_role("button", name="开始选号").click()

    page.get_by_test_id("draw").click()
    batch = page.get_by_test_id("batch")
    # The picker works from the keyboard alone: Tab reaches a number, its focus shows, Enter picks it.
    first = batch.locator("button").first
    chosen = first.inner_text()
    tab_to(page, first)
    page.keyboard.press("Enter")
    assert chosen in page.get_by_test_id("backups").inner_text()

    page.get_by_role("link", name="从备选号码中确定").click()
    confirm = page.get_by_role("button", name="确定此号码")
    tab_to(page, confirm)
    page.keyboard.press("Space")
    assert page.get_by_test_id("held-number").inner_text() == chosen
    assert page.get_by_test_id("deadline").inner_text()
    assert page.get_by_test_id("pdf").is_visible()
