"""Handling the same record twice at once (two tabs, two bound drivers): real threads, each
with its own PostgreSQL connection. A barrier holds every thread after its Python checks, so
only the database (row locks, the conditional claim, the unique decision) decides."""

import threading

import pytest
from django.db import connection

from portal.models import DrivingLicence
from tests.races import barrier, race
from tests.violations.conftest import D, at, on
from violations import services
from violations.models import Decision, Violation
from violations.services import handling

pytestmark = pytest.mark.django_db(transaction=True)
THREADS = 8


def hold_after_checks(monkeypatch, parties, timeout=20):
    """Hold every handling after its refusal checks, just before the claim."""
    gate = barrier(parties, timeout=timeout)
    reached = []
    original = handling.group_refusals

    def held(records, licence):
        result = original(records, licence)
        reached.append(1)
        try:
            gate.wait()
        except threading.BrokenBarrierError:
            pass  # under the row lock the other thread waits for this one: the lock did its work  # under the row lock only one thread gets here at a time: the lock did its work
        return result

    monkeypatch.setattr(handling, "group_refusals", held)
    return reached


def points(user):
    return DrivingLicence.objects.held_by(user.id_number).get().points


@pytest.fixture
def contested(person, car, record, bind):
    owner, driver = person(), person()
    vehicle = car(owner)
    bind(vehicle, driver, approved_at=at(D(2026, 6, 1)))
    with on(D(2026, 7, 2)):
        violation = record(vehicle, when=at(D(2026, 7, 1)))
    return owner, driver, violation


def test_two_tabs_and_a_bound_driver_handling_one_record_give_one_decision(contested):
    owner, driver, violation = contested
    gate = barrier(THREADS, timeout=20)

    def handle(i):
        gate.wait()
        with on(D(2026, 7, 3)):
            return services.violation_handle([violation.pk], user=owner if i % 2 else driver)

    results, errors = race(handle, THREADS, start_together=False).returned_and_raised
    assert len([r for r in results if r]) == 1
    assert len(errors) == THREADS - 1
    assert all(isinstance(e, services.ViolationError) for e in errors)
    assert Decision.objects.filter(violation=violation).count() == 1
    assert points(owner) + points(driver) == 6
    assert Violation.objects.get(pk=violation.pk).status == "decided"


def test_control_without_the_lock_and_the_claim_the_record_is_handled_twice(contested, monkeypatch):
    """The same race with the row lock and the conditional claim replaced by plain reads and an
    unconditional update, and the unique decision dropped: points are recorded twice."""
    owner, driver, violation = contested
    monkeypatch.setattr(
        handling,
        "_lock_records",
        lambda ids, key, since: list(handling._records(ids, key, since)),
    )
    monkeypatch.setattr(handling, "_claim", lambda ids: Violation.objects.filter(pk__in=ids).update(status="decided"))
    monkeypatch.setattr(handling, "decision_number", lambda city, pk, day: f"CTRL{threading.get_ident()}")
    reached = hold_after_checks(monkeypatch, 2)
    field = Decision._meta.get_field("violation")
    with connection.cursor() as cursor:
        constraints = connection.introspection.get_constraints(cursor, Decision._meta.db_table)
    (unique_name,) = [n for n, c in constraints.items() if c["unique"] and c["columns"] == [field.column]]
    with connection.cursor() as cursor:
        cursor.execute(f'ALTER TABLE {Decision._meta.db_table} DROP CONSTRAINT "{unique_name}"')
    try:

        def handle(i):
            with on(D(2026, 7, 3)):
                return services.violation_handle([violation.pk], user=owner if i else driver)

        results, errors = race(handle, 2, start_together=False).returned_and_raised
        decisions = Decision.objects.filter(violation=violation).count()
        total = points(owner) + points(driver)
    finally:
        Decision.objects.all().delete()
        with connection.cursor() as cursor:
            cursor.execute(
                f'ALTER TABLE {Decision._meta.db_table} ADD CONSTRAINT "{unique_name}" UNIQUE ("{field.column}")'
            )
    assert len(reached) == 2 and errors == []
    assert decisions == 2 and total == 12


def test_with_the_guard_and_threads_held_after_their_checks_only_one_wins(contested, monkeypatch):
    owner, driver, violation = contested
    reached = hold_after_checks(monkeypatch, 2, timeout=3)

    def handle(i):
        with on(D(2026, 7, 3)):
            return services.violation_handle([violation.pk], user=owner if i else driver)

    results, errors = race(handle, 2, start_together=False).returned_and_raised
    assert len([r for r in results if r]) == 1 and len(errors) == 1
    assert Decision.objects.filter(violation=violation).count() == 1
    assert points(owner) + points(driver) == 6
    assert len(reached) >= 1


@pytest.fixture
def four_requests(person, car):
    from violations.models import Binding

    owner = person()
    vehicle = car(owner)
    requests = []
    for _ in range(4):
        driver = person()
        requests.append(
            services.binding_request(
                user=driver,
                plate_type=vehicle.plate_type,
                plate_number=vehicle.plate_number,
                engine_last6=vehicle.engine_number[-6:],
                relationship="friend",
            )
        )
    return owner, vehicle, requests, Binding


def hold_after_count(monkeypatch, parties, timeout):
    from violations.services import bindings

    gate = barrier(parties, timeout=timeout)
    original = bindings._limits

    def held(vehicle, driver_key):
        result = original(vehicle, driver_key)
        try:
            gate.wait()
        except threading.BrokenBarrierError:
            pass  # the row lock kept the others out: nothing to wait for
        return result

    monkeypatch.setattr(bindings, "_limits", held)


def test_four_approvals_at_once_leave_at_most_two_drivers_besides_the_owner(four_requests, monkeypatch):
    owner, vehicle, requests, Binding = four_requests
    hold_after_count(monkeypatch, 4, timeout=3)
    results, errors = race(
        lambda i: services.binding_approve(requests[i], owner=owner), 4, start_together=False
    ).returned_and_raised
    assert Binding.objects.filter(vehicle=vehicle, status="active").count() == 2
    assert len(errors) == 2 and all(isinstance(e, services.ViolationError) for e in errors)


def test_control_without_the_row_locks_the_approvals_exceed_the_limit(four_requests, monkeypatch):
    from violations.services import bindings

    owner, vehicle, requests, Binding = four_requests
    monkeypatch.setattr(bindings, "_lock_for_approval", lambda binding: None)
    hold_after_count(monkeypatch, 4, timeout=20)
    results, errors = race(
        lambda i: services.binding_approve(requests[i], owner=owner), 4, start_together=False
    ).returned_and_raised
    assert errors == []
    assert Binding.objects.filter(vehicle=vehicle, status="active").count() == 4
