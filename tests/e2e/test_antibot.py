"""The proof of work in a real browser, under the strict Content-Security-Policy."""

import pytest

from tests import factories

pytestmark = pytest.mark.e2e


def test_the_widget_solves_the_challenge_and_earns_the_pass(page, site_url, settings):
    settings.ANTIBOT_ENABLED = True
    settings.ANTIBOT_COST = 100
    factories.city("has")
    user = factories.UserFactory()
    violations = []
    page.on("console", lambda msg: violations.append(msg.text) if "Content Security Policy" in msg.text else None)
    page.goto(site_url("has", "/accounts/login/?next=/human-check/%3Fnext%3D/exams/"))
    page.fill("#id_username", user.id_number)
    page.fill("#id_password", "Secret-pass-123")
    page.get_by_test_id("login-submit").click()
    page.locator("altcha-widget input[type=checkbox]").click(force=True)  # starts the work
    page.wait_for_function(
        "() => { const f = document.querySelector('input[name=altcha]'); return f && f.value.length > 20; }",
        timeout=30000,
    )
    page.get_by_test_id("human-check").get_by_role("button", name="继续").click()
    page.wait_for_url("**/exams/")
    assert "验证通过" in page.content()
    assert page.get_by_test_id("human-check-needed").count() == 0
    assert not violations, violations
