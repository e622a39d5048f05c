"""factory_boy factories shared by every app's tests."""

import datetime
import itertools

import factory
from django.utils import timezone

from portal import identity
from portal.models import City, ClerkProfile, DrivingLicence, User, Vehicle

_seq = itertools.count(1)


def make_id_number(birth=datetime.date(1990, 5, 17), region="320803") -> str:
    return identity.make_id_number(region, birth, next(_seq) % 1000)


def make_mobile() -> str:
    return f"139{next(_seq):08d}"


def city(code="has") -> City:
    """A seeded city; recreates the 13 cities if a transactional test flushed them."""
    found = City.objects.filter(code=code).first()
    if found is None:
        from portal.cities_data import ensure_cities

        ensure_cities(City)
        found = City.objects.get(code=code)
    return found


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = User
        skip_postgeneration_save = True

    real_name = factory.Sequence(lambda n: f"市民{n}")
    id_number = factory.LazyFunction(make_id_number)
    mobile = factory.LazyFunction(make_mobile)
    role = User.Role.CITIZEN
    # Verified against the registry unless a test says otherwise (identity_verified_at=None).
    identity_verified_at = factory.LazyFunction(timezone.now)
    identity_verified_how = "counter"
    password = factory.PostGenerationMethodCall("set_password", "Secret-pass-123")

    @factory.post_generation
    def _save(obj, create, extracted, **kwargs):
        if create:
            obj.save()


def clerk(city_code="has", **kwargs) -> User:
    user = UserFactory(role=User.Role.CLERK, is_staff=True, **kwargs)
    ClerkProfile.objects.create(user=user, city=city(city_code))
    return user


class VehicleFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Vehicle

    city = factory.LazyFunction(city)
    vin = factory.Sequence(lambda n: f"LSVAU2180N{n:07d}"[:17])
    conformity_cert_number = factory.Sequence(lambda n: f"WAC{n:012d}")
    owner_id_number = factory.LazyFunction(make_id_number)
    owner_name = "车主"
    brand = "大众"
    model_name = "SVW7141"
    status = Vehicle.Status.NORMAL
    plate_number = factory.Sequence(lambda n: f"苏H{n % 100000:05d}")
    registered_on = datetime.date(2022, 3, 1)
    inspection_valid_until = datetime.date(2028, 3, 31)


class DrivingLicenceFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = DrivingLicence

    city = factory.LazyFunction(city)
    id_number = factory.LazyFunction(make_id_number)
    file_number = factory.Sequence(lambda n: f"3208{n:08d}")
    holder_name = "驾驶人"
    licence_class = "C1"
    first_issued_on = datetime.date(2015, 6, 1)
    valid_from = datetime.date(2021, 6, 1)
    valid_until = datetime.date(2031, 6, 1)
    cycle_start = datetime.date(2026, 6, 1)
