"""SMS verification codes (every limit), the HTTP gateway backend and its delivery receipts."""

import datetime
import http.server
import json
import logging
import threading
import time

import pytest
import time_machine
from django.utils import timezone

from portal import sms, sms_outbox, verification
from portal.models import SmsCode
from portal.tasks import send_verification_sms
from tests.conftest import last_code
from tests.races import barrier, race

MOBILE = "13812345678"
T0 = datetime.datetime(2026, 11, 24, 10, 0, tzinfo=datetime.UTC)


def at(seconds=0, **kwargs):
    return time_machine.travel(T0 + datetime.timedelta(seconds=seconds, **kwargs), tick=False)


def wrong(code):
    return "000000" if code != "000000" else "111111"


# --- Verification codes ---------------------------------------------------------------------


def test_codes_are_stored_hashed(db):
    with at():
        verification.send_code(MOBILE, "register", "10.0.0.1")
    row = SmsCode.objects.get()
    code = last_code(MOBILE)
    assert code not in row.code_hash and len(row.code_hash) == 64
    assert row.expires_at - row.created_at == datetime.timedelta(minutes=5)


def test_a_code_is_accepted_once(db):
    with at():
        verification.send_code(MOBILE, "register")
        verification.check_code(MOBILE, "register", last_code(MOBILE))
        with pytest.raises(verification.VerificationError, match="验证码已过期或未发送"):
            verification.check_code(MOBILE, "register", last_code(MOBILE))


def test_a_second_send_within_60_seconds_is_refused_then_allowed(db):
    with at(0):
        verification.send_code(MOBILE, "register")
    with at(45), pytest.raises(verification.VerificationError, match="请16秒后再获取验证码"):
        verification.send_code(MOBILE, "register")
    with at(60):
        verification.send_code(MOBILE, "register")
    assert SmsCode.objects.count() == 2


def test_a_resent_code_ends_the_one_before_it_of_that_purpose_only(db):
    with at(0):
        verification.send_code(MOBILE, "login")
        login = last_code(MOBILE)
        verification.send_code(MOBILE, "register")
        first = last_code(MOBILE)
    with at(60):
        verification.send_code(MOBILE, "register")
        second = last_code(MOBILE)
        if second != first:  # else the same six digits came twice (one chance in a million)
            # The first code is within its 5 minutes, but only the newest is accepted; the
            # wrong try counts against the newest.
            with pytest.raises(verification.VerificationError, match="还可尝试4次"):
                verification.check_code(MOBILE, "register", first)
        verification.check_code(MOBILE, "register", second)
        verification.check_code(MOBILE, "login", login)
    assert SmsCode.objects.filter(mobile=MOBILE, used_at__isnull=True).count() == 1


def test_five_wrong_tries_void_the_code(db):
    with at():
        verification.send_code(MOBILE, "register")
        good = last_code(MOBILE)
        for left in (4, 3, 2, 1):
            with pytest.raises(verification.VerificationError, match=f"还可尝试{left}次"):
                verification.check_code(MOBILE, "register", wrong(good))
        with pytest.raises(verification.VerificationError, match="验证码错误次数过多"):
            verification.check_code(MOBILE, "register", wrong(good))
        # Even the right code is refused now.
        with pytest.raises(verification.VerificationError, match="验证码错误次数过多"):
            verification.check_code(MOBILE, "register", good)
    assert SmsCode.objects.get().attempts == 5


def test_a_code_expires_after_5_minutes(db):
    with at(0):
        verification.send_code(MOBILE, "register")
        verification.send_code("13912345678", "register")
    with at(minutes=4, seconds=59):
        verification.check_code(MOBILE, "register", last_code(MOBILE))
    with at(minutes=5), pytest.raises(verification.VerificationError, match="已过期"):
        verification.check_code("13912345678", "register", last_code("13912345678"))


