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


def test_incr_is_one_command_in_redis():
    cache.set("incr-test:once", 1, 60)
    client = cache._cache.get_client(write=True)
    cache.incr("incr-test:once")  # the script is loaded once per client
    before = client.info("commandstats")
    cache.incr("incr-test:once")
    after = client.info("commandstats")

    def calls(stats):
        return {name: v["calls"] for name, v in stats.items()}

    grown = {k: v - calls(before).get(k, 0) for k, v in calls(after).items() if v != calls(before).get(k, 0)}
    # Redis counts the script's own EXISTS and INCRBY too, and the INFO between the readings:
    # what the client sent for the increment is the one EVALSHA.
    assert grown == {"cmdstat_evalsha": 1, "cmdstat_exists": 1, "cmdstat_incrby": 1, "cmdstat_info": 1}
