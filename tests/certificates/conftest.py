import datetime

import pytest
import time_machine
from django.utils import timezone

from certificates import services
from certificates.models import CompulsoryInsurance, VehicleTax
from portal.models import MedicalInstitution, User
from tests import factories
from tests.conftest import last_code

D = datetime.date


def at(day: datetime.date, hour: int = 10, minute: int = 0) -> datetime.datetime:
    return timezone.make_aware(datetime.datetime.combine(day, datetime.time(hour, minute)))


def on(day: datetime.date, hour: int = 10, minute: int = 0):
    """Travel to a local time on a day (time stands still)."""
    return time_machine.travel(at(day, hour, minute), tick=False)


@pytest.fixture
def institution(has):
    return MedicalInstitution.objects.create(
        city=has, name="淮安市第一人民医院", licence_number="PDY00001X32080017A1001", address="淮阴区北京西路 1 号"
    )


@pytest.fixture
def institution_b(has):
    return MedicalInstitution.objects.create(
        city=has, name="淮安市第二人民医院", licence_number="PDY00002X32080017A1002", address="清江浦区淮海南路 62 号"
    )


def staff_of(institution) -> User:
    return factories.UserFactory(role=User.Role.HOSPITAL, medical_institution=institution)


@pytest.fixture
def doctor(institution):
    return staff_of(institution)


@pytest.fixture
def doctor_b(institution_b):
    return staff_of(institution_b)


MEDICAL = {
    "height_cm": 172,
    "vision_left": "5.0",
    "vision_right": "4.9",
    "vision_corrected": False,
    "colour_vision": "normal",
    "hearing_ok": True,
    "limbs_ok": True,
    "trunk_neck_ok": True,
    "conclusion": "fit",
    "classes_fit": ["C1", "C2"],
    "doctor_name": "王医生",
}


def upload_medical(doctor, person, exam_date, **overrides):
    """A medical certificate uploaded on exam_date (time travels there)."""
    with on(exam_date, 15):
        return services.medical_upload(
            doctor, id_number=person.id_number, name=person.real_name, exam_date=exam_date, **{**MEDICAL, **overrides}
        )


@pytest.fixture
def licence_of():
    def make(user, **fields):
        return factories.DrivingLicenceFactory(id_number=user.id_number, holder_name=user.real_name, **fields)

    return make


@pytest.fixture
def exempt_car(citizen, has):
    """A private 5-seat car registered 2022-03-01: its 4-year inspection (due 2026-03-31) is exempt."""
    vehicle = factories.VehicleFactory(
        owner_id_number=citizen.id_number,
        owner_name=citizen.real_name,
        city=has,
        registered_on=D(2022, 3, 1),
        inspection_valid_until=D(2026, 3, 31),
    )
    CompulsoryInsurance.objects.create(
        vehicle=vehicle,
        policy_number=f"PDZA{vehicle.pk:012d}",
        insurer="人保财险",
        valid_from=D(2025, 6, 1),
        valid_until=D(2026, 5, 31),
    )
    # The vehicle and vessel tax of every year since the last inspection (2024-03-31), the 2025
    # year collected with the policy above (docs/rules.md §4.1).
    for year in (2024, 2025):
        VehicleTax.objects.create(vehicle=vehicle, tax_year=year, certificate_number=f"T{year}{vehicle.pk:08d}")
    return vehicle


@pytest.fixture
def car(citizen, has):
    return factories.VehicleFactory(owner_id_number=citizen.id_number, owner_name=citizen.real_name, city=has)


def submit(user, city, item, *, day=None, **kwargs):
    """Send and use an SMS code, then submit (by post to a default address unless told)."""
    services.send_code(user)
    fields = {
        "kind": services.KINDS[item][0],
        "delivery": "post",
        "recipient_name": user.real_name,
        "recipient_phone": user.mobile,
        "address": "江苏省淮安市清江浦区健康东路 1 号",
        **kwargs,
    }
    return services.application_submit(user=user, city=city, item=item, code=last_code(user.mobile), **fields)
