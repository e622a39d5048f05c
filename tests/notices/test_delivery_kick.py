"""notify() kicks one delivery task per worker run, not one per notice, and never loses a notice."""

import logging
from types import SimpleNamespace
from unittest import mock

import pytest
import time_machine
from django.core.cache import cache
from kombu.exceptions import OperationalError

from notices import tasks
from notices.models import Delivery, Notice
from notices.services import delivery
from notices.tasks import deliver_new
from tests.notices.conftest import at
from tests.notices.test_delivery import DAY, notify_points

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _office_hours():
    """Outside quiet hours, so every SMS planned is due at once."""
    with time_machine.travel(at(DAY, 10), tick=False):
        yield


@pytest.fixture
def publish(monkeypatch):
    """Replaces the kick's Celery publish: counts calls; the kick stays queued (not run)."""
    publish = mock.Mock()
    monkeypatch.setattr(tasks, "deliver_new", SimpleNamespace(apply_async=publish))
    return publish


def test_a_committed_notice_is_sent_at_once(citizen, has, sms_outbox, push_outbox, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):  # the commit; Celery runs eagerly in tests
        notice = notify_points(citizen, has)
    assert [m["mobile"] for m in sms_outbox] == [citizen.mobile]
    assert [m["data"]["notice"] for m in push_outbox] == [notice.pk]
    assert set(Delivery.objects.values_list("status", flat=True)) == {"sent"}
    assert cache.get(delivery.KICK_KEY) is None  # the run released its kick


def test_while_a_kick_is_queued_later_notices_publish_nothing_and_its_run_sends_them_all(
    citizen, other_citizen, has, sms_outbox, publish, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):  # two notices in one request
        notify_points(citizen, has, key="a")
        notify_points(citizen, has, key="b")
    with django_capture_on_commit_callbacks(execute=True):  # another request, kick still queued
        notify_points(other_citizen, has, key="c")
    assert publish.call_count == 1
    # The run starts a little later, so that one run sends a burst of notices.
    assert publish.call_args.kwargs == {"countdown": delivery.KICK_DELAY}
    assert sms_outbox == [] and not Delivery.objects.exists()

    deliver_new()  # the queued kick runs

    assert sorted(m["mobile"] for m in sms_outbox) == sorted([citizen.mobile, citizen.mobile, other_citizen.mobile])
    assert not Notice.objects.filter(dispatched_at__isnull=True).exists()
    assert cache.get(delivery.KICK_KEY) is None


def test_the_kick_is_released_before_its_run_reads_so_a_notice_written_meanwhile_kicks_again(
    citizen, other_citizen, has, publish, monkeypatch, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        notify_points(citizen, has, key="a")
    assert publish.call_count == 1
    real_dispatch = delivery.dispatch_new
    written = []

    def dispatch_after_a_notice_commits(**kwargs):
        # A request commits a notice while the kicked run is about to read the new notices.
        if not written:
            with django_capture_on_commit_callbacks(execute=True):
                written.append(notify_points(other_citizen, has, key="b"))
        return real_dispatch(**kwargs)

    monkeypatch.setattr(delivery, "dispatch_new", dispatch_after_a_notice_commits)
    deliver_new()
    assert written and publish.call_count == 2  # the notice queued a kick of its own
    assert cache.get(delivery.KICK_KEY) is not None  # held for that new kick


def test_a_lost_kick_stops_blocking_new_kicks_after_its_ttl(citizen, has, publish, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        notify_points(citizen, has, key="a")  # this kick never runs
    # Redis itself ends the key: it carries an expiry of at most KICK_TTL (no sleeping here).
    ttl = cache._cache.get_client().ttl(cache.make_and_validate_key(delivery.KICK_KEY))
    assert 0 < ttl <= delivery.KICK_TTL
    with django_capture_on_commit_callbacks(execute=True):
        notify_points(citizen, has, key="b")
    assert publish.call_count == 1  # still held: no second publish
    cache.delete(delivery.KICK_KEY)  # what the expiry does
    with django_capture_on_commit_callbacks(execute=True):
        notify_points(citizen, has, key="c")
    assert publish.call_count == 2


def test_a_broker_failure_is_logged_not_raised_and_the_minutely_run_sends_the_notice(
    citizen, has, sms_outbox, publish, caplog, django_capture_on_commit_callbacks
):
    publish.side_effect = OperationalError("Error 111 connecting to redis:6379. Connection refused.")
    with caplog.at_level(logging.WARNING, logger="notices.services.delivery"):
        with django_capture_on_commit_callbacks(execute=True):
            notice = notify_points(citizen, has, key="a")
        with django_capture_on_commit_callbacks(execute=True):
            notify_points(citizen, has, key="b")
    assert Notice.objects.filter(pk=notice.pk).exists()
    assert "could not kick notice delivery" in caplog.text
    # The failed kick keeps its key: during an outage one request per KICK_TTL waits for the broker.
    assert publish.call_count == 1
    assert sms_outbox == []

    assert tasks.deliver_pending()["dispatched"] == 2
    assert [m["mobile"] for m in sms_outbox] == [citizen.mobile, citizen.mobile]
