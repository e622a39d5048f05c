"""The SMS outbox: codes stored are always sent (or given up when they expire), never twice, and
the Celery message carries only the row id."""

import datetime

import pytest
import time_machine
from django.conf import settings

from portal import sms, verification
from portal import sms_outbox as outbox
from tests.conftest import last_code

MOBILE = "13812345678"
T0 = datetime.datetime(2026, 11, 24, 10, 0, tzinfo=datetime.UTC)


def at(seconds=0):
    return time_machine.travel(T0 + datetime.timedelta(seconds=seconds), tick=False)


@pytest.fixture
def broker_down(monkeypatch):
    """Publishing a task fails as it does when Redis (the broker) does not answer."""
    from kombu.exceptions import OperationalError

    from portal.tasks import send_verification_sms

    def refuse(*args, **kwargs):
        raise OperationalError("Error 111 connecting to 127.0.0.1:6379. Connection refused.")

    monkeypatch.setattr(send_verification_sms, "delay", refuse)
    monkeypatch.setattr(send_verification_sms, "apply_async", refuse)


def test_with_the_broker_down_the_code_is_kept_and_the_sweep_sends_it(db, broker_down, sms_outbox):
    with at(0):
        row = verification.send_code(MOBILE, "register")
    assert sms_outbox == []
    row.refresh_from_db()
    assert row.send_state == "pending" and row.text
    with at(15):
        assert outbox.outbox_sweep()["sent"] == 1
        verification.check_code(MOBILE, "register", last_code(MOBILE))
    row.refresh_from_db()
    assert row.send_state == "sent" and row.text == ""


def test_a_code_that_expired_before_the_broker_came_back_is_never_sent(db, broker_down, sms_outbox):
    with at(0):
        row = verification.send_code(MOBILE, "register")
    with at(301):
        assert outbox.outbox_sweep()["expired"] == 1
    assert sms_outbox == []
    row.refresh_from_db()
    assert row.send_state == "expired" and row.text == ""


def _killed_after_the_gateway_accepted(monkeypatch, sms_outbox, drop_reference=False):
    """The pool process dies between the gateway's answer and our write: the row stays claimed.
    Returns the row after the redelivered message and the sweep have had their turn."""
    real_send = sms.send_sms

    def send(mobile, text, reference=""):
        return real_send(mobile, text, "" if drop_reference else reference)

    monkeypatch.setattr(sms, "send_sms", send)
    with at(0), monkeypatch.context() as patch:
        patch.setattr(verification, "_after_commit", lambda fn: None)  # the task runs below
        row = verification.send_code(MOBILE, "register")

        def send_then_die(*args, **kwargs):
            send(*args, **kwargs)
            raise SystemExit("pool process killed")

        patch.setattr(sms, "send_sms", send_then_die)
        with pytest.raises(SystemExit):
            outbox.outbox_send(row.pk)
    assert len(sms_outbox) == 1
    with at(5):
        assert outbox.outbox_send(row.pk) == "skipped"  # the redelivered message: still claimed
    with at(outbox.CLAIM_SECONDS + 1):
        assert outbox.outbox_sweep()["sent"] == 1  # the claim lapsed: sent again
    row.refresh_from_db()
    return row


def test_a_worker_killed_after_the_gateway_accepted_does_not_cause_a_second_sms(db, monkeypatch, sms_outbox):
    row = _killed_after_the_gateway_accepted(monkeypatch, sms_outbox)
    # Sent again under the same reference, which the gateway sends once: one SMS on the phone.
    assert len(sms_outbox) == 1
    assert row.send_state == "sent" and row.message_id == sms_outbox[0]["message_id"]


def test_control_without_the_reference_the_resend_is_a_second_sms(db, monkeypatch, sms_outbox):
    _killed_after_the_gateway_accepted(monkeypatch, sms_outbox, drop_reference=True)
    assert len(sms_outbox) == 2


def test_the_celery_message_carries_only_the_row_id(db, monkeypatch):
    from portal.tasks import send_verification_sms

    published = []
    monkeypatch.setattr(send_verification_sms, "delay", lambda *a, **k: published.append((a, k)))
    row = verification.send_code(MOBILE, "register")
    assert published == [((row.pk,), {})]


def test_the_sweep_is_scheduled_and_messages_are_redelivered_within_a_codes_life():
    entry = settings.CELERY_BEAT_SCHEDULE["portal-sms-outbox-sweep"]
    assert entry["task"] == "portal.tasks.sms_outbox_sweep"
    assert entry["schedule"] <= datetime.timedelta(seconds=30)
    visibility = settings.CELERY_BROKER_TRANSPORT_OPTIONS["visibility_timeout"]
    assert visibility < settings.SMS_CODE_TTL.total_seconds()
    from portal.celery import app

    assert app.conf.broker_transport_options["visibility_timeout"] == visibility
    assert "portal.tasks.sms_outbox_sweep" in app.tasks
