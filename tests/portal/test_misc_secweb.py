"""Small fixes: links on the unknown-city page, demo logins on make run's port, the calendar warning."""

import datetime
import io

import time_machine
from django.core.management import call_command

from portal.models import Holiday
from tests import factories


def test_the_unknown_city_page_links_each_city_on_the_same_port(client, db):
    page = client.get("/", HTTP_HOST="xyz.localhost:8123").content.decode()
    assert 'href="http://has.localhost:8123/"' in page and 'href="http://szv.localhost:8123/"' in page


def test_demo_logins_name_the_port_make_run_serves(db, monkeypatch):
    monkeypatch.setenv("PORT", "8765")
    out = io.StringIO()
    call_command("demo", "--logins", stdout=out)
    assert "http://has.localhost:8765/admin/" in out.getvalue() and ":8000" not in out.getvalue()


def test_province_administrators_are_warned_while_the_coming_year_has_no_make_up_days(client, has):
    admin = factories.UserFactory(is_staff=True, is_superuser=True)
    client.force_login(admin)
    with time_machine.travel(datetime.datetime(2026, 11, 30, 10, 0), tick=False):
        page = client.get("/admin/", HTTP_HOST="has.localhost").content.decode()
        assert "2027" in page and "调休" in page
        Holiday.objects.create(date=datetime.date(2027, 2, 20), kind=Holiday.Kind.WORKDAY, name="春节调休")
        page = client.get("/admin/portal/holiday/", HTTP_HOST="has.localhost").content.decode()
        assert "2027 年节假日安排" not in page
    clerk = factories.clerk("has")
    Holiday.objects.filter(date__year=2027, kind=Holiday.Kind.WORKDAY).delete()
    client.force_login(clerk)
    with time_machine.travel(datetime.datetime(2026, 11, 30, 10, 0), tick=False):
        assert "调休" not in client.get("/admin/", HTTP_HOST="has.localhost").content.decode()
