"""Channels: SMS and push per kind and preference, quiet hours, retries, receipts."""

import datetime

import pytest
import time_machine
from django.urls import reverse

import notices
from notices import own_kinds, push, services
from notices.models import Delivery, Notice, Preference
from notices.services import delivery as delivery_services
from portal import sms
from tests.factories import UserFactory, make_id_number
from tests.notices.conftest import at

pytestmark = pytest.mark.django_db

DAY = datetime.date(2026, 12, 1)


def deliver(hour=10, minute=0, day=DAY):
    """What the minutely deliver_pending task does, at a given Beijing time."""
    with time_machine.travel(at(day, hour, minute), tick=False):
        services.dispatch_new()
        return services.deliver_due()


def notify_points(citizen, has, key="k1"):
    return notices.notify(
        own_kinds.POINTS_9,
        id_number=citizen.id_number,
        city=has,
        context={"points": 9, "cycle_start": "2026-06-01"},
        dedupe_key=key,
    )


def test_a_notice_goes_to_inbox_sms_and_push(citizen, has, sms_outbox, push_outbox):
    notice = notify_points(citizen, has)
    assert deliver() == {"sent": 2, "retry": 0, "failed": 0, "held": 0}
    assert [m["mobile"] for m in sms_outbox] == [citizen.mobile]
    assert sms_outbox[0]["text"].startswith("【淮安市交警】")
    assert push_outbox[0]["user_id"] == citizen.pk and push_outbox[0]["data"]["notice"] == notice.pk
    assert set(Delivery.objects.values_list("channel", "status")) == {("sms", "sent"), ("push", "sent")}
    assert deliver() == {"sent": 0, "retry": 0, "failed": 0, "held": 0}  # nothing is sent twice


def test_the_same_dedupe_key_notifies_once(citizen, has):
    assert notify_points(citizen, has, key="same") is not None
    assert notify_points(citizen, has, key="same") is None
    assert Notice.objects.count() == 1


def test_a_person_without_account_gets_only_the_inbox_entry_and_sees_it_after_registering(has, sms_outbox):
    id_number = make_id_number()
    notices.notify(own_kinds.POINTS_9, id_number=id_number, city=has, context={"points": 9})
    deliver()
    assert sms_outbox == [] and not Delivery.objects.exists()
    user = UserFactory(id_number=id_number)
    assert notices.selectors.unread_count(user) == 1


def test_preferences_switch_off_optional_channels(citizen, has, sms_outbox, push_outbox):
    services.preferences_save(user=citizen, choices={own_kinds.POINTS_9: (False, True)})
    notify_points(citizen, has)
    deliver()
    assert sms_outbox == [] and len(push_outbox) == 1


def test_mandatory_kinds_cannot_be_switched_off(citizen, has, sms_outbox):
    services.preferences_save(user=citizen, choices={own_kinds.POINTS_12: (False, False)})
    assert not Preference.objects.exists()
    # Even a stored opt-out (from before a kind became mandatory) is ignored.
    Preference.objects.create(user=citizen, kind=own_kinds.POINTS_12, sms=False, push=False)
    notices.notify(own_kinds.POINTS_12, id_number=citizen.id_number, city=has, context={"points": 12})
    deliver()
    assert len(sms_outbox) == 1


def test_preferences_page_saves_and_shows_mandatory_kinds_locked(citizen_client, citizen):
    page = citizen_client.get(reverse("notices:preferences")).content.decode()
    assert f'name="sms:{own_kinds.POINTS_12}"' in page and "disabled" in page
    response = citizen_client.post(reverse("notices:preferences"), {f"push:{own_kinds.POINTS_9}": "on"})
    assert response.status_code == 302
    pref = Preference.objects.get(user=citizen, kind=own_kinds.POINTS_9)
    assert (pref.sms, pref.push) == (False, True)
    assert not Preference.objects.filter(kind=own_kinds.POINTS_12).exists()


def test_quiet_hours_hold_non_urgent_sms_until_eight(citizen, has, sms_outbox, push_outbox):
    with time_machine.travel(at(DAY, 22), tick=False):
        notify_points(citizen, has)
    assert deliver(22) == {"sent": 1, "retry": 0, "failed": 0, "held": 0}  # push goes at once
    assert sms_outbox == [] and len(push_outbox) == 1
    assert deliver(7, 59, DAY + datetime.timedelta(days=1))["sent"] == 0
    assert deliver(8, 0, DAY + datetime.timedelta(days=1))["sent"] == 1
    assert len(sms_outbox) == 1


def test_urgent_sms_ignore_quiet_hours(citizen, has, sms_outbox):
    with time_machine.travel(at(DAY, 23), tick=False):
        notices.notify(own_kinds.POINTS_12, id_number=citizen.id_number, city=has, context={"points": 12})
    deliver(23)
    assert len(sms_outbox) == 1


