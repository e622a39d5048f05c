"""Inspection booking through its pages and the clerks' admin (docs/rules.md §6.4)."""

import datetime

import pytest
from django.test import Client

from exams.models import InspectionBooking, InspectionSlot
from tests import antibot, factories
from tests.exams.conftest import on

D = datetime.date
pytestmark = pytest.mark.django_db
MONDAY = D(2026, 3, 9)


@pytest.fixture
def citizen_page(citizen):
    client = Client(HTTP_HOST="has.localhost")
    client.force_login(citizen)
    return client


def test_anyone_sees_the_stations_a_citizen_sees_what_each_car_needs(citizen, citizen_page, station, make_car):
    due = make_car(citizen)
    exempt = make_car(citizen, registered_on=D(2022, 5, 20))
    anonymous = Client(HTTP_HOST="has.localhost").get("/inspection/").content.decode()
    assert station.name in anonymous and "08:30-12:00, 13:30-17:00" in anonymous and "登录" in anonymous
    with on(D(2026, 3, 2)):
        page = citizen_page.get("/inspection/").content.decode()
    assert f'href="/inspection/vehicles/{due.pk}/"' in page and "须在2026-05-31前上线检验" in page
    assert "网上申领检验标志" in page and 'href="/certificates/apply/inspection-mark/"' in page
    assert f'href="/inspection/vehicles/{exempt.pk}/"' not in page


def test_a_citizen_books_moves_and_cancels_through_the_pages(citizen, citizen_page, make_car, make_slot):
    car = make_car(citizen)
    first, second = make_slot(MONDAY, 9), make_slot(MONDAY, 14)
    with on(D(2026, 3, 2)):
        page = citizen_page.get(f"/inspection/vehicles/{car.pk}/").content.decode()
        assert f'data-testid="slot-{first.pk}"' in page and f'data-testid="slot-{second.pk}"' in page
        response = citizen_page.post(f"/inspection/vehicles/{car.pk}/book/", {"slot": first.pk})
        booking = InspectionBooking.objects.get(vehicle=car)
        assert response.status_code == 302 and response.url == f"/inspection/bookings/{booking.pk}/"
        page = citizen_page.get(response.url).content.decode()
        assert "2026-03-09 09:00-10:00" in page and "2026-03-09 07:00前可在网上改约或取消本预约" in page
        citizen_page.post(f"/inspection/bookings/{booking.pk}/move/", {"slot": second.pk})
        booking.refresh_from_db()
        assert booking.slot_id == second.pk
        # The vehicle page now points at the booking instead of offering slots.
        assert (
            f"/inspection/bookings/{booking.pk}/"
            in citizen_page.get(f"/inspection/vehicles/{car.pk}/").content.decode()
        )
        response = citizen_page.post(f"/inspection/bookings/{booking.pk}/cancel/")
    booking.refresh_from_db()
    assert response.status_code == 302 and booking.status == "cancelled"
    assert list(InspectionSlot.objects.order_by("starts_at").values_list("booked", flat=True)) == [0, 0]


def test_a_full_slot_is_refused_with_a_message_and_the_form_page_kept(citizen, citizen_page, make_car, make_slot):
    car = make_car(citizen)
    slot = make_slot(MONDAY, 9, capacity=1)
    other = factories.UserFactory()
    with on(D(2026, 3, 2)):
        from exams.services import inspection as services

        services.booking_create(
            city=car.city, vehicle_id=make_car(other).pk, slot_id=slot.pk, id_number=other.id_number
        )
        response = citizen_page.post(f"/inspection/vehicles/{car.pk}/book/", {"slot": slot.pk}, follow=True)
    assert "该时段已约满" in response.content.decode()
    assert not InspectionBooking.objects.filter(vehicle=car).exists()


def test_a_car_not_due_shows_why_and_offers_no_slots(citizen, citizen_page, make_car, make_slot):
    car = make_car(citizen, valid_until=D(2026, 8, 31))
    make_slot(MONDAY)
    with on(D(2026, 3, 2)):
        page = citizen_page.get(f"/inspection/vehicles/{car.pk}/").content.decode()
    assert "尚未到检验期" in page and 'data-testid="slots"' not in page


def test_unsettled_violations_are_stated_on_the_vehicle_page(citizen, citizen_page, make_car, make_slot, monkeypatch):
    from violations import selectors

    car = make_car(citizen)
    make_slot(MONDAY)
    monkeypatch.setattr(selectors, "vehicle_has_unsettled", lambda vehicle: vehicle.pk == car.pk)
    with on(D(2026, 3, 2)):
        page = citizen_page.get(f"/inspection/vehicles/{car.pk}/").content.decode()
    assert "须处理完毕后才核发检验合格标志" in page and 'data-testid="slots"' in page


