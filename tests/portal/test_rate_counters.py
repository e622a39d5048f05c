"""The rush limits' counters (portal.ratelimits): django-ratelimit's keys, windows and expiry,
both limits of a request counted in one Redis round trip."""

import time

import pytest
from django.core.cache import cache
from django.test import RequestFactory
from django_ratelimit import core

from portal import ratelimits
from tests import factories

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize("rate", ["10/m", "60/m", "5/h", "3/15m", "2/s"])
@pytest.mark.parametrize("value", ["42", "10.0.0.7", "2001:db8::1"])
def test_counter_keys_are_django_ratelimits(rate, value, monkeypatch):
    monkeypatch.setattr(time, "time", lambda: 1_790_000_123.4)
    key, limit, timeout = ratelimits._counter("exams.request:u", rate, value)
    count, period = core._split_rate(rate)
    window = core._get_window(value, period)
    assert key == core._make_cache_key("exams.request:u", window, rate, value, core.ALL)
    assert (limit, timeout) == (count, period + core.EXPIRATION_FUDGE)


def test_both_limits_are_one_round_trip_and_count_like_django_ratelimit(settings):
    settings.RUSH_LIMITS = {"probe": ("3/m", "100/m")}
    user = factories.UserFactory()
    request = RequestFactory().post("/", REMOTE_ADDR="10.9.8.7")
    request.user = user
    client = cache._cache.get_client(write=True)
    ratelimits.limited(request, "probe")  # loads the script once per client
    before = client.info("commandstats")
    assert [ratelimits.limited(request, "probe") for _ in range(3)] == [False, False, True]  # the 4th is over 3
    after = client.info("commandstats")
    sent = after["cmdstat_evalsha"]["calls"] - before["cmdstat_evalsha"]["calls"]
    assert sent == 3  # one script call per request, for both counters
    for group, value in (("probe:u", str(user.pk)), ("probe:ip", "10.9.8.7")):
        usage = core.get_usage(
            request, group=group, key=lambda g, r, v=value: v, rate=settings.RUSH_LIMITS["probe"][group.endswith("ip")]
        )
        assert usage["count"] == 4
        key = ratelimits._counter(group, settings.RUSH_LIMITS["probe"][group.endswith("ip")], value)[0]
        assert 0 < client.ttl(cache.make_key(key)) <= 65


def test_a_limit_fails_closed_without_redis(settings):
    settings.RUSH_LIMITS = {"probe": ("3/m", "100/m")}
    settings.CACHES = {
        "default": {"BACKEND": "portal.cache.RedisCache", "LOCATION": "redis://127.0.0.1:1/0", "KEY_PREFIX": "down"}
    }
    request = RequestFactory().post("/", REMOTE_ADDR="10.9.8.7")
    request.user = factories.UserFactory()
    assert ratelimits.limited(request, "probe") is True
