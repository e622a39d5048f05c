"""Exam pages run a fixed number of queries, however many plans, requests and results there are
(tests/querycounts.py)."""

import datetime

import pytest

from exams.models import ExamRequest
from tests.exams.conftest import at, on, sit
from tests.querycounts import page_budget

D = datetime.date
pytestmark = pytest.mark.django_db


@pytest.fixture
def candidate_with_requests(make_learner, make_plan, has_client):
    """A candidate with three open plans on the page and two requests of their own."""
    user, _ = make_learner("C1")
    plans = [make_plan(D(2026, 7, 20 + i), subject="1", starts=8 + i) for i in range(3)]
    plans += [make_plan(D(2026, 7, 27), subject="2")]
    has_client.force_login(user)
    with on(D(2026, 7, 1)):
        has_client.post(f"/exams/plans/{plans[0].pk}/request/")
    return has_client, plans


def test_plans_page(candidate_with_requests, django_assert_max_num_queries):
    client, _ = candidate_with_requests
    with on(D(2026, 7, 1)), page_budget(django_assert_max_num_queries, "exams:plans", 8):
        assert client.get("/exams/").status_code == 200


def test_rush_request(candidate_with_requests, make_learner, django_assert_max_num_queries):
    client, plans = candidate_with_requests
    newcomer, _ = make_learner("C1")
    client.force_login(newcomer)
    with on(D(2026, 7, 1)), page_budget(django_assert_max_num_queries, "exams:request", 8):
        response = client.post(f"/exams/plans/{plans[1].pk}/request/")
    assert response.status_code == 302
    assert ExamRequest.objects.filter(plan=plans[1]).count() == 1


def _sat_plans(make_learner, make_plan):
    """Three plans with results, each sat by three candidates."""
    plans = []
    for day in (15, 16, 17):
        users = [make_learner("C1", accepted=at(D(2026, 2, 1 + i)))[0] for i in range(3)]
        plan = make_plan(D(2026, 6, day), capacity=2, starts=8)
        sit(plan, [(users[0], "pass"), (users[1], "fail"), (users[2], None)])
        plans.append(plan)
    return plans


def test_public_page(make_learner, make_plan, has_client, django_assert_max_num_queries):
    _sat_plans(make_learner, make_plan)
    with on(D(2026, 6, 20)), page_budget(django_assert_max_num_queries, "exams:public", 3):
        assert has_client.get("/exams/public/").status_code == 200


def test_public_draw_page(make_learner, make_plan, has_client, django_assert_max_num_queries):
    plans = _sat_plans(make_learner, make_plan)
    with on(D(2026, 6, 20)), page_budget(django_assert_max_num_queries, "exams:draw", 4):
        assert has_client.get(f"/exams/public/plans/{plans[0].pk}/").status_code == 200


def test_permit_page(make_learner, has_client, django_assert_max_num_queries):
    user, _ = make_learner("C1", permit_on=D(2026, 6, 1))
    has_client.force_login(user)
    with page_budget(django_assert_max_num_queries, "exams:permit", 5):
        assert has_client.get("/exams/permit/").status_code == 200
