"""The cache's incr (what django-ratelimit counts with) is one atomic step in Redis: it adds to a
counter that exists, keeps the counter's expiry, and refuses a counter that is gone without
creating one, as Django's incr promises."""

import pytest
from django.core.cache import cache


def test_incr_adds_to_an_existing_counter_and_keeps_its_expiry():
    cache.set("incr-test:counter", 5, 60)
    assert cache.incr("incr-test:counter") == 6
    assert cache.incr("incr-test:counter", 4) == 10
    assert cache.get("incr-test:counter") == 10
    client = cache._cache.get_client(write=True)
    assert 0 < client.ttl(cache.make_key("incr-test:counter")) <= 60


def test_incr_of_a_missing_counter_raises_and_creates_nothing():
    cache.delete("incr-test:gone")
    with pytest.raises(ValueError):
        cache.incr("incr-test:gone")
    assert cache.get("incr-test:gone") is None


def test_incr_is_one_command_to_redis(count_redis_commands):
    cache.set("incr-test:once", 1, 60)
    cache.incr("incr-test:once")  # the script is loaded once per client
    commands = count_redis_commands()
    assert cache.incr("incr-test:once") == 3
    assert commands == ["EVALSHA"]
