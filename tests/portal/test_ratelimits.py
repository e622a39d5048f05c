"""The rush limits (portal.ratelimits): both counters in one Redis round trip, django-ratelimit's
fixed windows, and a refusal when Redis cannot count."""

import pytest
import redis
from django.test import RequestFactory

from portal import ratelimits
from tests.portal.test_redis_down import redis_down  # noqa: F401 (a fixture)

pytestmark = pytest.mark.django_db


def _request(user_id=7, address="10.1.2.3"):
    request = RequestFactory().post("/", REMOTE_ADDR=address)
    request.user = type("U", (), {"is_authenticated": True, "pk": user_id})()
    return request


def test_both_limits_are_counted_in_one_round_trip(settings, monkeypatch):
    settings.RUSH_LIMITS = {"g": ("3/m", "5/m")}
    ratelimits.limited(_request(user_id=1), "g")  # Redis now knows the script (EVALSHA only)
    commands = []
    original = redis.Redis.execute_command

    def counting(self, *args, **kwargs):
        commands.append(args[0])
        return original(self, *args, **kwargs)

    monkeypatch.setattr(redis.Redis, "execute_command", counting)
    assert not ratelimits.limited(_request(), "g")
    assert commands == ["EVALSHA"]


def test_the_account_limit_and_the_address_limit_each_refuse(settings):
    settings.RUSH_LIMITS = {"g": ("3/m", "5/m")}
    assert [ratelimits.limited(_request(), "g") for _ in range(4)] == [False, False, False, True]
    # Other accounts behind the same address: its counter already holds 4 of its 5.
    assert [ratelimits.limited(_request(user_id=8), "g") for _ in range(2)] == [False, True]
    assert not ratelimits.limited(_request(user_id=9, address="10.9.9.9"), "g")


def test_rates_and_windows_read_as_django_ratelimit_reads_them():
    assert ratelimits._split_rate("30/m") == (30, 60)
    assert ratelimits._split_rate("5/10m") == (5, 600)
    assert ratelimits._split_rate("7/h") == (7, 3600)
    end = ratelimits._window_end("10.1.2.3", 60, 1_000_000)
    assert 1_000_000 <= end < 1_000_060


def test_without_redis_the_request_is_refused(settings, redis_down):  # noqa: F811
    settings.RUSH_LIMITS = {"g": ("3/m", "5/m")}
    assert ratelimits.limited(_request(), "g")
    settings.RATELIMIT_FAIL_OPEN = True
    assert not ratelimits.limited(_request(), "g")
