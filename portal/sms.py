"""SMS backends, chosen by settings.SMS_BACKEND like Django's email backends.

ConsoleBackend (development) prints; LocmemBackend (tests) keeps an outbox; HttpBackend sends a
signed request to a gateway, which later calls back with a signed delivery receipt. All return
the gateway's message id.

Gateway protocol (HttpBackend): POST JSON {app_id, mobile, text, out_id, timestamp, nonce,
signature} to SMS_HTTP_GATEWAY_URL; the answer is JSON {"message_id": "..."} with status 200.
`out_id` is our reference for the message (one per outbox row): the gateway sends a repeated
out_id once and answers with the first message id, so a retry after a lost answer or a killed
worker cannot send the SMS twice. Receipts are POSTed to /accounts/sms/receipt/ as JSON {app_id,
message_id, status, timestamp, nonce, signature}; each nonce is accepted once. `signature` is the
hex HMAC-SHA256 with SMS_HTTP_SECRET over the canonical string: every other field as key=value,
sorted by key, joined with "&".
"""

import hmac
import json
import logging
import secrets
import time
import urllib.error
import urllib.request
import uuid
from hashlib import sha256

from django.conf import settings
from django.utils.module_loading import import_string

from portal import identity

log = logging.getLogger(__name__)

outbox: list[dict] = []

# A receipt older (or newer) than this is refused: a captured one cannot be replayed later.
RECEIPT_MAX_AGE_SECONDS = 300
# Receipt statuses; a final one is never replaced by a later, non-final one.
FINAL_STATUSES = {"delivered", "failed", "rejected"}
KNOWN_STATUSES = FINAL_STATUSES | {"sent", "queued"}


class SmsGatewayError(Exception):
    """The gateway did not accept the message; the sending task retries."""


class ReceiptRejected(Exception):
    """A delivery receipt whose signature, app id or timestamp is not acceptable."""


class BaseBackend:
    def send(self, mobile: str, text: str, reference: str = "") -> str:
        raise NotImplementedError


class ConsoleBackend(BaseBackend):
    def send(self, mobile, text, reference=""):
        message_id = uuid.uuid4().hex
        # Development only: the full number is shown so a developer can log in; never logged.
        # The reference is printed so that an operator (and tests/cluster/test_faults.py) can
        # count what a real gateway would send: one message per reference.
        print(f"[SMS to {mobile} ref={reference}] {text}", flush=True)
        return message_id


class LocmemBackend(BaseBackend):
    """Keeps what a gateway would send, and like the gateway sends a repeated reference once."""

    def send(self, mobile, text, reference=""):
        for message in outbox:
            if reference and message.get("reference") == reference:
                return message["message_id"]
        message_id = uuid.uuid4().hex
        outbox.append({"mobile": mobile, "text": text, "message_id": message_id, "reference": reference})
        return message_id


def canonical(fields: dict) -> str:
    return "&".join(f"{key}={fields[key]}" for key in sorted(fields) if key != "signature")


def sign(fields: dict, secret: str | None = None) -> str:
    secret = settings.SMS_HTTP_SECRET if secret is None else secret
    return hmac.new(secret.encode(), canonical(fields).encode(), sha256).hexdigest()


class HttpBackend(BaseBackend):
    timeout = 10

    def send(self, mobile, text, reference=""):
        url = settings.SMS_HTTP_GATEWAY_URL
        if not url:
            raise SmsGatewayError("SMS_HTTP_GATEWAY_URL is not set")
        fields = {
            "app_id": settings.SMS_HTTP_APP_ID,
            "mobile": mobile,
            "text": text,
            "out_id": reference or uuid.uuid4().hex,
            "timestamp": str(int(time.time())),
            "nonce": secrets.token_hex(16),
        }
        fields["signature"] = sign(fields)
        request = urllib.request.Request(
            url,
            data=json.dumps(fields, ensure_ascii=False).encode(),
            headers={"Content-Type": "application/json; charset=utf-8"},
            method="POST",
        )
        try:
            with urllib.request.urlopen(request, timeout=self.timeout) as response:
                body = json.loads(response.read() or b"{}")
        except urllib.error.HTTPError as exc:
            raise SmsGatewayError(f"gateway answered HTTP {exc.code}") from None
        except (urllib.error.URLError, OSError, ValueError) as exc:
            raise SmsGatewayError(f"gateway unreachable or answered nonsense: {exc.__class__.__name__}") from None
        message_id = str(body.get("message_id") or "") if isinstance(body, dict) else ""
        if not message_id or len(message_id) > 64:
            raise SmsGatewayError("gateway answered without a usable message id")
        return message_id


def get_backend() -> BaseBackend:
    return import_string(settings.SMS_BACKEND)()


def send_sms(mobile: str, text: str, reference: str = "") -> str:
    message_id = get_backend().send(mobile, text, reference)
    log.info("sms sent to %s id=%s", identity.mask_mobile(mobile), message_id)
    return message_id


def verify_receipt(payload: dict, now: float | None = None) -> None:
    """Raise ReceiptRejected unless the receipt is signed by the gateway and fresh."""
    now = time.time() if now is None else now
    signature = str(payload.get("signature") or "")
    fields = {key: str(value) for key, value in payload.items() if key != "signature"}
    if not signature or not hmac.compare_digest(signature, sign(fields)):
        raise ReceiptRejected("bad signature")
    if fields.get("app_id") != settings.SMS_HTTP_APP_ID:
        raise ReceiptRejected("unknown app id")
    try:
        timestamp = int(fields.get("timestamp", ""))
    except ValueError:
        raise ReceiptRejected("bad timestamp") from None
    if abs(now - timestamp) > RECEIPT_MAX_AGE_SECONDS:
        raise ReceiptRejected("stale timestamp")
    nonce = fields.get("nonce", "")
    if not nonce or len(nonce) > 64 or not nonce.isprintable():
        raise ReceiptRejected("bad nonce")


class ReceiptReplayed(Exception):
    """A receipt whose nonce was already accepted: acknowledged, not applied again."""


def handle_receipt(payload: dict) -> bool:
    """Record a verified delivery receipt on its SmsCode. True when a row matched.

    Each nonce is accepted once (a replay raises ReceiptReplayed); a final status (delivered,
    failed, rejected) is never replaced, not even by another final one.
    """
    from django.db import IntegrityError, transaction

    from portal.models import SmsCode, SmsReceiptNonce

    verify_receipt(payload)
    message_id = str(payload.get("message_id") or "")
    status = str(payload.get("status") or "").lower()
    if not message_id or len(message_id) > 64 or not message_id.isprintable() or status not in KNOWN_STATUSES:
        return False
    with transaction.atomic():
        try:
            with transaction.atomic():
                SmsReceiptNonce.objects.create(nonce=str(payload["nonce"]))
        except IntegrityError:
            raise ReceiptReplayed() from None
        updated = SmsCode.objects.filter(message_id=message_id).exclude(delivery_status__in=FINAL_STATUSES)
        updated.update(delivery_status=status)
    return SmsCode.objects.filter(message_id=message_id).exists()
