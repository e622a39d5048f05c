"""The citizen's main pages, in Chinese and in English, each checked by axe-core (the `page`
fixture of tests/e2e/conftest.py), including pages no journey test reaches."""

import pytest

from tests import factories
from tests.conftest import PASSWORD

pytestmark = pytest.mark.e2e

PUBLIC = [
    "/",
    "/accounts/login/",
    "/accounts/register/",
    "/accounts/login/sms/",
    "/accounts/password-reset/",
    "/exams/public/",
    "/notices/announcements/",
    "/notices/articles/",
    "/notices/questions/",
    "/notices/statistics/",
    "/certificates/institutions/",
]
CITIZEN = [
    "/",
    "/my/vehicles/",
    "/my/licence/",
    "/plates/",
    "/plates/blocks/",
    "/exams/",
    "/violations/",
    "/violations/bindings/",
    "/violations/study/",
    "/certificates/",
    "/certificates/cases/",
    "/certificates/medical/",
    "/notices/",
    "/notices/preferences/",
    "/notices/questions/ask/",
]


def test_public_and_citizen_pages_pass_axe_in_both_languages(page, site_url):
    city = factories.city("has")
    citizen = factories.UserFactory()
    factories.VehicleFactory(city=city, owner_id_number=citizen.id_number, owner_name=citizen.real_name)
    factories.DrivingLicenceFactory(city=city, id_number=citizen.id_number, holder_name=citizen.real_name)
    for path in PUBLIC:
        page.goto(site_url("has", path))
    page.goto(site_url("has", "/accounts/login/"))
    page.fill("#id_username", citizen.id_number)
    page.fill("#id_password", PASSWORD)
    page.get_by_test_id("login-submit").click()
    page.wait_for_url(site_url("has", "/"))
    for path in CITIZEN:
        page.goto(site_url("has", path))
    # The language switch is a real button: the English site is checked too.
    page.get_by_role("button", name="English").click()
    page.wait_for_load_state()
    for path in CITIZEN:
        page.goto(site_url("has", path))
    assert page.locator("html").get_attribute("lang") == "en"
