"""Concurrency: parallel workers never send one delivery twice; one dedupe key, one notice."""

import threading

import pytest
from django.db import connection

import notices
from notices import own_kinds, services
from notices.models import Delivery, Notice
from notices.services import delivery as delivery_module
from portal import sms
from tests.factories import UserFactory, city
from tests.races import race

THREADS = 16


def run_parallel(fn):
    results, errors = race(lambda i: fn(), THREADS).returned_and_raised
    assert not errors, errors
    return results


def _seed_deliveries(count=40):
    has = city("has")
    users = [UserFactory() for _ in range(count)]
    # Written directly: notify() would hand each notice to an (eager) worker at once.
    Notice.objects.bulk_create(
        Notice(id_number=u.id_number, city=has, kind=own_kinds.POINTS_12, context={"points": 12}) for u in users
    )
    services.dispatch_new()
    assert Delivery.objects.filter(channel="sms", status="pending").count() == count
    return users


def _count_sends(monkeypatch):
    sent = []
    lock = threading.Lock()
    real = sms.send_sms

    def counting(mobile, text, reference=""):
        with lock:
            sent.append(mobile)
        return real(mobile, text, reference)

    monkeypatch.setattr(sms, "send_sms", counting)
    return sent


@pytest.mark.django_db(transaction=True)
def test_parallel_workers_send_each_sms_exactly_once(monkeypatch):
    users = _seed_deliveries()
    sent = _count_sends(monkeypatch)
    run_parallel(lambda: services.deliver_due(limit=5))
    while services.deliver_due()["sent"]:
        pass
    assert sorted(sent) == sorted(u.mobile for u in users)


@pytest.mark.django_db(transaction=True)
def test_control_without_the_claim_workers_send_duplicates(monkeypatch):
    """The same workers with the claim replaced by a plain read of due rows: they overlap and
    send the same SMS several times, so the test above can see a race."""
    users = _seed_deliveries()
    sent = _count_sends(monkeypatch)

    def naive_claim(now, limit):
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT id FROM notices_delivery WHERE status = 'pending' AND next_attempt_at <= %s ORDER BY id LIMIT %s",
                [now, limit],
            )
            return [row[0] for row in cursor.fetchall()]

    monkeypatch.setattr(delivery_module, "_claim", naive_claim)
    run_parallel(lambda: services.deliver_due(limit=5))
    assert len(sent) > len(users)


@pytest.mark.django_db(transaction=True)
def test_one_dedupe_key_gives_one_notice_under_parallel_calls():
    user = UserFactory()
    has = city("has")
    results = run_parallel(
        lambda: notices.notify(
            own_kinds.POINTS_9, id_number=user.id_number, city=has, context={"points": 9}, dedupe_key="race"
        )
    )
    assert sum(1 for r in results if r is not None) == 1
    assert Notice.objects.filter(dedupe_key="race").count() == 1
