import pytest
from django.test import Client

import notices
from notices import own_kinds
from tests import factories

pytestmark = pytest.mark.e2e


def test_a_notice_arrives_in_the_inbox_and_reading_it_clears_the_badge(page, site_url):
    has = factories.city("has")
    citizen = factories.UserFactory()
    client = Client()
    client.force_login(citizen)
    page.context.add_cookies(
        [{"name": "sessionid", "value": client.cookies["sessionid"].value, "domain": "has.localhost", "path": "/"}]
    )

    page.goto(site_url("has", "/notices/"))
    assert page.get_by_test_id("unread-count").count() == 0
    notices.notify(
        own_kinds.POINTS_9, id_number=citizen.id_number, city=has, context={"points": 9, "cycle_start": "2026-06-01"}
    )
    page.reload()
    assert page.get_by_test_id("unread-count").inner_text() == "1"
    page.get_by_test_id("notice").first.click()
    assert page.get_by_test_id("notice-title").inner_text() == "您的驾驶证已记9分"
    assert "2026-06-01" in page.get_by_test_id("notice-body").inner_text()
    assert page.get_by_test_id("unread-count").count() == 0
