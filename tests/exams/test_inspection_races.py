"""Inspection slots under a rush: real threads, each with its own PostgreSQL connection.

A barrier holds every thread right before the deciding write, so each test also proves that the
race is real (all threads passed the Python checks together), and the control swaps the guard
(the conditional UPDATE) for a read-then-write and shows the over-booking it prevents.
"""

import datetime

import pytest

from exams import sql
from exams.models import InspectionBooking, InspectionSlot
from exams.services import inspection as services
from tests import factories, races
from tests.exams.conftest import on
from tests.races import race

D = datetime.date
pytestmark = pytest.mark.django_db(transaction=True)
THREADS = 16
MONDAY = D(2026, 3, 9)


def hold_before_statement(monkeypatch, parties):
    """Every booking waits at a barrier right before the statement that takes the place (inside
    its transaction, after every check)."""
    barrier = races.barrier(parties)
    reached = []
    original = sql.booking_insert_sql

    def held():
        reached.append(1)
        barrier.wait()
        return original()

    monkeypatch.setattr(sql, "booking_insert_sql", held)
    return reached


@pytest.fixture
def crowd(make_car):
    owners = [factories.UserFactory() for _ in range(THREADS)]
    return owners, [make_car(u) for u in owners]


def book(owner, car, slot):
    return services.booking_create(city=car.city, vehicle_id=car.pk, slot_id=slot.pk, id_number=owner.id_number)


def test_sixteen_cars_rushing_a_slot_of_four_get_exactly_four_places(crowd, make_slot, monkeypatch):
    owners, cars = crowd
    slot = make_slot(MONDAY, capacity=4)
    reached = hold_before_statement(monkeypatch, THREADS)
    with on(D(2026, 3, 2)):
        results, errors = race(
            lambda i: book(owners[i], cars[i], slot), THREADS, start_together=False
        ).returned_and_raised
    assert len(reached) == THREADS  # all sixteen were past every check at once
    assert len([r for r in results if r is not None]) == 4
    assert len(errors) == 12 and all("已约满" in e.message for e in errors)
    slot.refresh_from_db()
    assert slot.booked == 4 == InspectionBooking.objects.filter(slot=slot, status="booked").count()


def test_control_without_the_conditional_update_the_slot_is_overbooked(crowd, make_slot, monkeypatch):
    """The same rush with a read-then-write in place of the guard: each booking reads the
    slot's count first and writes count + 1 if it saw a free place; every thread reads before
    any writes, and all sixteen get one of the four places."""
    owners, cars = crowd
    slot = make_slot(MONDAY, capacity=4)
    barrier = races.barrier(THREADS)
    guarded = sql.booking_insert_sql()
    assert guarded.count("SET booked = booked + 1") == 1 and guarded.count("AND booked < capacity") == 1

    def read_then_write():
        seen = InspectionSlot.objects.get(pk=slot.pk)
        barrier.wait()  # everyone has read "free" before anyone writes
        free = "true" if seen.booked < seen.capacity else "false"
        return guarded.replace("SET booked = booked + 1", f"SET booked = {seen.booked + 1}").replace(
            "AND booked < capacity", f"AND {free}"
        )

    monkeypatch.setattr(sql, "booking_insert_sql", read_then_write)
    with on(D(2026, 3, 2)):
        results, errors = race(
            lambda i: book(owners[i], cars[i], slot), THREADS, start_together=False
        ).returned_and_raised
    assert errors == []
    assert InspectionBooking.objects.filter(slot=slot, status="booked").count() == THREADS  # 16 cars, 4 places
    slot.refresh_from_db()
    assert slot.booked == 1  # the lost updates hide it from the counter


def test_one_car_booked_sixteen_times_at_once_has_one_active_booking(citizen, make_car, make_slot, monkeypatch):
    car = make_car(citizen)
    slots = [make_slot(MONDAY, 8 + i % 8, capacity=5) for i in range(8)]
    barrier = races.barrier(THREADS)
    original = services.vehicle_state
    reached = []

    def held(vehicle, today=None, **kwargs):
        state = original(vehicle, today, **kwargs)
        reached.append(1)
        barrier.wait()  # everyone has passed the state check
        return state

    monkeypatch.setattr(services, "vehicle_state", held)
    with on(D(2026, 3, 2)):
        results, errors = race(
            lambda i: book(citizen, car, slots[i % 8]), THREADS, start_together=False
        ).returned_and_raised
    assert len(reached) == THREADS
    assert len([r for r in results if r is not None]) == 1
    assert len(errors) == THREADS - 1 and all("已有" in e.message for e in errors)
    assert InspectionBooking.objects.filter(vehicle=car, status="booked").count() == 1
    assert sum(InspectionSlot.objects.values_list("booked", flat=True)) == 1  # refused bookings took nothing


def test_moves_in_opposite_directions_neither_deadlock_nor_lose_a_place(make_car, make_slot):
    early, late = make_slot(MONDAY, 9, capacity=THREADS), make_slot(MONDAY, 10, capacity=THREADS)
    owners = [factories.UserFactory() for _ in range(THREADS)]
    bookings = []
    with on(D(2026, 3, 2)):
        for i, owner in enumerate(owners):
            bookings.append(book(owner, make_car(owner), early if i % 2 else late))
    barrier = races.barrier(THREADS)

    def move(i):
        target = late if i % 2 else early
        barrier.wait()
        return services.booking_move(
            city=target.city, booking_id=bookings[i].pk, slot_id=target.pk, id_number=owners[i].id_number
        )

    with on(D(2026, 3, 3)):
        results, errors = race(move, THREADS, start_together=False).returned_and_raised
    assert errors == []
    early.refresh_from_db(), late.refresh_from_db()
    assert (early.booked, late.booked) == (THREADS // 2, THREADS // 2)
    assert InspectionBooking.objects.filter(slot=early).count() == THREADS // 2
