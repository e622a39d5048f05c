"""Violation pages run a fixed number of queries, however many records, decisions and bindings
there are (tests/querycounts.py)."""

import datetime

import pytest

from tests.querycounts import page_budget
from tests.violations.conftest import D, at, on
from violations import services

pytestmark = pytest.mark.django_db


@pytest.fixture
def busy_owner(client, person, car, record, bind):
    """An owner of two cars with four records (one decided) and a bound driver."""
    owner, driver = person(), person()
    cars = [car(owner), car(owner)]
    bind(cars[0], driver, approved_at=at(D(2026, 6, 1)))
    with on(D(2026, 7, 3)):
        records = [record(c, when=at(D(2026, 7, 1), 8 + i)) for i, c in enumerate(cars * 2)]
        services.violation_handle([records[0].pk], user=owner)
    client.defaults["HTTP_HOST"] = "has.localhost"
    client.force_login(owner)
    return client


@pytest.mark.parametrize("url", ["/violations/", "/violations/bindings/", "/violations/study/"])
def test_list_pages(busy_owner, django_assert_max_num_queries, url):
    budget = {"/violations/": 7, "/violations/bindings/": 6, "/violations/study/": 11}[url]
    with on(D(2026, 7, 3)), page_budget(django_assert_max_num_queries, f"violations {url}", budget):
        assert busy_owner.get(url).status_code == 200


def test_handle_page(busy_owner, django_assert_max_num_queries):
    from violations.models import Violation

    ids = ",".join(str(v.pk) for v in Violation.objects.filter(status="unhandled"))
    with on(D(2026, 7, 3)), page_budget(django_assert_max_num_queries, "violations handle", 10):
        assert busy_owner.post("/violations/handle/", {"ids": ids.split(",")}).status_code == 200


def test_decision_page(busy_owner, django_assert_max_num_queries):
    from violations.models import Decision

    number = Decision.objects.first().number
    with on(D(2026, 7, 3) + datetime.timedelta(days=1)):
        with page_budget(django_assert_max_num_queries, "violations decision", 5):
            assert busy_owner.get(f"/violations/decision/{number}/").status_code == 200