def test_a_new_code_replaces_the_old_one(db):
    with at(0):
        verification.send_code(MOBILE, "register")
        first = last_code(MOBILE)
    with at(61):
        verification.send_code(MOBILE, "register")
        second = last_code(MOBILE)
        if first != second:
            with pytest.raises(verification.VerificationError):
                verification.check_code(MOBILE, "register", first)
        verification.check_code(MOBILE, "register", second)


def test_daily_cap_per_mobile(db, settings):
    settings.SMS_DAILY_CAP_PER_MOBILE = 3
    for n in range(3):
        with at(61 * n):
            verification.send_code(MOBILE, "register")
    with at(61 * 3), pytest.raises(verification.VerificationError, match="今日获取验证码次数已达上限"):
        verification.send_code(MOBILE, "register")
    # The cap counts the local (Beijing) day: after midnight in Shanghai it is lifted.
    with at(hours=14, seconds=1):
        verification.send_code(MOBILE, "register")


def test_daily_cap_per_ip(db, settings):
    settings.SMS_DAILY_CAP_PER_IP = 2
    with at():
        verification.send_code("13800000001", "register", "10.0.0.9")
        verification.send_code("13800000002", "register", "10.0.0.9")
        with pytest.raises(verification.VerificationError, match="您所在网络今日获取验证码次数过多"):
            verification.send_code("13800000003", "register", "10.0.0.9")
        verification.send_code("13800000003", "register", "10.0.0.10")


def test_limits_show_on_the_page_in_chinese(has_client, settings):
    settings.SMS_DAILY_CAP_PER_IP = 1
    data = {"mobile": "13800000001", "send_code": "1"}
    has_client.post("/accounts/register/", data, REMOTE_ADDR="10.3.3.3")
    response = has_client.post("/accounts/register/", {**data, "mobile": "13800000002"}, REMOTE_ADDR="10.3.3.3")
    assert "您所在网络今日获取验证码次数过多" in response.content.decode()


def test_mobiles_are_masked_in_logs(db, caplog):
    with caplog.at_level(logging.INFO):
        verification.send_code(MOBILE, "register")
    assert "138****5678" in caplog.text
    assert MOBILE not in caplog.text


# --- HTTP gateway -------------------------------------------------------------------------------


class Gateway:
    """A tiny SMS gateway on 127.0.0.1 that checks signatures and can fail on purpose."""

    def __init__(self, fail_first=0, status=500):
        self.requests = []
        self.sent = {}  # out_id -> message id: a repeated out_id is sent once (the protocol)
        self.fail_first = fail_first
        self.status = status
        gateway = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_POST(self):
                body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
                gateway.requests.append(body)
                if len(gateway.requests) <= gateway.fail_first:
                    self.send_response(gateway.status)
                    self.end_headers()
                    return
                ok = body["signature"] == sms.sign(body)
                if ok:
                    message_id = gateway.sent.setdefault(body["out_id"], f"gw-{len(gateway.requests)}")
                answer = {"message_id": message_id} if ok else {"error": "bad signature"}
                data = json.dumps(answer).encode()
                self.send_response(200 if ok else 403)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def log_message(self, *args):
                pass

        self.server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/send"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def __enter__(self):
        self.thread.start()
        return self

    def __exit__(self, *exc):
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def http_backend(settings):
    settings.SMS_BACKEND = "portal.sms.HttpBackend"
    settings.SMS_HTTP_APP_ID = "open122-test"
    settings.SMS_HTTP_SECRET = "test-secret"
    return settings


def test_http_backend_sends_a_signed_request_and_keeps_the_message_id(db, http_backend):
    with Gateway() as gateway:
        http_backend.SMS_HTTP_GATEWAY_URL = gateway.url
        row = verification.send_code(MOBILE, "register", "10.0.0.1")
    sent = gateway.requests[0]
    assert sent["app_id"] == "open122-test" and sent["mobile"] == MOBILE
    assert set(sent) == {"app_id", "mobile", "text", "out_id", "timestamp", "nonce", "signature"}
    assert sent["signature"] == sms.sign(sent, "test-secret")
    assert abs(int(sent["timestamp"]) - time.time()) < 60
    row.refresh_from_db()
    assert row.message_id == "gw-1" and row.delivery_status == "sent"


