"""Reads from the streaming replica where they may (docs/operations.md "Reads from the replica").

Only views marked with `@replica_reads` (public pages, statistics, the violations look-up, the
clerk's search) read from the replica, and only while:
- the visitor has not written in the last REPLICA_STICKY_SECONDS (a request that is not GET/HEAD
  sets a short cookie; they then read their own writes from the primary);
- the replica answers and lags the primary by at most REPLICA_MAX_LAG_SECONDS (checked at most
  once a second per process; a replica that does not answer is left alone for 10 s).
Every write, and every read anywhere else, goes to the primary. Without DATABASE_REPLICA_URL the
router is not installed and nothing here runs.
"""

import contextvars
import functools
import logging
import time

from django.conf import settings
from django.db import InterfaceError, OperationalError, connections

log = logging.getLogger(__name__)

REPLICA = "replica"
STICKY_COOKIE = "primary_until"
_reading = contextvars.ContextVar("replica_reading", default=False)
_sticky = contextvars.ContextVar("replica_sticky", default=False)
_state = {"checked": 0.0, "usable": False, "retry_after": 0.0}

# Seconds the replica is behind: 0 when it has replayed everything it received, else the age of
# the last transaction it replayed (a paused or slow replay grows it; an idle primary does not).
LAG_SQL = """
    SELECT CASE WHEN pg_last_wal_receive_lsn() = pg_last_wal_replay_lsn() THEN 0
                ELSE coalesce(extract(epoch FROM now() - pg_last_xact_replay_timestamp()), 0) END
"""


def replica_lag() -> float:
    with connections[REPLICA].cursor() as cursor:
        cursor.execute(LAG_SQL)
        return float(cursor.fetchone()[0])


def replica_usable() -> bool:
    now = time.monotonic()
    if now < _state["retry_after"]:
        return False
    if now - _state["checked"] < 1.0:
        return _state["usable"]
    _state["checked"] = now
    try:
        lag = replica_lag()
    except Exception as exc:  # down or unreachable: the primary serves, and we look again later
        log.warning("replica unavailable (%s); reading from the primary", type(exc).__name__)
        connections[REPLICA].close()
        _state.update(usable=False, retry_after=now + 10)
        return False
    _state["usable"] = lag <= settings.REPLICA_MAX_LAG_SECONDS
    if not _state["usable"]:
        log.warning("replica lags %.1fs; reading from the primary", lag)
    return _state["usable"]


class ReplicaRouter:
    def db_for_read(self, model, **hints):
        if _reading.get() and not _sticky.get() and replica_usable():
            return REPLICA
        return None

    def db_for_write(self, model, **hints):
        return None

    def allow_relation(self, obj1, obj2, **hints):
        return True  # one database, two servers

    def allow_migrate(self, db, app_label, model_name=None, **hints):
        return db != REPLICA


def replica_reads(view):
    """Let a view's reads go to the replica (GET and HEAD only)."""

    @functools.wraps(view)
    def wrapper(request, *args, **kwargs):
        if request.method not in ("GET", "HEAD"):
            return view(request, *args, **kwargs)
        token = _reading.set(True)
        try:
            return view(request, *args, **kwargs)
        except (OperationalError, InterfaceError):
            if not _replica_failed():
                raise
        finally:
            _reading.reset(token)
        # The replica went away after the last check (at most a second old): a GET may run again,
        # on the primary (docs/operations.md "Faults").
        return view(request, *args, **kwargs)

    return wrapper


def _replica_failed() -> bool:
    """True if the replica's connection failed in this request: it is then left alone for 10 s."""
    if REPLICA not in settings.DATABASES:
        return False
    replica = connections[REPLICA]
    if not replica.errors_occurred:
        return False
    log.warning("replica failed during a request; reading from the primary")
    try:
        replica.close()
    except Exception:  # already broken: nothing to close cleanly
        pass
    _state.update(usable=False, retry_after=time.monotonic() + 10)
    return True


class StickyPrimaryMiddleware:
    """After a visitor's write, their reads stay on the primary for REPLICA_STICKY_SECONDS."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        try:
            until = float(request.COOKIES.get(STICKY_COOKIE, 0))
        except ValueError:
            until = 0.0
        token = _sticky.set(until > time.time())
        try:
            response = self.get_response(request)
        finally:
            _sticky.reset(token)
        if request.method not in ("GET", "HEAD", "OPTIONS"):
            response.set_cookie(
                STICKY_COOKIE,
                str(int(time.time()) + settings.REPLICA_STICKY_SECONDS),
                max_age=settings.REPLICA_STICKY_SECONDS,
                secure=settings.SESSION_COOKIE_SECURE,
                httponly=True,
                samesite="Lax",
            )
        return response
