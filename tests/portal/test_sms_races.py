"""SMS limits under a burst: real connections in threads, each request its own transaction.

Before the quota rows were locked, 20 concurrent sends to one mobile made 6 codes despite the
60-second rule, and a burst took a daily cap of 10 to 11. Each race below has a control that
runs the old count-then-insert check the same way and shows the burst getting through. A right
code used by 20 requests at once is accepted once; its control reads the code before spending it.
"""

import datetime

import pytest
from django.utils import timezone

from portal import verification
from portal.models import SmsCode
from tests.races import barrier, race

THREADS = 20
MOBILE = "13812340000"


def outcome(results):
    sent = sum(isinstance(r, SmsCode) for r in results)
    refused = sum(isinstance(r, verification.VerificationError) for r in results)
    return sent, refused


@pytest.mark.django_db(transaction=True)
def test_20_sends_to_one_mobile_at_once_make_one_code():
    results = race(lambda i: verification.send_code(MOBILE, "register", f"10.0.0.{i}"), THREADS).outcomes
    assert outcome(results) == (1, THREADS - 1)
    assert SmsCode.objects.filter(mobile=MOBILE).count() == 1


@pytest.mark.django_db(transaction=True)
def test_a_burst_cannot_pass_the_daily_cap_of_a_mobile(settings):
    settings.SMS_RESEND_INTERVAL = datetime.timedelta(0)
    settings.SMS_DAILY_CAP_PER_MOBILE = 10
    results = race(lambda i: verification.send_code(MOBILE, "register"), THREADS).outcomes
    assert outcome(results) == (10, THREADS - 10)


@pytest.mark.django_db(transaction=True)
def test_a_burst_from_one_address_cannot_pass_its_daily_cap(settings):
    settings.SMS_DAILY_CAP_PER_IP = 10
    results = race(lambda i: verification.send_code(f"1381234{i:04d}", "register", "10.9.9.9"), THREADS).outcomes
    assert outcome(results) == (10, THREADS - 10)
    assert SmsCode.objects.filter(ip="10.9.9.9").count() == 10


def _unlocked_send(mobile, ip, cap_mobile, cap_ip, all_counted):
    """The old check: count the day's rows, then insert; every request counts before any inserts."""
    now = timezone.now()
    day_start = timezone.localtime(now).replace(hour=0, minute=0, second=0, microsecond=0)
    last = SmsCode.objects.filter(mobile=mobile).order_by("-created_at").first()
    too_soon = last is not None and now - last.created_at < datetime.timedelta(seconds=60)
    mobile_count = SmsCode.objects.filter(mobile=mobile, created_at__gte=day_start).count()
    ip_count = SmsCode.objects.filter(ip=ip, created_at__gte=day_start).count()
    all_counted.wait()
    if too_soon or mobile_count >= cap_mobile or ip_count >= cap_ip:
        raise verification.VerificationError("refused")
    return SmsCode.objects.create(
        mobile=mobile, purpose="register", code_hash="x", ip=ip, expires_at=now + datetime.timedelta(minutes=5)
    )


@pytest.mark.django_db(transaction=True)
def test_control_without_the_locked_quota_one_mobile_gets_many_codes():
    all_counted = barrier(THREADS, timeout=60)  # a thread that fails early must not hang the rest
    results = race(lambda i: _unlocked_send(MOBILE, f"10.0.0.{i}", 10, 30, all_counted), THREADS).outcomes
    assert outcome(results)[0] > 1


@pytest.mark.django_db(transaction=True)
def test_control_without_the_locked_quota_an_address_passes_its_cap():
    # Nine codes already today from the address; the cap is 10: the burst makes it far more.
    for n in range(9):
        SmsCode.objects.create(
            mobile=f"1370000{n:04d}",
            purpose="register",
            code_hash="x",
            ip="10.9.9.9",
            expires_at=timezone.now() + datetime.timedelta(minutes=5),
        )
    all_counted = barrier(THREADS, timeout=60)  # a thread that fails early must not hang the rest
    race(lambda i: _unlocked_send(f"1381234{i:04d}", "10.9.9.9", 10, 10, all_counted), THREADS)
    assert SmsCode.objects.filter(ip="10.9.9.9").count() > 10


def _right_code_sent():
    code = "135790"
    now = timezone.now()
    SmsCode.objects.create(
        mobile=MOBILE,
        purpose="register",
        code_hash=verification._hash(MOBILE, "register", code),
        created_at=now,
        expires_at=now + datetime.timedelta(minutes=5),
    )
    return code


@pytest.mark.django_db(transaction=True)
def test_20_uses_of_one_right_code_at_once_accept_one():
    # check_code spends a right code by one conditional UPDATE: the row lock makes the others
    # re-check `used_at IS NULL` on the committed row, and they find the code spent.
    code = _right_code_sent()
    results = race(lambda i: verification.check_code(MOBILE, "register", code), THREADS).outcomes
    assert sum(r is None for r in results) == 1
    assert sum(isinstance(r, verification.VerificationError) for r in results) == THREADS - 1
    assert SmsCode.objects.get(mobile=MOBILE).used_at is not None


@pytest.mark.django_db(transaction=True)
def test_control_spending_a_code_read_before_the_write_accepts_it_many_times():
    code = _right_code_sent()
    all_read = barrier(THREADS, timeout=60)  # a thread that fails early must not hang the rest

    def read_then_spend(i):
        sms = SmsCode.objects.filter(mobile=MOBILE, purpose="register", used_at__isnull=True).first()
        all_read.wait()
        if sms is None or sms.code_hash != verification._hash(MOBILE, "register", code):
            raise verification.VerificationError("refused")
        return SmsCode.objects.filter(pk=sms.pk).update(used_at=timezone.now())

    results = race(read_then_spend, THREADS).outcomes
    assert sum(r == 1 for r in results) > 1
