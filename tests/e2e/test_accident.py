"""Two citizens in two browsers settle a minor accident (docs/rules.md §5.7): A starts the case
with photos, B joins with the code and an SMS code, A proposes, B agrees, both see the agreement."""

import datetime

import pytest
from django.utils import timezone

from tests.conftest import last_code
from tests.e2e.conftest import AxeCheckedPage
from tests.violations.accident_helpers import driver, png
from violations.models import AccidentCase

pytestmark = pytest.mark.e2e


def _login(page, site_url, user, next_path):
    page.goto(site_url("has", f"/accounts/login/?next={next_path}"))
    page.fill("#id_username", user.id_number)
    page.fill("#id_password", "Secret-pass-123")
    page.get_by_test_id("login-submit").click()


def test_two_citizens_settle_an_accident_by_agreement(page, browser, site_url):
    from tests import factories

    city = factories.city("has")
    a = driver(city, "苏H1E001")
    b = driver(city, "苏H2E002", insurer="中国平安财产保险股份有限公司")
    photo = {"name": "photo.png", "mimeType": "image/png", "buffer": png((64, 48))}

    # Party A starts the case.
    _login(page, site_url, a, "/violations/accidents/new/")
    page.check("#id_no_injury_0")
    page.check("#id_drivable_0")
    page.select_option("#id_vehicle", label="苏H1E001")
    when = timezone.localtime() - datetime.timedelta(minutes=20)
    page.fill("#id_occurred_at", when.strftime("%Y-%m-%dT%H:%M"))
    page.fill("#id_place", "淮安市清江浦区淮海东路与健康西路交叉口")
    page.select_option("#id_weather", "sunny")
    page.fill("#id_own_damage", "前保险杠")
    page.fill("#id_other_plate", "苏H2E002")
    page.fill("#id_other_licence_number", b.id_number)
    page.fill("#id_other_damage", "后保险杠")
    for field in ("#id_photo_scene", "#id_photo_damage_a", "#id_photo_damage_b"):
        page.set_input_files(field, files=[photo])
    page.get_by_test_id("start-submit").click()
    code = page.get_by_test_id("join-code").inner_text().strip()
    assert len(code) == 8

    # Party B, in a browser of their own, joins with the code and an SMS code.
    other = browser.new_context(locale="zh-CN", viewport={"width": 1280, "height": 900})
    other.set_default_timeout(15000)
    try:
        # Party B's pages are checked by axe like the fixture's (tests/e2e/conftest.py).
        page_b = AxeCheckedPage(other.new_page())
        _login(page_b, site_url, b, "/violations/accidents/join/")
        page_b.fill("#id_join_code", code)
        page_b.get_by_test_id("join-submit").click()
        facts = page_b.get_by_test_id("other-party").inner_text()
        assert "苏H1E001" in facts and a.id_number not in facts and a.mobile not in facts
        page_b.get_by_test_id("send-code").click()
        page_b.get_by_test_id("sms-notice").wait_for()
        page_b.get_by_test_id("sms-code").fill(last_code(b.mobile))
        page_b.get_by_test_id("confirm-join").click()
        assert "双方已确认事实" in page_b.get_by_test_id("case-status").inner_text()

        # A proposes: B's vehicle ran into A's from behind (追尾, B fully responsible).
        page.reload()
        page.check("#id_situation_0")
        page.check("#id_fault_role_1")
        page.get_by_test_id("propose").click()

        # B agrees and sees the agreement.
        page_b.reload()
        assert "追尾" in page_b.get_by_test_id("proposal").inner_text()
        page_b.get_by_test_id("accept").click()
        document = page_b.get_by_test_id("accident-document").inner_text()
        assert "道路交通事故自行协商协议书" in document and "全部责任" in document and "无责任" in document
        assert a.id_number not in document and a.mobile not in document

        # A sees the same agreement and downloads the PDF.
        page.reload()
        page.get_by_test_id("document-link").click()
        case = AccidentCase.objects.get(parties__user=a)
        assert case.status == "agreed" and case.document_number in page.get_by_test_id("accident-document").inner_text()
        with page.expect_download() as download:
            page.get_by_test_id("document-pdf").click()
        with open(download.value.path(), "rb") as pdf:
            assert pdf.read(4) == b"%PDF"
        page_b.check_pending()
    finally:
        other.close()
