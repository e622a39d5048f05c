import datetime

import pytest
import time_machine
from django.utils import timezone

from portal import identity
from tests import factories
from violations import services
from violations.models import Binding, ViolationCode

D = datetime.date
FIRST_ISSUED = D(2015, 6, 1)
CYCLE_START = D(2026, 6, 1)


def at(day: datetime.date, hour: int = 10, minute: int = 0, second: int = 0) -> datetime.datetime:
    """An aware Asia/Shanghai datetime on a day."""
    return timezone.make_aware(datetime.datetime.combine(day, datetime.time(hour, minute, second)))


def on(day: datetime.date, hour: int = 10, minute: int = 0):
    """Travel to a local time on a day (time stands still)."""
    return time_machine.travel(at(day, hour, minute), tick=False)


def code(value: str) -> ViolationCode:
    found = ViolationCode.objects.filter(code=value).first()
    if found is None:
        # A transactional test flushed the seeded catalogue: seed it again as the migration does.
        import importlib

        from django.apps import apps

        importlib.import_module("violations.migrations.0002_seed_codes").seed(apps, None)
        found = ViolationCode.objects.get(code=value)
    return found


@pytest.fixture(autouse=True)
def _seeded(db):
    """The catalogue and the study bank the migrations seed (a transactional test elsewhere may
    have flushed them)."""
    import importlib

    from django.apps import apps

    from violations.models import StudyQuestion

    if not ViolationCode.objects.exists():
        importlib.import_module("violations.migrations.0002_seed_codes").seed(apps, None)
    if not StudyQuestion.objects.exists():
        importlib.import_module("violations.migrations.0003_seed_study").seed(apps, None)


@pytest.fixture
def person(has):
    """person(points=0, status="normal", licence=True) -> a citizen with a C1 licence."""

    def make(points=0, status="normal", licence=True, first_issued=FIRST_ISSUED, cycle_start=CYCLE_START, **user):
        citizen = factories.UserFactory(**user)
        if licence:
            factories.DrivingLicenceFactory(
                city=has,
                id_number=identity.normalize_id_number(citizen.id_number),
                holder_name=citizen.real_name,
                points=points,
                status=status,
                first_issued_on=first_issued,
                cycle_start=cycle_start,
            )
        return citizen

    return make


@pytest.fixture
def car(has):
    """car(owner, plate_type="02", engine="...") -> a vehicle of has owned by the citizen."""

    def make(owner, plate_type="02", engine=None, **fields):
        vehicle = factories.VehicleFactory(
            city=has,
            owner_id_number=identity.normalize_id_number(owner.id_number),
            owner_name=owner.real_name,
            plate_type=plate_type,
            **fields,
        )
        vehicle.engine_number = engine or f"EA211{vehicle.pk:07d}"
        vehicle.save(update_fields=["engine_number"])
        return vehicle

    return make


@pytest.fixture
def record():
    """record(vehicle, code="1625", when=aware datetime, fine=None, source="camera")."""

    def make(vehicle, code_value="1625", when=None, fine=None, source="camera", entered_at=None):
        when = when or at(D(2026, 7, 1))
        return services.violation_record(
            vehicle=vehicle,
            code=code(code_value),
            occurred_at=when,
            place="淮海东路与健康西路路口",
            fine=fine,
            source=source,
            entered_at=entered_at or max(when, timezone.now()),
        )

    return make


@pytest.fixture
def bind():
    """bind(vehicle, driver, approved_at) -> an active binding approved at that moment."""

    def make(vehicle, driver, approved_at=None, relationship="spouse"):
        return Binding.objects.create(
            city=vehicle.city,
            vehicle=vehicle,
            driver_id_number=identity.normalize_id_number(driver.id_number),
            driver_name=driver.real_name,
            relationship=relationship,
            status=Binding.Status.ACTIVE,
            requested_at=approved_at or timezone.now(),
            approved_at=approved_at or timezone.now(),
        )

    return make
