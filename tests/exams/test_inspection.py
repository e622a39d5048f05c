"""Inspection booking's rules at their boundaries (docs/rules.md §6.4), travelling in time.

The car of most tests is a small private car registered 2020-05-20 whose inspection is valid
until 2026-05-31: its 6th-year inspection is on site (2022 reform), and the window opens on
2026-02-28, 3 months before.
"""

import datetime

import pytest
from django.utils import timezone

from exams.models import InspectionBooking, InspectionSlot
from exams.services import inspection as services
from notices.models import Notice
from portal import citysettings, identity
from portal.models import CitySetting, Vehicle
from tests import factories
from tests.exams.conftest import at, on

D = datetime.date
pytestmark = pytest.mark.django_db
MONDAY = D(2026, 3, 9)


def kinds_for(user):
    return list(
        Notice.objects.filter(id_number_hash=identity.id_key(user.id_number))
        .order_by("id")
        .values_list("kind", flat=True)
    )


def book(user, car, slot, when=None):
    with on(when or D(2026, 3, 2)):
        return services.booking_create(city=car.city, vehicle_id=car.pk, slot_id=slot.pk, id_number=user.id_number)


# --- What the vehicle needs -------------------------------------------------------------------------
def test_a_sixth_year_car_is_due_on_site_from_the_first_day_of_its_window(citizen, make_car):
    car = make_car(citizen)
    before = services.vehicle_state(car, D(2026, 2, 27))
    assert before.code == services.State.NOT_DUE and "2026-02-28" in before.message
    opened = services.vehicle_state(car, D(2026, 2, 28))
    assert opened.may_book and opened.due_on == D(2026, 5, 31) and not opened.overdue


def test_a_fourth_year_car_is_told_to_claim_its_mark_online_with_a_link(citizen, make_car):
    car = make_car(citizen, registered_on=D(2022, 5, 20))
    state = services.vehicle_state(car, D(2026, 3, 2))
    assert state.code == services.State.CLAIM_ONLINE
    assert state.claim_url == "/certificates/apply/inspection-mark/"
    with on(D(2026, 3, 2)):
        with pytest.raises(services.InspectionError, match="网上申领"):
            services.booking_create(city=car.city, vehicle_id=car.pk, slot_id=1, id_number=citizen.id_number)


def test_an_overdue_exempt_car_must_be_inspected_on_site(citizen, make_car):
    car = make_car(citizen, registered_on=D(2022, 5, 20), valid_until=D(2026, 5, 31))
    state = services.vehicle_state(car, D(2026, 6, 1))
    assert state.may_book and state.overdue


def test_a_car_after_ten_years_and_a_truck_are_due_on_site(citizen, make_car):
    old = make_car(citizen, registered_on=D(2015, 5, 20))
    truck = make_car(citizen, registered_on=D(2024, 5, 20), kind="truck")
    assert services.vehicle_state(old, D(2026, 3, 2)).may_book
    assert services.vehicle_state(truck, D(2026, 3, 2)).may_book


def test_a_scrapped_car_cannot_be_booked(citizen, make_car):
    car = make_car(citizen, status=Vehicle.Status.SCRAP)
    assert services.vehicle_state(car, D(2026, 3, 2)).code == services.State.NOT_INSPECTABLE


def test_a_car_not_due_is_refused_and_nothing_is_taken(citizen, make_car, make_slot):
    car = make_car(citizen, valid_until=D(2026, 8, 31))
    slot = make_slot(MONDAY)
    with pytest.raises(services.InspectionError, match="2026-05-31"):
        book(citizen, car, slot)
    slot.refresh_from_db()
    assert slot.booked == 0 and not InspectionBooking.objects.exists()


# --- Booking, capacity, the past ------------------------------------------------------------------
def test_a_slot_at_capacity_refuses_the_next_car(make_car, make_slot):
    slot = make_slot(MONDAY, capacity=2)
    owners = [factories.UserFactory() for _ in range(3)]
    cars = [make_car(u) for u in owners]
    book(owners[0], cars[0], slot)
    book(owners[1], cars[1], slot)
    with pytest.raises(services.InspectionError, match="已约满"):
        book(owners[2], cars[2], slot)
    slot.refresh_from_db()
    assert slot.booked == 2 == InspectionBooking.objects.filter(slot=slot, status="booked").count()
    assert kinds_for(owners[2]) == []


