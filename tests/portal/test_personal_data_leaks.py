"""A citizen's journey (register, log in, SMS login, password reset, pages) leaves their ID number,
mobile and SMS codes in no Redis key or value, no log line and no Celery message."""

import datetime
import logging

import pytest
import redis
import time_machine
from django.conf import settings
from django.utils import timezone

from portal import verification
from tests import factories
from tests.conftest import last_code

PASSWORD = "Qiche-Anquan-2026"
MOBILE = "13587654321"


@pytest.fixture
def published(monkeypatch):
    """Every Celery message the journey publishes, as (args, kwargs)."""
    from portal.tasks import send_verification_sms

    messages = []
    real = send_verification_sms.delay

    def record(*args, **kwargs):
        messages.append((args, kwargs))
        return real(*args, **kwargs)

    monkeypatch.setattr(send_verification_sms, "delay", record)
    return messages


def redis_dump() -> bytes:
    """Every key and value of this test run's key space in Redis."""
    client = redis.Redis.from_url(settings.CACHES["default"]["LOCATION"])
    prefix = settings.CACHES["default"]["KEY_PREFIX"]
    blob = b""
    for key in client.scan_iter(match=f"{prefix}*"):
        # GET, not DUMP: DUMP's RDB encoding may compress a value and hide what is in it.
        value = client.get(key) if client.type(key) == b"string" else repr(client.dump(key)).encode()
        blob += key + b"=" + (value or b"") + b"\n"
    return blob


def test_a_journey_leaves_no_id_number_mobile_or_code_in_redis_logs_or_messages(has_client, caplog, published):
    id_number = factories.make_id_number()
    factories.VehicleFactory(owner_id_number=id_number, plate_number="苏H3J333", owner_mobile=MOBILE)
    codes = []
    caplog.set_level(logging.DEBUG)
    data = {
        "real_name": "旅程",
        "id_number": id_number,
        "mobile": MOBILE,
        "password1": PASSWORD,
        "password2": PASSWORD,
    }
    has_client.post("/accounts/register/", {**data, "send_code": "1"}, REMOTE_ADDR="10.1.2.3")
    codes.append(last_code(MOBILE))
    assert has_client.post("/accounts/register/", {**data, "code": codes[-1]}).status_code == 302
    assert has_client.post("/accounts/login/", {"username": id_number, "password": "wrong-one"}).status_code == 200
    assert has_client.post("/accounts/login/", {"username": id_number, "password": PASSWORD}).status_code == 302
    for url in ("/", "/my/vehicles/", "/my/licence/", "/accounts/verify/"):
        assert has_client.get(url).status_code == 200
    has_client.logout()
    with time_machine.travel(timezone.now() + datetime.timedelta(seconds=61), tick=True):
        has_client.post("/accounts/login/sms/", {"mobile": MOBILE, "send_code": "1"})
        codes.append(last_code(MOBILE))
        assert has_client.post("/accounts/login/sms/", {"mobile": MOBILE, "code": codes[-1]}).status_code == 302
        assert "苏H3J333" in has_client.get("/my/vehicles/").content.decode()

    secrets = [id_number, MOBILE, *codes]
    dump = redis_dump()
    assert dump, "the journey should have left sessions, the cached user and counters in Redis"
    for secret in secrets:
        assert secret.encode() not in dump, f"{secret} found in Redis"
        assert secret not in caplog.text, f"{secret} found in the logs"
    assert published and all(args == (int(args[0]),) and not kwargs for args, kwargs in published)
    assert len(published) == 2 and all(secret not in repr(published) for secret in secrets)


def test_control_the_grep_finds_what_is_there(db):
    """The search above can fail: a value put in the cache by hand is found."""
    from django.core.cache import cache

    cache.set("control", {"mobile": MOBILE})
    assert MOBILE.encode() in redis_dump()
    assert verification.code_text("123456").count("123456") == 1
