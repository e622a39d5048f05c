"""Tests share Redis with `make run` (its Celery broker): they remove only what they created."""

import uuid

import redis
from django.conf import settings
from django.core.cache import cache


def test_clearing_the_cache_leaves_a_running_workers_queue_alone():
    client = redis.Redis.from_url(settings.REDIS_URL)
    queue = f"celery-queue-of-make-run-{uuid.uuid4().hex}"  # as Celery's broker keeps a queue
    client.lpush(queue, "a task of the developer's worker")
    try:
        cache.set("made-by-this-test", 1)
        cache.clear()  # what tests/conftest.py does before every test
        assert cache.get("made-by-this-test") is None
        assert client.lrange(queue, 0, -1) == [b"a task of the developer's worker"]
    finally:
        client.delete(queue)  # only the key this test created


def test_each_test_process_has_its_own_key_space():
    assert settings.CACHES["default"]["KEY_PREFIX"].startswith("test-")
    assert cache.make_key("x").startswith(settings.CACHES["default"]["KEY_PREFIX"] + ":")
