"""The rush limits (portal.ratelimits): django-ratelimit's counters in Redis, each limit refusing
on its own, two round trips per limit, and a refusal when Redis cannot count."""

import pytest
from django.test import RequestFactory

from portal import ratelimits
from tests.portal.test_redis_down import redis_down  # noqa: F401 (a fixture)

pytestmark = pytest.mark.django_db


def _request(user_id=7, address="10.1.2.3"):
    request = RequestFactory().post("/", REMOTE_ADDR=address)
    request.user = type("U", (), {"is_authenticated": True, "pk": user_id})()
    return request


def test_a_limit_that_exists_costs_two_round_trips(settings, count_redis_commands):
    settings.RUSH_LIMITS = {"g": ("3/m", "5/m")}
    ratelimits.limited(_request(user_id=1), "g")  # both counters exist; Redis knows the script
    commands = count_redis_commands()
    assert not ratelimits.limited(_request(user_id=1), "g")
    # django-ratelimit's ADD (refused: the counter exists), then the one-step INCR (portal.cache).
    assert commands == ["SET", "EVALSHA", "SET", "EVALSHA"]


def test_the_account_limit_and_the_address_limit_each_refuse(settings):
    settings.RUSH_LIMITS = {"g": ("3/m", "5/m")}
    assert [ratelimits.limited(_request(), "g") for _ in range(4)] == [False, False, False, True]
    # Other accounts behind the same address: its counter already holds 4 of its 5.
    assert [ratelimits.limited(_request(user_id=8), "g") for _ in range(2)] == [False, True]
    assert not ratelimits.limited(_request(user_id=9, address="10.9.9.9"), "g")


def test_without_redis_the_request_is_refused(settings, redis_down):  # noqa: F811
    settings.RUSH_LIMITS = {"g": ("3/m", "5/m")}
    assert ratelimits.limited(_request(), "g")
    settings.RATELIMIT_FAIL_OPEN = True
    assert not ratelimits.limited(_request(), "g")
