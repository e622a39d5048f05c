"""App-push backends, chosen by settings.PUSH_BACKEND.

SandboxPushBackend follows a real push service's protocol: send() returns the service's message
id; later the service reports the outcome by a signed callback (POST to notices:receipt with
channel "push"), which the portal verifies and applies once. The sandbox keeps what it sent in
`outbox` and builds correctly signed receipts with receipt_payload() (tests, demo).
"""

import hashlib
import hmac
import time
import uuid

from django.conf import settings
from django.utils.module_loading import import_string

from portal.signing import signature_matches

outbox: list[dict] = []


def receipt_secret(channel: str) -> str:
    if channel == "sms":
        return settings.SMS_HTTP_SECRET
    return getattr(settings, "PUSH_SANDBOX_SECRET", "dev-push-secret")


def sign(channel: str, message_id: str, status: str, ts: str) -> str:
    payload = f"{channel}|{message_id}|{status}|{ts}".encode()
    return hmac.new(receipt_secret(channel).encode(), payload, hashlib.sha256).hexdigest()


def verify(channel: str, message_id: str, status: str, ts: str, signature: str) -> bool:
    return signature_matches(sign(channel, message_id, status, ts), signature)


def receipt_payload(message_id: str, status: str = "delivered", channel: str = "push", ts: int | None = None) -> dict:
    """The form fields a gateway posts to report a delivery outcome, signed."""
    ts = str(int(time.time()) if ts is None else ts)
    return {"message_id": message_id, "status": status, "ts": ts, "sig": sign(channel, message_id, status, ts)}


class BasePushBackend:
    def send(self, *, user_id: int, title: str, body: str, data: dict) -> str:
        raise NotImplementedError


class SandboxPushBackend(BasePushBackend):
    """Addresses the citizen's account (a real backend maps it to their devices' tokens)."""

    def send(self, *, user_id, title, body, data):
        message_id = "push-" + uuid.uuid4().hex
        outbox.append({"user_id": user_id, "title": title, "body": body, "data": data, "message_id": message_id})
        return message_id


def get_backend() -> BasePushBackend:
    return import_string(settings.PUSH_BACKEND)()


def send_push(*, user_id: int, title: str, body: str, data: dict | None = None) -> str:
    return get_backend().send(user_id=user_id, title=title, body=body, data=data or {})