def test_another_citizens_car_and_booking_are_not_found(citizen, other_citizen, citizen_page, make_car, make_slot):
    theirs = make_car(other_citizen)
    slot = make_slot(MONDAY)
    with on(D(2026, 3, 2)):
        from exams.services import inspection as services

        booking = services.booking_create(
            city=theirs.city, vehicle_id=theirs.pk, slot_id=slot.pk, id_number=other_citizen.id_number
        )
        assert citizen_page.get(f"/inspection/vehicles/{theirs.pk}/").status_code == 404
        assert citizen_page.post(f"/inspection/vehicles/{theirs.pk}/book/", {"slot": slot.pk}).status_code == 404
        assert citizen_page.get(f"/inspection/bookings/{booking.pk}/").status_code == 404
        assert citizen_page.post(f"/inspection/bookings/{booking.pk}/cancel/").status_code == 404
    booking.refresh_from_db()
    assert booking.status == "booked"


def test_an_unverified_account_is_sent_to_verification(make_car, make_slot):
    user = factories.UserFactory(identity_verified_at=None)
    car = make_car(user)
    client = Client(HTTP_HOST="has.localhost")
    client.force_login(user)
    response = client.post(f"/inspection/vehicles/{car.pk}/book/", {"slot": make_slot(MONDAY).pk})
    assert response.status_code == 302 and "verify" in response.url
    assert not InspectionBooking.objects.exists()


def test_booking_needs_the_human_check_and_is_rate_limited(settings, citizen, citizen_page, make_car, make_slot):
    car = make_car(citizen)
    slot = make_slot(MONDAY)
    antibot.enable(settings)
    with on(D(2026, 3, 2)):
        response = citizen_page.post(f"/inspection/vehicles/{car.pk}/book/", {"slot": slot.pk})
        assert response.status_code == 302 and "/human-check/" in response.url
        assert not InspectionBooking.objects.exists()
        settings.ANTIBOT_ENABLED = False
        codes = [
            citizen_page.post(f"/inspection/vehicles/{car.pk}/book/", {"slot": "x"}).status_code for _ in range(10)
        ]
    # 10 a minute per account (RUSH_LIMITS["exams.inspection"]): the refused check was the first.
    assert codes[:9] == [302] * 9 and codes[9] == 429


# --- The clerks' admin --------------------------------------------------------------------------
def test_a_clerk_generates_slots_and_enters_a_result(clerk_client, citizen, station, make_car):
    with on(D(2026, 3, 2)):
        response = clerk_client.post(
            f"/admin/exams/inspectionstation/{station.pk}/generate/",
            {"first": "2026-03-09", "last": "2026-03-13", "working_days_only": "on"},
        )
    assert response.status_code == 302
    assert InspectionSlot.objects.filter(station=station).count() == 5 * 6
    car = make_car(citizen)
    slot = InspectionSlot.objects.filter(station=station, date=MONDAY).order_by("starts_at").first()
    from exams.services import inspection as services

    with on(D(2026, 3, 2)):
        booking = services.booking_create(
            city=car.city, vehicle_id=car.pk, slot_id=slot.pk, id_number=citizen.id_number
        )
    with on(MONDAY, 10):
        page = clerk_client.get("/admin/exams/inspectionbooking/").content.decode()
        assert booking.number in page and citizen.id_number not in page  # masked
        response = clerk_client.post(f"/admin/exams/inspectionbooking/{booking.pk}/result/", {"outcome": "pass"})
    assert response.status_code == 302
    car.refresh_from_db()
    assert car.inspection_valid_until == D(2028, 5, 31)


def test_a_result_before_the_day_is_refused_in_the_form(clerk_client, citizen, make_car, make_slot):
    car = make_car(citizen)
    from exams.services import inspection as services

    with on(D(2026, 3, 2)):
        booking = services.booking_create(
            city=car.city, vehicle_id=car.pk, slot_id=make_slot(MONDAY).pk, id_number=citizen.id_number
        )
        page = clerk_client.post(f"/admin/exams/inspectionbooking/{booking.pk}/result/", {"outcome": "pass"})
    assert page.status_code == 200 and "检验当日或之后才能录入结果" in page.content.decode()


def test_a_suzhou_clerk_cannot_see_huaian_stations_or_bookings(clerk_szv, station):
    client = Client(HTTP_HOST="szv.localhost")
    client.force_login(clerk_szv)
    assert station.name not in client.get("/admin/exams/inspectionstation/").content.decode()
    assert client.get(f"/admin/exams/inspectionstation/{station.pk}/generate/").status_code == 404


def test_capacity_cannot_drop_below_what_is_booked(clerk_client, citizen, make_car, make_slot):
    car = make_car(citizen)
    slot = make_slot(MONDAY, capacity=2)
    from exams.services import inspection as services

    with on(D(2026, 3, 2)):
        services.booking_create(city=car.city, vehicle_id=car.pk, slot_id=slot.pk, id_number=citizen.id_number)
        page = clerk_client.post(f"/admin/exams/inspectionslot/{slot.pk}/change/", {"capacity": "0"})
    assert page.status_code == 200 and "容量不能低于此数" in page.content.decode()
    slot.refresh_from_db()
    assert slot.capacity == 2