def test_a_slot_that_has_begun_cannot_be_booked_one_that_starts_in_a_minute_can(citizen, make_car, make_slot):
    car = make_car(citizen)
    slot = make_slot(MONDAY, hour=9)
    with on(MONDAY, 9, 0), pytest.raises(services.InspectionError, match="已开始"):
        services.booking_create(city=car.city, vehicle_id=car.pk, slot_id=slot.pk, id_number=citizen.id_number)
    with on(MONDAY, 8, 59):
        booking = services.booking_create(
            city=car.city, vehicle_id=car.pk, slot_id=slot.pk, id_number=citizen.id_number
        )
    assert booking.status == "booked"


def test_one_active_booking_per_car_and_a_new_one_after_cancelling(citizen, make_car, make_slot):
    car = make_car(citizen)
    first, second = make_slot(MONDAY, 9), make_slot(MONDAY, 10)
    booking = book(citizen, car, first)
    with pytest.raises(services.InspectionError, match="已有"):
        book(citizen, car, second)
    second.refresh_from_db()
    assert second.booked == 0  # the refused booking took no place
    with on(D(2026, 3, 3)):
        services.booking_cancel(city=car.city, booking_id=booking.pk, id_number=citizen.id_number)
    book(citizen, car, second, when=D(2026, 3, 3))
    first.refresh_from_db(), second.refresh_from_db()
    assert (first.booked, second.booked) == (0, 1)
    assert kinds_for(citizen) == ["exams.inspection_booked", "exams.inspection_cancelled", "exams.inspection_booked"]


def test_someone_elses_car_is_not_found(citizen, other_citizen, make_car, make_slot):
    car = make_car(other_citizen)
    with pytest.raises(Vehicle.DoesNotExist):
        book(citizen, car, make_slot(MONDAY))


def test_a_station_that_does_not_test_motorcycles_refuses_one(citizen, make_car, make_slot):
    bike = make_car(citizen, kind="motorcycle", registered_on=D(2018, 5, 20))
    with pytest.raises(services.InspectionError, match="不检验"):
        book(citizen, bike, make_slot(MONDAY))


# --- Moving and cancelling, and the cut-off ----------------------------------------------------------
def test_moving_frees_the_old_place_and_takes_the_new_one(citizen, make_car, make_slot):
    car = make_car(citizen)
    old, new = make_slot(MONDAY, 9), make_slot(MONDAY + datetime.timedelta(days=1), 14)
    booking = book(citizen, car, old)
    with on(D(2026, 3, 4)):
        services.booking_move(city=car.city, booking_id=booking.pk, slot_id=new.pk, id_number=citizen.id_number)
    old.refresh_from_db(), new.refresh_from_db(), booking.refresh_from_db()
    assert (old.booked, new.booked, booking.slot_id, booking.moves) == (0, 1, new.pk, 1)
    assert kinds_for(citizen)[-1] == "exams.inspection_moved"
    reasons = list(booking.history.order_by("history_id").values_list("history_type", "history_change_reason"))
    # The booking's own row is written with the statement that takes the place (exams/sql.py).
    assert reasons[0][0] == "+" and reasons[1][1].startswith("moved from 2026-03-09 09:00-10:00")


def test_moving_into_a_full_slot_changes_nothing(citizen, make_car, make_slot):
    car = make_car(citizen)
    old, full = make_slot(MONDAY, 9), make_slot(MONDAY, 10, capacity=1)
    other = factories.UserFactory()
    book(other, make_car(other), full)
    booking = book(citizen, car, old)
    with on(D(2026, 3, 4)), pytest.raises(services.InspectionError, match="已约满"):
        services.booking_move(city=car.city, booking_id=booking.pk, slot_id=full.pk, id_number=citizen.id_number)
    old.refresh_from_db(), full.refresh_from_db(), booking.refresh_from_db()
    assert (old.booked, full.booked, booking.slot_id) == (1, 1, old.pk)


def test_changes_close_two_hours_before_the_slot_a_setting_per_city(citizen, make_car, make_slot, has):
    car = make_car(citizen)
    slot, later = make_slot(MONDAY, 9), make_slot(MONDAY, 15)
    booking = book(citizen, car, slot)
    assert services.change_deadline(slot) == at(MONDAY, 7)
    with on(MONDAY, 7, 0), pytest.raises(services.InspectionError, match="07:00"):
        services.booking_cancel(city=has, booking_id=booking.pk, id_number=citizen.id_number)
    with on(MONDAY, 7, 0), pytest.raises(services.InspectionError):
        services.booking_move(city=has, booking_id=booking.pk, slot_id=later.pk, id_number=citizen.id_number)
    CitySetting.objects.create(city=has, key="inspection_change_hours_before", value=1)
    assert citysettings.get(has, "inspection_change_hours_before") == 1
    with on(MONDAY, 7, 59):
        services.booking_cancel(city=has, booking_id=booking.pk, id_number=citizen.id_number)
    slot.refresh_from_db()
    assert slot.booked == 0