def test_a_request_signed_with_another_secret_does_not_match(http_backend):
    fields = {"app_id": "a", "mobile": MOBILE, "text": "t", "timestamp": "1", "nonce": "n"}
    assert sms.sign(fields, "test-secret") != sms.sign(fields, "other")
    assert sms.canonical(fields) == "app_id=a&mobile=13812345678&nonce=n&text=t&timestamp=1"


def pending_code(text="code 123456"):
    now = timezone.now()
    return SmsCode.objects.create(
        mobile=MOBILE,
        purpose="register",
        code_hash="x",
        expires_at=now + datetime.timedelta(minutes=5),
        text=text,
        send_state=SmsCode.SendState.PENDING,
        next_attempt_at=now,
    )


def test_a_failing_gateway_is_retried_by_the_outbox_until_it_accepts(db, http_backend):
    with Gateway(fail_first=2) as gateway:
        http_backend.SMS_HTTP_GATEWAY_URL = gateway.url
        with at(0):
            row = pending_code()
            assert send_verification_sms(row.pk) == "retry"
        with at(4):
            assert sms_outbox.outbox_sweep()["retry"] == 0  # not due before its back-off
        with at(5):
            assert sms_outbox.outbox_sweep()["retry"] == 1
        with at(16):
            assert sms_outbox.outbox_sweep()["sent"] == 1
    assert len(gateway.requests) == 3
    row.refresh_from_db()
    assert row.message_id == "gw-3" and row.send_state == "sent" and row.text == ""


def test_a_gateway_that_never_recovers_is_given_up_and_the_text_dropped(db, http_backend):
    with Gateway(fail_first=100, status=503) as gateway:
        http_backend.SMS_HTTP_GATEWAY_URL = gateway.url
        with at(0):
            row = pending_code()
        for second in range(0, 300, 5):
            with at(second):
                sms_outbox.outbox_sweep()
    assert len(gateway.requests) == sms_outbox.MAX_SEND_ATTEMPTS
    row.refresh_from_db()
    assert row.send_state == "failed" and row.message_id == "" and row.text == ""


def test_an_unreachable_gateway_is_a_gateway_error(http_backend):
    http_backend.SMS_HTTP_GATEWAY_URL = "http://127.0.0.1:9/send"
    with pytest.raises(sms.SmsGatewayError):
        sms.HttpBackend().send(MOBILE, "hello")


def test_the_task_does_nothing_for_a_code_already_sent(db, sms_outbox):
    row = verification.send_code(MOBILE, "register")
    assert send_verification_sms(row.pk) == "skipped"
    assert len(sms_outbox) == 1


# --- Delivery receipts --------------------------------------------------------------------------


def receipt(message_id="gw-1", status="delivered", secret="test-secret", **overrides):
    fields = {
        "app_id": "open122-test",
        "message_id": message_id,
        "status": status,
        "timestamp": str(int(time.time())),
        "nonce": "abc123",
        **overrides,
    }
    fields["signature"] = sms.sign(fields, secret)
    return fields


@pytest.fixture
def sent_code(db, http_backend):
    row = SmsCode.objects.create(
        mobile=MOBILE,
        purpose="register",
        code_hash="x",
        expires_at=timezone.now(),
        message_id="gw-1",
        delivery_status="sent",
    )
    return row


def post_receipt(client, payload):
    return client.post(
        "/accounts/sms/receipt/", json.dumps(payload), content_type="application/json", HTTP_HOST="localhost"
    )


def test_a_signed_receipt_updates_the_delivery_status(client, sent_code):
    response = post_receipt(client, receipt())
    assert response.status_code == 200 and response.json() == {"result": "ok"}
    sent_code.refresh_from_db()
    assert sent_code.delivery_status == "delivered"


