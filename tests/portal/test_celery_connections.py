"""A Celery worker keeps its database connection from task to task, as gunicorn threads keep
theirs from request to request (CONN_MAX_AGE), and replaces one that is too old or broken."""

import time

import psycopg2
import pytest
from celery.fixups.django import DjangoWorkerFixup
from celery.signals import task_postrun, task_prerun
from django.db import OperationalError, connection

from notices.tasks import deliver_new
from portal.celery import app

pytestmark = pytest.mark.django_db(transaction=True)


def _backend_pid() -> int:
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_backend_pid()")
        return cursor.fetchone()[0]


def _run_task_hooks(fixup):
    """What a worker does around one task: Celery's Django fix-up and portal.celery's handlers."""
    fixup.on_task_prerun(sender=deliver_new)
    task_prerun.send(sender=deliver_new, task_id="t", task=deliver_new, args=(), kwargs={})
    _backend_pid()  # the task's own queries
    fixup.on_task_postrun(sender=deliver_new)
    task_postrun.send(sender=deliver_new, task_id="t", task=deliver_new, args=(), kwargs={}, retval=None, state="")


def test_a_connection_younger_than_conn_max_age_serves_the_next_tasks():
    fixup = DjangoWorkerFixup(app)
    pid = _backend_pid()
    connection.close_at = time.monotonic() + 600  # CONN_MAX_AGE=600, as in production
    for _ in range(20):
        _run_task_hooks(fixup)
    assert _backend_pid() == pid


def test_an_expired_connection_is_replaced_before_the_next_task():
    fixup = DjangoWorkerFixup(app)
    pid = _backend_pid()
    connection.close_at = time.monotonic() - 1
    _run_task_hooks(fixup)
    assert _backend_pid() != pid


def test_a_connection_the_server_dropped_is_replaced_before_the_next_task():
    fixup = DjangoWorkerFixup(app)
    pid = _backend_pid()
    connection.close_at = time.monotonic() + 600
    with psycopg2.connect(**connection.get_connection_params()) as other, other.cursor() as cursor:
        cursor.execute("SELECT pg_terminate_backend(%s)", [pid])  # a database restart, say
    with pytest.raises(OperationalError):
        _backend_pid()  # the task that meets it fails (and is retried by its own rules)
    _run_task_hooks(fixup)
    assert _backend_pid() != pid
