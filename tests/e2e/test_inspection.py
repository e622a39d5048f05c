"""A citizen in the browser: book an inspection slot for their car, then move it to another slot."""

import datetime

import pytest
from django.utils import timezone

from exams.models import InspectionBooking, InspectionSlot, InspectionStation
from tests import factories

pytestmark = pytest.mark.e2e


def test_citizen_books_and_moves_an_inspection_slot(page, site_url):
    city = factories.city("has")
    user = factories.UserFactory()
    today = timezone.localdate()
    car = factories.VehicleFactory(
        city=city,
        owner_id_number=user.id_number,
        owner_name=user.real_name,
        registered_on=datetime.date(2012, 5, 20),  # past 10 years: on site every year
        inspection_valid_until=today + datetime.timedelta(days=40),
    )
    station = InspectionStation.objects.create(
        city=city,
        name="淮安城东机动车检测站",
        address="淮安市清江浦区枚乘东路 9 号",
        vehicle_kinds=["small_passenger"],
        opens_at=datetime.time(8, 30),
        closes_at=datetime.time(17, 0),
        slot_capacity=4,
    )
    day = today + datetime.timedelta(days=5)
    first, later = (
        InspectionSlot.objects.create(
            city=city,
            station=station,
            date=day,
            starts_at=datetime.time(h, 30),
            ends_at=datetime.time(h + 1, 30),
            capacity=2,
        )
        for h in (8, 14)
    )

    page.goto(site_url("has", "/accounts/login/?next=/inspection/"))
    page.fill("#id_username", user.id_number)
    page.fill("#id_password", "Secret-pass-123")
    page.get_by_test_id("login-submit").click()
    vehicle_row = page.get_by_test_id(f"vehicle-{car.pk}")
    assert "上线检验" in vehicle_row.get_by_test_id("vehicle-state").inner_text()
    vehicle_row.get_by_role("link", name="预约时段").click()

    page.get_by_test_id(f"slot-{first.pk}").get_by_role("button", name="预约").click()
    assert page.get_by_test_id("booking-when").inner_text() == f"{day:%Y-%m-%d} 08:30-09:30"
    assert page.get_by_test_id("booking-status").inner_text() == "已预约"
    assert "淮安城东机动车检测站" in page.get_by_test_id("booking-station").inner_text()

    page.get_by_test_id(f"slot-{later.pk}").get_by_role("button", name="改约到此时段").click()
    assert page.get_by_test_id("booking-when").inner_text() == f"{day:%Y-%m-%d} 14:30-15:30"
    assert "已改约到" in page.content()

    booking = InspectionBooking.objects.get(vehicle=car)
    assert booking.slot_id == later.pk and booking.moves == 1
    first.refresh_from_db(), later.refresh_from_db()
    assert (first.booked, later.booked) == (0, 1)
    page.goto(site_url("has", "/inspection/"))
    assert booking.number in page.get_by_test_id("my-bookings").inner_text()
