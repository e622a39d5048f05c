"""Exam pages run a fixed number of queries, however many plans, requests and results there are
(tests/querycounts.py)."""

import datetime

import pytest
import redis
from django.test import Client

from exams.models import ExamRequest, InspectionBooking
from notices.models import Notice
from portal.auth_backends import remember_user
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


@pytest.fixture
def redis_commands(monkeypatch):
    """The commands the cache sends to Redis, by name (one each is a round trip)."""
    sent = []
    original = redis.Redis.execute_command

    def counted(self, *args, **kwargs):
        sent.append(str(args[0]).upper())
        return original(self, *args, **kwargs)

    monkeypatch.setattr(redis.Redis, "execute_command", counted)
    return sent


def test_rush_request(candidate_with_requests, make_learner, django_assert_max_num_queries, redis_commands):
    """As in production: the user from the cache (without the ID number, which the request
    does not read), then the transaction: the plan's share lock, the records, the request and
    its history row. Redis: the session, the user, and each limit's add and incr (django-ratelimit)."""
    client, plans = candidate_with_requests
    newcomer, _ = make_learner("C1")
    client.force_login(newcomer)
    remember_user(newcomer)
    redis_commands.clear()
    with on(D(2026, 7, 1)), page_budget(django_assert_max_num_queries, "exams:request", 6) as queries:
        response = client.post(f"/exams/plans/{plans[1].pk}/request/")
    assert response.status_code == 302
    assert ExamRequest.objects.filter(plan=plans[1]).count() == 1
    assert not any('"portal_user"' in q["sql"] for q in queries.captured_queries)
    # The account's first request adds its counter (SET NX); the address's counter exists from
    # the fixture's requests: refused add, then the one-step incr (portal.cache).
    assert redis_commands == ["GET", "GET", "SET", "SET", "EVALSHA"]


@pytest.mark.django_db(transaction=True)
def test_inspection_booking(citizen, make_car, make_slot, django_assert_max_num_queries, redis_commands, monkeypatch):
    """A booking outside any transaction, as in production: one read (the vehicle, the slot and
    the booking's id) and one statement (the place, the booking, its history row and its notice,
    committed by itself). Redis: the session, the user, each limit's add and incr, the
    delivery kick."""
    from notices import tasks

    kicks = []
    monkeypatch.setattr(tasks.deliver_new, "apply_async", lambda *a, **k: kicks.append(k))
    car = make_car(citizen)
    slot = make_slot(D(2026, 3, 9), 9)
    client = Client(HTTP_HOST="has.localhost")
    client.force_login(citizen)
    remember_user(citizen)
    client.get("/inspection/")  # the city is kept per process
    redis_commands.clear()
    with on(D(2026, 3, 2)), page_budget(django_assert_max_num_queries, "inspection:book", 2):
        response = client.post(f"/inspection/vehicles/{car.pk}/book/", {"slot": slot.pk})
    booking = InspectionBooking.objects.get(vehicle=car)
    assert response.status_code == 302 and response.url == f"/inspection/bookings/{booking.pk}/"
    assert booking.history.get().history_type == "+"
    assert Notice.objects.get(dedupe_key=f"exams.inspection_booked.{booking.pk}").kind == "exams.inspection_booked"
    # Both counters are new (added, SET NX), then the delivery kick's SET NX.
    assert redis_commands == ["GET", "GET", "SET", "SET", "SET"] and len(kicks) == 1


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
    # Paged: the count of listed plans and the page's plan ids come before their figures.
    with on(D(2026, 6, 20)), page_budget(django_assert_max_num_queries, "exams:public", 4):
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
