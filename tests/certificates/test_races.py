"""One open application per item and vehicle or licence, under a race of real connections.

A barrier holds every thread after all of the Python checks (eligibility) and right before the
INSERT, so the test also proves the race is real: every thread saw no open case, and only the
partial unique constraints kept the outcome right (a submission does not even ask whether a case
is open: the constraint answers).
"""

import pytest

from certificates import services
from certificates.models import Application, Item
from certificates.services import applications
from tests import factories
from tests.certificates.conftest import D, on
from tests.races import barrier, race

pytestmark = pytest.mark.django_db(transaction=True)
THREADS = 16


@pytest.fixture
def held_before_insert(monkeypatch):
    """The SMS code is one per submission by design (check_code locks and spends it); this race
    is about the INSERT, so each thread's code is accepted and every thread then waits at the
    barrier that sits after the eligibility checks."""
    monkeypatch.setattr(applications.verification, "check_code", lambda mobile, purpose, code: None)

    def hold(parties):
        gate = barrier(parties, timeout=20)
        reached = []
        original = applications.charges

        def held(*args, **kwargs):
            reached.append(1)
            gate.wait()
            return original(*args, **kwargs)

        monkeypatch.setattr(applications, "charges", held)
        return reached

    return hold


def _submit(user, city, item, **subject):
    return services.application_submit(
        user=user,
        city=city,
        item=item,
        code="123456",
        kind=services.KINDS[item][0],
        delivery="collect",
        **subject,
    )


def test_sixteen_submissions_for_one_car_make_one_open_case(held_before_insert):
    user = factories.UserFactory()
    city = factories.city("has")
    car = factories.VehicleFactory(owner_id_number=user.id_number, city=city)
    reached = held_before_insert(THREADS)
    with on(D(2026, 7, 6)):
        results, errors = race(
            lambda i: _submit(user, city, Item.VEHICLE_LICENCE, vehicle=car), THREADS, start_together=False
        ).returned_and_raised
    # Control: all sixteen reached the INSERT at the same time ...
    assert len(reached) == THREADS
    # ... and only the partial unique constraint stopped fifteen, with the page's message.
    assert len([r for r in results if r is not None]) == 1
    assert len(errors) == THREADS - 1
    assert all(isinstance(e, services.CertificateError) for e in errors), errors
    assert Application.objects.filter(vehicle=car, status__in=Application.OPEN).count() == 1


def test_a_licence_raced_for_two_items_gets_one_case_of_each(held_before_insert):
    user = factories.UserFactory()
    city = factories.city("has")
    licence = factories.DrivingLicenceFactory(id_number=user.id_number, city=city)
    car = factories.VehicleFactory(owner_id_number=user.id_number, city=city)
    reached = held_before_insert(THREADS)
    targets = [
        (Item.LICENCE_REPLACEMENT, {"licence": licence}),
        (Item.PLATES, {"vehicle": car}),
        (Item.REGISTRATION_CERT, {"vehicle": car}),
        (Item.VEHICLE_LICENCE, {"vehicle": car}),
    ]
    with on(D(2026, 7, 6)):
        results, errors = race(
            lambda i: _submit(user, city, targets[i % 4][0], **targets[i % 4][1]), THREADS, start_together=False
        ).returned_and_raised
    assert len(reached) == THREADS
    assert len([r for r in results if r is not None]) == 4 and len(errors) == THREADS - 4
    assert sorted(Application.objects.values_list("item", flat=True)) == sorted(t[0] for t in targets)
