"""No inspection-booking page, form or URL answers 500 on hostile input (property-based).

Hypothesis throws arbitrary ids (far beyond bigint), query strings (station, first day) and form
bodies (slot ids as text with NUL bytes, huge numbers, dates that do not exist) at every citizen
page and at the clerks' station, slot, generation and result forms. Any status below 500 is an
answer; a 500 or an exception escaping the view fails. Whatever was posted, no slot ever holds
more bookings than its capacity.
"""

import datetime

import pytest
from django.db.models import F
from django.test import Client
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from exams.models import InspectionSlot
from exams.services import inspection as services
from tests.exams.conftest import on

D = datetime.date
pytestmark = pytest.mark.django_db
MONDAY = D(2026, 3, 9)

SETTINGS = settings(
    max_examples=15,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
ids = st.one_of(st.integers(min_value=0, max_value=2**70), st.sampled_from([0, 1, 2**31, 2**63 - 1, 2**63]))
texts = st.one_of(
    st.text(max_size=40),
    st.sampled_from(["\x00", "-1", "9" * 40, "2026-02-30", "25:99", "' OR 1=1 --", "１２", "2026-03-09", "on"]),
    st.integers(min_value=-(2**70), max_value=2**70).map(str),
)
bodies = st.dictionaries(
    st.sampled_from(
        [
            "slot",
            "station",
            "first",
            "last",
            "working_days_only",
            "outcome",
            "note",
            "capacity",
            "date",
            "starts_at",
            "ends_at",
            "name",
            "address",
            "lanes",
            "vehicle_kinds",
            "opens_at",
            "closes_at",
            "break_from",
            "break_until",
            "slot_minutes",
            "slot_capacity",
            "city",
        ]
    ),
    texts,
    max_size=8,
)


@pytest.fixture
def world(citizen, make_car, make_slot, station, clerk_client):
    car = make_car(citizen)
    slots = [make_slot(MONDAY, 9, capacity=1), make_slot(MONDAY, 10, capacity=1)]
    with on(D(2026, 3, 2)):
        booking = services.booking_create(
            city=car.city, vehicle_id=car.pk, slot_id=slots[0].pk, id_number=citizen.id_number
        )
    client = Client(HTTP_HOST="has.localhost")
    client.force_login(citizen)
    return {
        "citizen": client,
        "clerk": clerk_client,
        "cars": [car.pk],
        "bookings": [booking.pk],
        "slots": [s.pk for s in slots],
        "station": station.pk,
    }


def answered(response):
    assert response.status_code < 500, response.status_code
    return response


@SETTINGS
@given(vehicle_id=ids, booking_id=ids, query=bodies, body=bodies)
def test_citizen_pages_never_answer_500(world, settings, vehicle_id, booking_id, query, body):
    settings.RUSH_LIMITS = {}
    citizen = world["citizen"]
    anonymous = Client(HTTP_HOST="has.localhost")
    with on(D(2026, 3, 3)):
        for client in (citizen, anonymous):
            answered(client.get("/inspection/", query))
            for pk in [vehicle_id, *world["cars"]]:
                answered(client.get(f"/inspection/vehicles/{pk}/", query))
                answered(client.post(f"/inspection/vehicles/{pk}/book/", body))
            for pk in [booking_id, *world["bookings"]]:
                answered(client.get(f"/inspection/bookings/{pk}/", query))
                answered(client.post(f"/inspection/bookings/{pk}/move/", body))
    assert not InspectionSlot.objects.filter(booked__gt=F("capacity")).exists()


@SETTINGS
@given(booking_id=ids, body=bodies)
def test_clerk_forms_never_answer_500(world, booking_id, body):
    clerk = world["clerk"]
    with on(MONDAY, 11):
        answered(clerk.post("/admin/exams/inspectionstation/add/", body))
        answered(clerk.post(f"/admin/exams/inspectionstation/{world['station']}/change/", body))
        answered(clerk.post(f"/admin/exams/inspectionstation/{world['station']}/generate/", body))
        answered(clerk.post("/admin/exams/inspectionslot/add/", body))
        answered(clerk.post(f"/admin/exams/inspectionslot/{world['slots'][1]}/change/", body))
        for pk in [booking_id, *world["bookings"]]:
            answered(clerk.get(f"/admin/exams/inspectionbooking/{pk}/result/"))
            answered(clerk.post(f"/admin/exams/inspectionbooking/{pk}/result/", body))
    assert not InspectionSlot.objects.filter(booked__gt=F("capacity")).exists()


@SETTINGS
@given(first=st.dates(D(2000, 1, 1), D(2100, 1, 1)), span=st.integers(-5, 120))
def test_generation_never_fails_for_any_range_and_never_duplicates(station, first, span):
    last = first + datetime.timedelta(days=span)
    try:
        made = services.slots_generate(station, first, last, working_days_only=False)
    except services.InspectionError:
        assert span < 0 or span >= services.GENERATE_MAX_DAYS
        return
    assert len(made) == (span + 1) * len(services.template_times(station)) or not made
    again = services.slots_generate(station, first, last, working_days_only=False)
    assert again == []