def test_a_cancelled_booking_cannot_be_cancelled_again(citizen, make_car, make_slot, has):
    booking = book(citizen, make_car(citizen), make_slot(MONDAY))
    with on(D(2026, 3, 3)):
        services.booking_cancel(city=has, booking_id=booking.pk, id_number=citizen.id_number)
        with pytest.raises(services.InspectionError):
            services.booking_cancel(city=has, booking_id=booking.pk, id_number=citizen.id_number)
    assert InspectionSlot.objects.get().booked == 0


# --- The station's result -------------------------------------------------------------------------
def test_a_pass_renews_the_registry_and_tells_the_owner(citizen, make_car, make_slot, clerk_has):
    car = make_car(citizen)
    booking = book(citizen, car, make_slot(MONDAY))
    with on(MONDAY, 8), pytest.raises(services.InspectionError):
        services.booking_result(booking, passed=True, actor=clerk_has, now=at(D(2026, 3, 8), 18))
    with on(MONDAY, 11):
        services.booking_result(booking, passed=True, actor=clerk_has)
    car.refresh_from_db(), booking.refresh_from_db()
    # Year 6 starts a 2-year cycle under the reform (docs/rules.md §6.1).
    assert car.inspection_valid_until == D(2028, 5, 31) == booking.valid_until_after
    assert booking.status == "passed" and booking.mark_issued_at is not None
    last = car.history.order_by("-history_id").first()
    assert last.history_change_reason == f"inspection {booking.number} passed" and last.history_user == clerk_has
    assert kinds_for(citizen)[-1] == "exams.inspection_passed"
    with on(MONDAY, 12), pytest.raises(services.InspectionError):
        services.booking_result(booking, passed=False, actor=clerk_has)


def test_a_late_pass_keeps_the_anniversary_and_ends_overdue_status(citizen, make_car, make_slot):
    car = make_car(citizen, valid_until=D(2026, 2, 28), status=Vehicle.Status.OVERDUE_INSPECTION)
    booking = book(citizen, car, make_slot(MONDAY))
    with on(MONDAY, 11):
        services.booking_result(booking, passed=True)
    car.refresh_from_db()
    assert car.inspection_valid_until == D(2028, 2, 28) and car.status == Vehicle.Status.NORMAL


def test_a_fail_leaves_the_registry_and_allows_a_reinspection(citizen, make_car, make_slot):
    car = make_car(citizen)
    booking = book(citizen, car, make_slot(MONDAY))
    with on(MONDAY, 11):
        services.booking_result(booking, passed=False, note="制动不合格")
    car.refresh_from_db()
    assert car.inspection_valid_until == D(2026, 5, 31)
    assert kinds_for(citizen)[-1] == "exams.inspection_failed"
    book(citizen, car, make_slot(MONDAY + datetime.timedelta(days=2)), when=MONDAY)


def test_unsettled_violations_allow_booking_but_hold_the_mark_until_settled(citizen, make_car, make_slot, clerk_has):
    from violations import services as violation_services
    from violations.models import ViolationCode

    car = make_car(citizen)
    with on(D(2026, 3, 1)):
        violation = violation_services.violation_record(
            vehicle=car,
            code=ViolationCode.objects.get(code="1625"),
            occurred_at=timezone.now() - datetime.timedelta(days=2),
            place="淮海东路与健康西路路口",
            fine=None,
            source="camera",
            entered_at=timezone.now(),
        )
    state = services.vehicle_state(car, D(2026, 3, 2))
    assert state.may_book and state.unsettled
    booking = book(citizen, car, make_slot(MONDAY))
    with on(MONDAY, 11):
        services.booking_result(booking, passed=True, actor=clerk_has)
    car.refresh_from_db(), booking.refresh_from_db()
    assert booking.mark_pending and booking.valid_until_after == D(2028, 5, 31)
    assert car.inspection_valid_until == D(2026, 5, 31)  # unchanged until settled
    assert kinds_for(citizen)[-1] == "exams.inspection_passed_mark_pending"
    with on(MONDAY, 12), pytest.raises(services.InspectionError, match="违法"):
        services.booking_issue_mark(booking, actor=clerk_has)
    with on(MONDAY, 13):
        violation_services.violation_delete(violation, reason="录入错误", by=clerk_has)
        services.booking_issue_mark(booking, actor=clerk_has)
    car.refresh_from_db()
    assert car.inspection_valid_until == D(2028, 5, 31)
    assert kinds_for(citizen)[-1] == "exams.inspection_passed"


