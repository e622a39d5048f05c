"""The header of every page (templates/base.html): its links are reversed once per process
(portal.context_processors.header_links), and must still follow the URLconf and the script
prefix the site is served under."""

from django.test import override_settings
from django.urls import path, set_script_prefix

from portal.context_processors import header_links


def test_a_citizens_header_links_to_the_inbox_their_services_log_out_and_the_language_switch(citizen_client):
    page = citizen_client.get("/").content.decode()
    assert 'href="/notices/"' in page
    assert 'href="/my/vehicles/"' in page
    assert 'action="/accounts/logout/"' in page
    assert 'action="/i18n/setlang/"' in page
    assert 'href="/admin/"' not in page  # not staff


def test_a_visitors_header_links_to_log_in_and_register(has_client):
    page = has_client.get("/").content.decode()
    assert 'href="/accounts/login/"' in page and 'href="/accounts/register/"' in page
    assert 'action="/accounts/logout/"' not in page


def test_a_clerks_header_links_to_the_administration(client, clerk_has):
    client.defaults["HTTP_HOST"] = "has.localhost"
    client.force_login(clerk_has)
    assert 'href="/admin/"' in client.get("/").content.decode()


def test_the_links_follow_the_script_prefix_of_a_site_served_under_a_path(citizen_client):
    citizen_client.get("/")  # the links of the root prefix are remembered first
    # The WSGI handler sets the prefix from SCRIPT_NAME for each request; the test client does not.
    set_script_prefix("/portal/")
    try:
        page = citizen_client.get("/").content.decode()
    finally:
        set_script_prefix("/")
    assert 'href="/portal/notices/"' in page and 'action="/portal/accounts/logout/"' in page
    assert 'href="/notices/"' not in page


urlpatterns = [path("only/", lambda request: None, name="only")]


@override_settings(ROOT_URLCONF=__name__)
def test_a_urlconf_without_a_service_leaves_its_link_out():
    links = header_links()
    assert links["inbox"] == "" and links["logout"] == ""
