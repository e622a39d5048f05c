"""Host -> city resolution, the province page, the language switch."""

import pytest

from portal.middleware import city_code_from_host


@pytest.mark.parametrize(
    "host, code",
    [
        ("has.localhost", "has"),
        ("has.localhost:8000", "has"),
        ("HAS.LocalHost:8000", "has"),
        ("szv.localhost.", "szv"),
        ("www.has.localhost", "has"),
        ("localhost", None),
        ("localhost:8000", None),
        ("127.0.0.1:8000", None),
        ("evil.com", None),
    ],
)
def test_city_code_from_host(host, code):
    assert city_code_from_host(host) == code


def test_each_city_site_names_its_city(client, has, szv):
    assert "淮安市" in client.get("/", HTTP_HOST="has.localhost:8000").content.decode()
    page = client.get("/", HTTP_HOST="szv.localhost").content.decode()
    assert "苏州市" in page and "淮安市" not in page


def test_home_lists_the_service_categories(has_client):
    page = has_client.get("/").content.decode()
    for title in (
        "机动车号牌预选",
        "驾驶人考试预约",
        "补换领证件邮寄",
        "违法处理与罚款缴纳",
        "消息通知",
        "信息查询",
        "信息公开",
    ):
        assert title in page


def test_unknown_city_is_a_friendly_404_listing_the_cities(client, db):
    response = client.get("/", HTTP_HOST="xyz.localhost:8000")
    assert response.status_code == 404
    page = response.content.decode()
    assert "城市网站不存在" in page and "淮安市" in page


def test_unknown_path_on_a_city_site_is_a_404_page(has_client):
    response = has_client.get("/no-such-page/")
    assert response.status_code == 404


def test_bare_domain_with_port_is_the_province_page_linking_each_city(client, db):
    page = client.get("/", HTTP_HOST="localhost:8000").content.decode()
    assert "请选择您所在的城市" in page
    assert 'href="http://has.localhost:8000/"' in page
    assert "苏E 苏U" in page


def test_city_pages_on_the_bare_domain_link_to_the_same_page_on_each_city(client, citizen):
    client.force_login(citizen)
    response = client.get("/my/vehicles/", HTTP_HOST="localhost:8000")
    # No such page on the province site (404, as every city-only page answers there:
    # portal.decorators.city_required), with links to it on each city's site.
    assert response.status_code == 404
    page = response.content.decode()
    assert "请先选择所在城市的网站" in page
    assert 'href="http://has.localhost:8000/my/vehicles/"' in page


def test_language_switch_renders_english(has_client):
    response = has_client.post("/i18n/setlang/", {"language": "en", "next": "/"}, follow=True)
    page = response.content.decode()
    assert "Huai&#x27;an online services" in page or "Huai'an online services" in page
    assert "Plate-number preselection" in page
    back = has_client.post("/i18n/setlang/", {"language": "zh-hans", "next": "/"}, follow=True)
    assert "淮安市网上服务" in back.content.decode()


def test_english_form_errors_are_english(has_client):
    has_client.post("/i18n/setlang/", {"language": "en", "next": "/"})
    response = has_client.post("/accounts/register/", {"id_number": "110105194912310021", "code": "1"})
    assert "check digit is wrong" in response.content.decode()


def test_a_deactivated_city_site_is_gone_once_the_city_is_saved(client, has):
    assert client.get("/", HTTP_HOST="has.localhost").status_code == 200
    has.is_active = False
    has.save()
    assert client.get("/", HTTP_HOST="has.localhost").status_code == 404


def test_pages_are_chinese_even_for_an_english_browser_until_english_is_chosen(client, has):
    page = client.get("/", HTTP_HOST="has.localhost", HTTP_ACCEPT_LANGUAGE="en-US,en;q=0.9").content.decode()
    assert "淮安市" in page and 'lang="zh-hans"' in page
    client.post("/i18n/setlang/", {"language": "en", "next": "/"}, HTTP_HOST="has.localhost")
    page = client.get("/", HTTP_HOST="has.localhost", HTTP_ACCEPT_LANGUAGE="zh-CN").content.decode()
    assert 'lang="en"' in page and "online services" in page
