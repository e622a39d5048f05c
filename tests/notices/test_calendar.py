import datetime

import pytest
from django.urls import reverse

from notices.models import CalendarFeed
from portal import hooks
from tests.factories import DrivingLicenceFactory, VehicleFactory

pytestmark = pytest.mark.django_db


def feed_url(client):
    page = client.get(reverse("notices:preferences")).content.decode()
    token = CalendarFeed.objects.get().token
    assert token in page
    return f"/notices/calendar/{token}.ics"


def test_calendar_feed_lists_registry_and_other_apps_deadlines(citizen_client, citizen, has, monkeypatch):
    VehicleFactory(city=has, owner_id_number=citizen.id_number, inspection_valid_until=datetime.date(2027, 3, 31))
    DrivingLicenceFactory(city=has, id_number=citizen.id_number, valid_until=datetime.date(2031, 6, 1))

    def exams(user):
        return [
            hooks.Deadline(
                when=datetime.datetime(2026, 12, 10, 9, 0, tzinfo=datetime.UTC), title="科目二考试, 淮安", uid="exam-1"
            )
        ]

    monkeypatch.setattr(hooks, "deadline_providers", [*hooks.deadline_providers, exams])
    url = feed_url(citizen_client)
    citizen_client.logout()  # calendar apps fetch without a session
    response = citizen_client.get(url)
    assert response.status_code == 200 and response["Content-Type"].startswith("text/calendar")
    body = response.content.decode()
    assert body.startswith("BEGIN:VCALENDAR\r\n") and body.endswith("END:VCALENDAR\r\n")
    assert "\n" not in body.replace("\r\n", "")
    assert body.count("BEGIN:VEVENT") == 3
    assert "DTSTART;VALUE=DATE:20270331" in body and "DTSTART;VALUE=DATE:20310601" in body
    assert "DTSTART:20261210T090000Z" in body and "SUMMARY:科目二考试\\, 淮安" in body
    assert body.count("UID:") == 3
    assert citizen.id_number not in body and citizen.mobile not in body
    assert all(len(line.encode()) <= 75 for line in body.split("\r\n"))


def test_url_holds_a_random_token_and_can_be_replaced(citizen_client, citizen):
    old = feed_url(citizen_client)
    assert citizen.id_number not in old and citizen.mobile not in old and len(old) > 50
    citizen_client.post(reverse("notices:calendar_regenerate"))
    new = f"/notices/calendar/{CalendarFeed.objects.get().token}.ics"
    assert new != old
    assert citizen_client.get(old).status_code == 404
    assert citizen_client.get(new).status_code == 200
