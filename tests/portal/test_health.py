"""GET /healthz for load balancers and GET /healthz/celery for monitoring (docs/operations.md)."""

import json
import logging
import logging.config
import time

import pytest
import redis
import time_machine
from django.core.cache import cache
from django.test import override_settings

from portal import tasks
from portal.views import health

pytestmark = pytest.mark.django_db


def test_healthz_reports_database_redis_and_migrations(client):
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.json() == {"status": "ok", "database": "ok", "redis": "ok", "migrations": "ok"}
    assert response["Cache-Control"].startswith("max-age=0")


def test_healthz_fails_when_redis_is_unreachable(client, monkeypatch):
    # A real client to a port where nothing listens: the check must answer 503, not raise.
    monkeypatch.setattr(health, "_redis", [redis.Redis(port=1, socket_connect_timeout=0.2)])
    response = client.get("/healthz")
    assert response.status_code == 503
    body = response.json()
    assert body["status"] == "fail" and body["redis"].startswith("fail") and body["database"] == "ok"


def test_healthz_fails_while_a_migration_is_not_applied(client, monkeypatch):
    from django.db.migrations.recorder import MigrationRecorder

    monkeypatch.setattr(health, "_migrations_applied", [False])
    last = MigrationRecorder.Migration.objects.filter(app="portal").order_by("-id").first()
    last.delete()  # inside the test's transaction: rolled back afterwards
    response = client.get("/healthz")
    assert response.status_code == 503
    assert response.json()["migrations"].startswith("fail")


def test_healthz_never_redirects_to_https(client):
    with override_settings(SECURE_SSL_REDIRECT=True):
        assert client.get("/healthz").status_code == 200


def test_beat_heartbeat_is_fresh_then_stale(client, settings, monkeypatch):
    from portal.celery import app

    cache.delete(health.HEARTBEAT_KEY)
    tasks.beat_heartbeat.delay()  # eager in tests: what the worker does when beat sends it
    age = health.beat_heartbeat_age()
    assert age is not None and age < 5
    # No worker listens in the test run: a worker's answer to the ping is stood in for.
    monkeypatch.setattr(app.control, "ping", lambda timeout: [{"celery@w1": {"ok": "pong"}}])
    body = client.get("/healthz/celery").json()
    assert body["workers"] == ["celery@w1"] and body["beat"] == "ok"
    with time_machine.travel(time.time() + settings.BEAT_HEARTBEAT_MAX_AGE + 5):
        response = client.get("/healthz/celery")
    assert response.status_code == 503 and response.json()["beat"] == "stale"


def test_celery_health_without_workers_is_503(client, monkeypatch):
    from portal.celery import app

    # A `make run` worker may share the test's Redis, so nobody answering is stood in for.
    monkeypatch.setattr(app.control, "ping", lambda timeout: [])
    tasks.beat_heartbeat.delay()
    response = client.get("/healthz/celery")
    assert response.status_code == 503 and response.json()["workers"] == []


def test_every_log_line_carries_the_request_id_and_json_is_one_object_per_line(client):
    from django.conf import settings as live

    handler_config = live.LOGGING["formatters"]["json"]
    formatter = logging.config.DictConfigurator({}).configure_formatter(dict(handler_config))
    records = []

    class Keep(logging.Handler):
        def emit(self, record):
            records.append(record)

    keep = Keep()
    from log_request_id.filters import RequestIDFilter

    keep.addFilter(RequestIDFilter())
    logger = logging.getLogger("django.request")
    logger.addHandler(keep)
    try:
        response = client.get("/no-such-page-xyz/", HTTP_X_REQUEST_ID="req-abc-123")
    finally:
        logger.removeHandler(keep)
    assert response["X-Request-ID"] == "req-abc-123"
    assert records, "a 404 is logged by django.request"
    line = json.loads(formatter.format(records[-1]))
    assert line["request_id"] == "req-abc-123" and line["level"] == "WARNING" and line["logger"] == "django.request"
    # Without a header the portal makes one and sends it back.
    generated = client.get("/healthz")["X-Request-ID"]
    assert generated and generated != "req-abc-123"
