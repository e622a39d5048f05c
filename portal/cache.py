"""Django's Redis cache backend, keeping its redis.Redis client, and surviving a Redis outage.

Django's RedisCacheClient.get_client() constructs a new redis.Redis (and its table of response
callbacks) for every cache operation: about 0.2 ms each, paid for the session, the logged-in
user and every rate limit of a request. The connection pool underneath is the same either way;
a redis.Redis over a pool is safe to share between threads.

Redis holds only copies and counters: sessions are written through to PostgreSQL, the logged-in
user is re-read from it. So when Redis is down a read is a miss and a write is dropped, instead
of a 500 on every page (docs/operations.md "When Redis is down"). Counters fail the way
django-ratelimit reads as "the cache failed" (add refuses, incr raises ValueError), and callers
that depend on a limit say the service is unavailable (portal.account_services.limits_usage).
"""

import logging
import time

from django.core.cache.backends.redis import RedisCache as DjangoRedisCache
from django.core.cache.backends.redis import RedisCacheClient
from redis.exceptions import ConnectionError as RedisConnectionError
from redis.exceptions import TimeoutError as RedisTimeoutError

log = logging.getLogger(__name__)

DOWN = (RedisConnectionError, RedisTimeoutError, OSError)
_last_warning = [0.0]


def _warn(operation: str) -> None:
    # One line per 10 s, not one per cache call of every request.
    now = time.monotonic()
    if now - _last_warning[0] > 10:
        _last_warning[0] = now
        log.warning("Redis cache unavailable (%s); serving without it", operation)


def _tolerant(operation, fallback):
    def method(self, *args, **kwargs):
        try:
            return getattr(super(_Client, self), operation)(*args, **kwargs)
        except DOWN:
            _warn(operation)
            return fallback(*args) if callable(fallback) else fallback

    method.__name__ = operation
    return method


# Fixed-window counters (portal.ratelimits): for each key, start it at 1 with its expiry when it is
# new, else add 1; every counter of a request in one round trip.
_COUNT_HITS = """
local out = {}
for i, key in ipairs(KEYS) do
  if redis.call('SET', key, 1, 'EX', ARGV[i], 'NX') then out[i] = 1 else out[i] = redis.call('INCR', key) end
end
return out
"""

# INCRBY only when the key exists (nil otherwise), as Django's incr promises.
_INCR_EXISTING = "if redis.call('EXISTS', KEYS[1]) == 1 then return redis.call('INCRBY', KEYS[1], ARGV[1]) end"


class _Client(RedisCacheClient):
    def __init__(self, servers, **options):
        # A Redis that does not answer must cost a page little time, not the OS's minutes.
        options.setdefault("socket_connect_timeout", 0.5)
        options.setdefault("socket_timeout", 2)
        super().__init__(servers, **options)
        self._clients = {}
        self._scripts = {}

    def _get_connection_pool(self, write):
        from django.conf import settings

        if not settings.REDIS_SENTINELS:
            return super()._get_connection_pool(write)
        # Behind Sentinel the pool asks the sentinels for the master and follows a failover.
        if not self._pools:
            self._pools[0] = sentinel_pool(self._pool_options)
        return self._pools[0]

    def incr(self, key, delta):
        """One round trip: Django's incr asks EXISTS, then INCRBY (two, and a key expiring between
        them comes back as a counter without its expiry). django-ratelimit calls it for every
        limit of every rush request; the script does both steps atomically in Redis."""
        try:
            client = self.get_client(key, write=True)
            script = self._scripts.get(id(client))
            if script is None:
                script = self._scripts[id(client)] = client.register_script(_INCR_EXISTING)
            value = script(keys=[key], args=[delta])
        except DOWN:
            _warn("incr")
            raise ValueError("cache unavailable") from None
        if value is None:
            raise ValueError(f"Key '{key}' not found.")
        return value

    def count_hits(self, keys, timeouts):
        """One hit on each counter (created with its timeout when missing); their new values.
        None when Redis is down."""
        try:
            client = self.get_client(keys[0], write=True)
            script = self._scripts.get(("count_hits", id(client)))
            if script is None:
                script = self._scripts[("count_hits", id(client))] = client.register_script(_COUNT_HITS)
            return script(keys=keys, args=timeouts)
        except DOWN:
            _warn("count_hits")
            return None

    def get_client(self, key=None, *, write=False):
        pool = self._get_connection_pool(write)
        client = self._clients.get(id(pool))
        if client is None:
            client = self._clients[id(pool)] = self._client(connection_pool=pool)
        return client

    add = _tolerant("add", False)
    get = _tolerant("get", lambda key, default: default)
    set = _tolerant("set", None)
    touch = _tolerant("touch", False)
    delete = _tolerant("delete", False)
    get_many = _tolerant("get_many", {})
    has_key = _tolerant("has_key", False)
    set_many = _tolerant("set_many", [])
    delete_many = _tolerant("delete_many", None)
    clear = _tolerant("clear", False)


def sentinel_pool(options=None):
    """A connection pool to the current Redis master as the sentinels name it (settings)."""
    from django.conf import settings
    from redis.sentinel import Sentinel, SentinelConnectionPool

    options = {k: v for k, v in (options or {}).items() if k in ("socket_connect_timeout", "socket_timeout")}
    sentinel = Sentinel(settings.REDIS_SENTINELS, socket_timeout=0.5)
    return SentinelConnectionPool(settings.REDIS_SENTINEL_MASTER, sentinel, **options)


class RedisCache(DjangoRedisCache):
    def __init__(self, server, params):
        super().__init__(server, params)
        self._class = _Client

    def count_hits(self, keys_and_timeouts) -> list[int] | None:
        """One hit on each (key, timeout in seconds) counter, all in one round trip: the new
        counts, None when Redis is down. A new counter starts at 1 and expires after its timeout
        (a fixed window); django-ratelimit would take two round trips per counter (add, incr)."""
        keys = [self.make_and_validate_key(key) for key, _ in keys_and_timeouts]
        return self._cache.count_hits(keys, [int(timeout) for _, timeout in keys_and_timeouts])

    def clear(self):
        """Delete this cache's keys only (those under its KEY_PREFIX), not the whole database.

        Django's clear() is FLUSHDB: on a Redis shared with Celery's broker (REDIS_URL) it
        emptied the queues of `make run` whenever `make test` ran beside it, and each test run
        (or xdist worker) wiped the others' rate-limit counters. Keys are removed with SCAN in
        batches, so a large cache does not block Redis.
        """
        pattern = self.make_key("*").replace("[", "\\[")
        client = self._cache.get_client(write=True)
        batch = []
        for key in client.scan_iter(match=pattern, count=1000):
            batch.append(key)
            if len(batch) >= 1000:
                client.delete(*batch)
                batch = []
        if batch:
            client.delete(*batch)
        return True
