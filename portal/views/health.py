"""Health endpoints for load balancers and monitoring (docs/operations.md, "Health").

GET /healthz answers 200 when this web process can serve: PostgreSQL answers, Redis answers and
every migration in the code is applied; otherwise 503 with the failing part named. It reads no
record and writes nothing, so a balancer may call it every few seconds.

GET /healthz/celery is for monitoring, not for balancers (a stopped worker must not take the web
out of rotation): the workers that answer a ping, and the age of the beat heartbeat, which the
active beat sends every 30 s and a worker records (so a fresh heartbeat proves beat, broker and a
worker together).
"""

import time

import redis
from django.conf import settings
from django.core.cache import cache
from django.db import DEFAULT_DB_ALIAS, connections
from django.db.migrations.executor import MigrationExecutor
from django.http import JsonResponse
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_safe

HEARTBEAT_KEY = "beat-heartbeat"
_migrations_applied = [False]  # once true it stays true for this process's code
_redis = []


def _check_database() -> None:
    with connections[DEFAULT_DB_ALIAS].cursor() as cursor:
        cursor.execute("SELECT 1")


def _check_redis() -> None:
    # A client of its own: the cache backend deliberately hides an outage (portal.cache).
    if not _redis:
        if settings.REDIS_SENTINELS:
            from portal.cache import sentinel_pool

            pool = sentinel_pool({"socket_timeout": 1, "socket_connect_timeout": 1})
            _redis.append(redis.Redis(connection_pool=pool))
        else:
            _redis.append(redis.Redis.from_url(settings.REDIS_URL, socket_timeout=1, socket_connect_timeout=1))
    _redis[0].ping()


def _check_migrations() -> None:
    if _migrations_applied[0]:
        return
    executor = MigrationExecutor(connections[DEFAULT_DB_ALIAS])
    pending = executor.migration_plan(executor.loader.graph.leaf_nodes())
    if pending:
        raise RuntimeError(f"{len(pending)} migrations not applied")
    _migrations_applied[0] = True


CHECKS = {"database": _check_database, "redis": _check_redis, "migrations": _check_migrations}


@never_cache
@require_safe
def healthz(request):
    results = {}
    for name, check in CHECKS.items():
        try:
            check()
            results[name] = "ok"
        except Exception as exc:  # any failure is an answer here, never a 500
            results[name] = f"fail: {type(exc).__name__}"
    healthy = all(value == "ok" for value in results.values())
    return JsonResponse({"status": "ok" if healthy else "fail", **results}, status=200 if healthy else 503)


def beat_heartbeat_age() -> float | None:
    """Seconds since the last heartbeat a worker recorded, None if none is known."""
    beat = cache.get(HEARTBEAT_KEY)
    return None if beat is None else max(0.0, time.time() - beat)


@never_cache
@require_safe
def celery_health(request):
    from portal.celery import app

    try:
        replies = app.control.ping(timeout=1.0) or []
    except Exception:
        replies = []
    workers = sorted(name for reply in replies for name in reply)
    age = beat_heartbeat_age()
    beat_ok = age is not None and age <= settings.BEAT_HEARTBEAT_MAX_AGE
    healthy = bool(workers) and beat_ok
    body = {
        "status": "ok" if healthy else "fail",
        "workers": workers,
        "beat_heartbeat_age_s": None if age is None else round(age, 1),
        "beat": "ok" if beat_ok else "stale",
    }
    return JsonResponse(body, status=200 if healthy else 503)