def test_a_retry_falling_into_quiet_hours_waits_for_the_morning(citizen, has, sms_outbox, monkeypatch):
    with time_machine.travel(at(DAY, 20, 50), tick=False):
        notify_points(citizen, has)
    monkeypatch.setattr(sms, "send_sms", lambda *a, **kw: (_ for _ in ()).throw(ConnectionError("gateway down")))
    assert deliver(20, 59)["retry"] == 1
    monkeypatch.undo()
    assert deliver(21, 5)["held"] == 1
    assert deliver(8, 0, DAY + datetime.timedelta(days=1))["sent"] == 1


def test_failed_sends_retry_with_backoff_then_fail(citizen, has, monkeypatch):
    services.preferences_save(user=citizen, choices={own_kinds.POINTS_9: (True, False)})
    notify_points(citizen, has)
    monkeypatch.setattr(sms, "send_sms", lambda *a, **kw: (_ for _ in ()).throw(ConnectionError("gateway down")))
    minute = datetime.timedelta(minutes=1)
    start = at(DAY, 10)
    with time_machine.travel(start, tick=False):
        services.dispatch_new()
    moments = [start, start + minute, start + 6 * minute, start + 36 * minute, start + 156 * minute]
    for index, moment in enumerate(moments):
        with time_machine.travel(moment - minute, tick=False):
            if index:
                assert services.deliver_due() == {"sent": 0, "retry": 0, "failed": 0, "held": 0}
        with time_machine.travel(moment, tick=False):
            services.deliver_due()
    delivery = Delivery.objects.get()
    assert delivery.status == "failed" and delivery.attempts == 5
    assert "gateway down" in delivery.last_error


def test_signed_push_receipt_marks_delivered_once(citizen, has, client, push_outbox):
    notify_points(citizen, has)
    deliver()
    message_id = push_outbox[0]["message_id"]
    url = reverse("notices:receipt", args=["push"])
    payload = push.receipt_payload(message_id, "delivered")
    assert client.post(url, payload).json() == {"ok": True, "applied": True}
    assert client.post(url, payload).json() == {"ok": True, "applied": False}  # gateway retry
    delivery = Delivery.objects.get(channel="push")
    assert delivery.status == "delivered" and delivery.receipt_at is not None


def test_receipts_with_a_bad_signature_or_unknown_id_are_refused(citizen, has, client, push_outbox):
    notify_points(citizen, has)
    deliver()
    url = reverse("notices:receipt", args=["push"])
    forged = {**push.receipt_payload(push_outbox[0]["message_id"], "delivered"), "status": "failed"}
    assert client.post(url, forged).status_code == 403
    assert client.post(url, push.receipt_payload("push-unknown")).status_code == 404
    assert client.post(url, {"message_id": "x"}).status_code == 400
    assert Delivery.objects.get(channel="push").status == "sent"


def test_sms_receipt_for_a_notice_uses_its_own_message_id(citizen, has, client, sms_outbox):
    notify_points(citizen, has)
    deliver()
    message_id = sms_outbox[0]["message_id"]
    payload = push.receipt_payload(message_id, "failed", channel="sms")
    assert client.post(reverse("notices:receipt", args=["sms"]), payload).status_code == 200
    assert Delivery.objects.get(channel="sms").status == "failed"


def _killed_after_the_gateway_accepted(monkeypatch, citizen, has, drop_reference=False):
    """A worker dies between the gateway's answer and recording the SMS delivery as sent: the
    claim lapses and the delivery is sent again (docs/operations.md "Faults")."""
    real_send = sms.send_sms

    def send(mobile, text, reference=""):
        return real_send(mobile, text, "" if drop_reference else reference)

    notify_points(citizen, has)
    with time_machine.travel(at(DAY, 10), tick=False), monkeypatch.context() as patch:
        services.dispatch_new()
        Delivery.objects.filter(channel="push").delete()  # only the SMS matters here

        def send_then_die(*args, **kwargs):
            send(*args, **kwargs)
            raise SystemExit("worker killed")

        patch.setattr(sms, "send_sms", send_then_die)
        with pytest.raises(SystemExit):
            services.deliver_due()
    monkeypatch.setattr(sms, "send_sms", send)
    assert deliver(10, 1)["sent"] == 0  # still claimed by the dead worker
    lapsed = at(DAY, 10) + delivery_services.CLAIM_LEASE + datetime.timedelta(seconds=1)
    with time_machine.travel(lapsed, tick=False):
        assert services.deliver_due()["sent"] == 1  # the claim lapsed: sent again


def test_a_worker_killed_after_the_gateway_accepted_a_notice_sms_does_not_send_it_twice(
    monkeypatch, citizen, has, sms_outbox
):
    _killed_after_the_gateway_accepted(monkeypatch, citizen, has)
    # Both sends carried the delivery's reference, which the gateway sends once.
    assert len(sms_outbox) == 1
    delivery = Delivery.objects.get(channel="sms")
    assert delivery.status == "sent" and delivery.message_id == sms_outbox[0]["message_id"]


def test_control_without_the_delivery_reference_the_resend_is_a_second_sms(monkeypatch, citizen, has, sms_outbox):
    _killed_after_the_gateway_accepted(monkeypatch, citizen, has, drop_reference=True)
    assert len(sms_outbox) == 2
