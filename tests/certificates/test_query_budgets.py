"""Certificate pages run a fixed number of queries, however many cases, vehicles and medical
certificates there are (tests/querycounts.py)."""

import pytest

from certificates.models import Item
from tests import factories
from tests.certificates.conftest import D, on, staff_of, submit, upload_medical
from tests.querycounts import page_budget

pytestmark = pytest.mark.django_db


@pytest.fixture
def busy_citizen(citizen, citizen_client, has, institution, institution_b):
    """A citizen with three vehicles, three open cases and two medical certificates."""
    cars = [
        factories.VehicleFactory(owner_id_number=citizen.id_number, owner_name=citizen.real_name, city=has)
        for _ in range(3)
    ]
    for i, car in enumerate(cars):
        with on(D(2026, 7, 1), 9 + i):
            submit(citizen, has, Item.VEHICLE_LICENCE, vehicle=car)
    upload_medical(staff_of(institution), citizen, D(2026, 6, 1))
    upload_medical(staff_of(institution_b), citizen, D(2026, 6, 20))
    return citizen_client


@pytest.mark.parametrize(
    "url",
    ["/certificates/", "/certificates/cases/", "/certificates/medical/", "/certificates/institutions/"],
)
def test_citizen_list_pages(busy_citizen, django_assert_max_num_queries, url):
    budget = {
        "/certificates/": 5,
        "/certificates/cases/": 5,
        "/certificates/medical/": 6,
        "/certificates/institutions/": 5,
    }[url]
    with on(D(2026, 7, 2)), page_budget(django_assert_max_num_queries, f"certificates {url}", budget):
        assert busy_citizen.get(url).status_code == 200


def test_choose_vehicle_page(busy_citizen, django_assert_max_num_queries):
    with on(D(2026, 7, 2)), page_budget(django_assert_max_num_queries, "certificates choose", 8):
        assert busy_citizen.get("/certificates/apply/vehicle-licence/").status_code == 200


def test_hospital_list_page(client, has, institution, django_assert_max_num_queries):
    doctor = staff_of(institution)
    for _ in range(3):
        upload_medical(doctor, factories.UserFactory(), D(2026, 6, 1))
    client.defaults["HTTP_HOST"] = "has.localhost"
    client.force_login(doctor)
    with on(D(2026, 6, 2)), page_budget(django_assert_max_num_queries, "certificates hospital", 6):
        assert client.get("/certificates/hospital/").status_code == 200
