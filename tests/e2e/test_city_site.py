import pytest

from tests import factories

pytestmark = pytest.mark.e2e


def test_city_site_shows_its_city_in_chinese(page, site_url):
    factories.city("has")
    page.goto(site_url("has"))
    assert page.get_by_test_id("city-name").inner_text() == "淮安市"