def test_a_replayed_receipt_is_refused_and_a_final_state_stays_final(client, sent_code):
    first = receipt(nonce="n-1")
    assert post_receipt(client, first).status_code == 200
    # The same signed receipt again, within its 5 minutes: refused, not applied.
    assert post_receipt(client, first).status_code == 409
    # A later receipt, even a final one, does not replace "delivered".
    assert post_receipt(client, receipt(status="failed", nonce="n-2")).status_code == 200
    assert post_receipt(client, receipt(status="sent", nonce="n-3")).status_code == 200
    sent_code.refresh_from_db()
    assert sent_code.delivery_status == "delivered"


def test_a_failed_receipt_after_delivered_and_its_replay_change_nothing(client, sent_code):
    failed = receipt(status="failed", nonce="n-f")
    assert post_receipt(client, receipt(nonce="n-d")).status_code == 200
    assert post_receipt(client, failed).status_code == 200
    assert post_receipt(client, failed).status_code == 409
    sent_code.refresh_from_db()
    assert sent_code.delivery_status == "delivered"


@pytest.mark.parametrize(
    "payload",
    [
        receipt(secret="forged"),
        {**receipt(), "status": "failed"},  # changed after signing
        receipt(timestamp=str(int(time.time()) - 3600)),
        receipt(app_id="someone-else"),
        {k: v for k, v in receipt().items() if k != "signature"},
    ],
    ids=["forged", "tampered", "stale", "other-app", "unsigned"],
)
def test_forged_or_stale_receipts_are_refused(client, sent_code, payload):
    assert post_receipt(client, payload).status_code == 403
    sent_code.refresh_from_db()
    assert sent_code.delivery_status == "sent"


def test_receipt_endpoint_refuses_get_and_garbage(client, sent_code):
    assert client.get("/accounts/sms/receipt/", HTTP_HOST="localhost").status_code == 405
    response = client.post("/accounts/sms/receipt/", "not json", content_type="application/json", HTTP_HOST="localhost")
    assert response.status_code == 400


def test_a_receipt_for_an_unknown_message_is_acknowledged(client, sent_code):
    response = post_receipt(client, receipt(message_id="gw-unknown"))
    assert response.status_code == 200 and response.json() == {"result": "ignored"}
    response = post_receipt(client, receipt(message_id="gw\x00-1"))
    assert response.status_code == 200 and response.json() == {"result": "ignored"}


# --- Races: a code is accepted once, however many requests arrive together -------------------------

THREADS = 16


def _race(fn):
    """Run fn(i) in THREADS threads released together; return their results (or exceptions)."""
    return race(fn, THREADS).outcomes


@pytest.mark.django_db(transaction=True)
def test_one_code_submitted_by_16_requests_at_once_is_accepted_once():
    verification.send_code(MOBILE, "register")
    code = last_code(MOBILE)
    results = _race(lambda i: verification.check_code(MOBILE, "register", code))
    accepted = [r for r in results if r is None]
    refused = [r for r in results if isinstance(r, verification.VerificationError)]
    assert len(accepted) == 1 and len(refused) == THREADS - 1


@pytest.mark.django_db(transaction=True)
def test_control_without_the_row_lock_the_same_code_is_accepted_many_times():
    """Shows that the race above is real: read-check-write without SELECT ... FOR UPDATE, with
    every request reading before any writes, accepts the one code in every thread."""
    verification.send_code(MOBILE, "register")
    code = last_code(MOBILE)
    all_read = barrier(THREADS)

    def naive(i):
        row = SmsCode.objects.filter(mobile=MOBILE, purpose="register", used_at__isnull=True).first()
        all_read.wait()
        if row is None or row.code_hash != verification._hash(MOBILE, "register", code):
            raise verification.VerificationError("refused")
        SmsCode.objects.filter(pk=row.pk).update(used_at=timezone.now())

    results = _race(naive)
    assert sum(r is None for r in results) == THREADS