def test_a_no_show_is_recorded_after_the_day_only(citizen, make_car, make_slot):
    booking = book(citizen, make_car(citizen), make_slot(MONDAY))
    with on(MONDAY, 18), pytest.raises(services.InspectionError):
        services.booking_no_show(booking)
    with on(MONDAY + datetime.timedelta(days=1)):
        services.booking_no_show(booking)
    booking.refresh_from_db()
    assert booking.status == "no_show"


def test_a_pass_stops_the_overdue_reminders_of_the_notices_sweep(make_car, make_slot):
    from notices.services.sweeps import sweep

    passed_owner, late_owner = factories.UserFactory(), factories.UserFactory()
    passed_car = make_car(passed_owner, valid_until=D(2026, 3, 5))
    make_car(late_owner, valid_until=D(2026, 3, 5))  # the control: no booking, no result
    booking = book(passed_owner, passed_car, make_slot(MONDAY))
    with on(MONDAY, 11):
        services.booking_result(booking, passed=True)
    with on(D(2026, 3, 10)):
        sweep()
    overdue = "notices.inspection_overdue"
    assert Notice.objects.filter(id_number_hash=identity.id_key(late_owner.id_number), kind=overdue).count() == 1
    assert not Notice.objects.filter(id_number_hash=identity.id_key(passed_owner.id_number), kind=overdue).exists()
    with on(D(2026, 6, 10)):
        sweep()
    assert not Notice.objects.filter(
        id_number_hash=identity.id_key(passed_owner.id_number), kind__startswith="notices."
    ).exists()


# --- Slots from a station's template ---------------------------------------------------------------
def test_generating_a_week_skips_the_weekend_and_the_break_and_keeps_existing_slots(station, make_slot):
    make_slot(MONDAY, 9, capacity=1)
    slots = services.slots_generate(station, MONDAY, MONDAY + datetime.timedelta(days=6))
    # 08:30-16:30 in hours, 11:30-12:30 and 12:30-13:30 fall in the break: 6 slots a day.
    times = [s.starts_at.strftime("%H:%M") for s in slots if s.date == MONDAY + datetime.timedelta(days=1)]
    assert times == ["08:30", "09:30", "10:30", "13:30", "14:30", "15:30"]
    assert {s.date.weekday() for s in slots} == {0, 1, 2, 3, 4}
    assert len(slots) == 30 and all(s.capacity == 6 for s in slots)
    assert InspectionSlot.history.filter(history_type="+").count() == 31
    assert services.slots_generate(station, MONDAY, MONDAY + datetime.timedelta(days=6)) == []
    with pytest.raises(services.InspectionError):
        services.slots_generate(station, MONDAY, MONDAY + datetime.timedelta(days=200))


def test_notices_link_to_the_booking_and_the_reminders_to_booking(citizen, make_car, make_slot):
    from portal import hooks

    booking = book(citizen, make_car(citizen), make_slot(MONDAY))
    notice = Notice.objects.get(id_number_hash=identity.id_key(citizen.id_number), kind="exams.inspection_booked")
    assert notice.context["plate"] == booking.vehicle.plate_number and notice.context["date"] == "2026-03-09"
    assert hooks.notice_link(notice.kind, notice.context) == (f"/inspection/bookings/{booking.pk}/", "打开预约")
    assert hooks.notice_link("exams.inspection_moved", {"number": "../x"}) is None
    assert hooks.notice_link("notices.inspection_overdue", {})[0] == "/inspection/"


def test_an_active_booking_is_in_the_calendar_feed_until_cancelled(citizen, make_car, make_slot, has):
    from portal import hooks

    booking = book(citizen, make_car(citizen), make_slot(MONDAY, 9))
    with on(D(2026, 3, 3)):
        mine = [d for d in hooks.deadlines_for(citizen) if d.uid == f"inspection-booking-{booking.pk}"]
        assert len(mine) == 1 and mine[0].when == at(MONDAY, 9) and booking.number in mine[0].description
        services.booking_cancel(city=has, booking_id=booking.pk, id_number=citizen.id_number)
        assert not [d for d in hooks.deadlines_for(citizen) if d.uid.startswith("inspection-booking-")]
