"""Account pages run a fixed number of queries, however many vehicles and payments a citizen has
(tests/querycounts.py)."""

import pytest

from tests import factories
from tests.querycounts import page_budget

pytestmark = pytest.mark.django_db


@pytest.fixture
def busy_citizen(citizen, citizen_client, has):
    """A citizen with three vehicles and a driving licence."""
    for _ in range(3):
        factories.VehicleFactory(owner_id_number=citizen.id_number, owner_name=citizen.real_name, city=has)
    factories.DrivingLicenceFactory(city=has, id_number=citizen.id_number, holder_name=citizen.real_name)
    return citizen_client


@pytest.mark.parametrize("url", ["/", "/my/vehicles/", "/my/licence/"])
def test_account_pages(busy_citizen, django_assert_max_num_queries, url):
    budget = {"/": 4, "/my/vehicles/": 5, "/my/licence/": 5}[url]
    with page_budget(django_assert_max_num_queries, f"portal {url}", budget):
        assert busy_citizen.get(url).status_code == 200
