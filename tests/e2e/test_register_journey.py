import datetime

import pytest

from portal.models import Vehicle
from tests import factories
from tests.conftest import last_code

pytestmark = pytest.mark.e2e

PASSWORD = "Qiche-Anquan-2026"


def test_register_log_in_and_see_my_vehicle(page, site_url):
    factories.city("has")
    id_number = factories.make_id_number(birth=datetime.date(1991, 3, 9))
    mobile = "13951234567"
    factories.VehicleFactory(
        owner_id_number=id_number,
        owner_mobile=mobile,  # the mobile on file: registering with it verifies the account
        plate_number="苏H7E2C9",
        status=Vehicle.Status.NORMAL,
        inspection_valid_until=datetime.date(2027, 9, 30),
    )

    page.goto(site_url("has", "/accounts/register/"))
    assert page.get_by_test_id("city-name").inner_text() == "淮安市"
    page.get_by_label("真实姓名").fill("赵雨")
    page.get_by_label("居民身份证号码").fill(id_number.lower())
    page.get_by_label("手机号码").fill(mobile)
    page.locator("#id_password1").fill(PASSWORD)
    page.locator("#id_password2").fill(PASSWORD)
    page.get_by_test_id("send-code").click()
    assert "验证码已发送" in page.get_by_test_id("sms-notice").inner_text()
    # The countdown on the button is in Chinese, with the number of seconds (not "Resend in %60 s").
    countdown = page.get_by_test_id("send-code").inner_text()
    assert countdown.endswith("秒后可重发") and countdown[:-5].isdigit()
    # The page came back with what was typed.
    assert page.get_by_label("真实姓名").input_value() == "赵雨"
    page.get_by_test_id("sms-code").fill(last_code(mobile))
    # Enter in the code field registers (it must not press the "send code" button).
    page.get_by_test_id("sms-code").press("Enter")

    page.wait_for_url("**/accounts/login/")
    assert "注册成功" in page.content()
    page.get_by_label("身份证号码或手机号码").fill(id_number)
    page.locator("#id_password").fill(PASSWORD)
    page.get_by_test_id("login-submit").click()
    page.wait_for_url(site_url("has", "/"))

    page.get_by_role("link", name="我的业务").click()
    page.wait_for_url("**/my/vehicles/")
    rows = page.get_by_test_id("vehicle-row")
    assert rows.count() == 1
    assert rows.first.get_by_test_id("plate").inner_text() == "苏H7E2C9"
    assert rows.first.get_by_test_id("vehicle-status").inner_text() == "正常"
    assert "2027-09-30" in rows.first.inner_text()
    # Personal data is masked on the page.
    assert id_number not in page.content()
    assert id_number[:4] + "**********" + id_number[-4:] in page.content()
