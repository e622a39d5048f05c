"""The home page lists the services the apps registered (portal.hooks.register_service in their
AppConfig.ready()), in their order; portal names none of them itself."""

import pytest
from django.urls import reverse

from portal import hooks

pytestmark = pytest.mark.django_db


def test_every_app_registers_its_service_and_the_home_page_links_each_in_order(has_client):
    names = [e.url_name for e in hooks.service_entries]
    assert names == [
        "plates:start",
        "exams:plans",
        "inspection:start",
        "certificates:start",
        "violations:start",
        "notices:inbox",
        "portal:my_vehicles",
        "notices:announcements",
        "notices:travel",
    ]
    body = has_client.get("/").content.decode()
    positions = [body.index(f'href="{reverse(name)}"') for name in names]
    assert positions == sorted(positions)
