"""Postal carriers behind one interface, chosen by settings.POSTAL_CARRIER.

The protocol follows EMS / courier open platforms: the portal books a shipment and gets a
tracking number; the carrier reports tracking events to the portal's webhook as a JSON body
signed with HMAC-SHA256 (hex, header X-Carrier-Signature) under a shared secret; every event
has the carrier's own id, so a redelivered event is recognised.

SandboxCarrier is such a carrier inside the portal: tracking numbers in the UPU S10 format
(EA123456785CN), and a way for staff (page or `manage.py postal_advance`) to move a shipment
through accepted, in transit, delivered, failed and returned, which posts the signed webhook.
"""

import datetime
import hashlib
import hmac
import json
import secrets
from dataclasses import dataclass

from django.conf import settings
from django.utils import timezone
from django.utils.dateparse import parse_datetime
from django.utils.module_loading import import_string

SIGNATURE_HEADER = "X-Carrier-Signature"


class InvalidWebhook(Exception):
    """A webhook whose signature or body does not check out; nothing may change."""


@dataclass(frozen=True)
class TrackingEvent:
    tracking_number: str
    event_id: str
    status: str
    description: str
    location: str
    occurred_at: datetime.datetime


def body_signature(body: bytes, secret: str) -> str:
    return hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()


def s10_check_digit(serial: str) -> str:
    """UPU S10 check digit of an 8-digit serial number."""
    total = sum(int(d) * w for d, w in zip(serial, [8, 6, 4, 2, 3, 5, 9, 7], strict=True))
    check = 11 - total % 11
    return {10: "0", 11: "5"}.get(check, str(check))


class Carrier:
    code = ""

    def create(self, shipment) -> str:
        """Book the shipment with the carrier; returns the tracking number."""
        raise NotImplementedError

    def parse_webhook(self, body: bytes, signature: str) -> list[TrackingEvent]:
        """Verify a webhook's signature and parse its events, or raise InvalidWebhook."""
        raise NotImplementedError


def get_carrier() -> Carrier:
    return import_string(settings.POSTAL_CARRIER)()


class SandboxCarrier(Carrier):
    code = "sandbox"

    # What a courier's tracking page says at each step.
    DESCRIPTIONS = {
        "accepted": "邮件已收寄",
        "in_transit": "邮件运输中",
        "delivered": "邮件已妥投，本人签收",
        "failed": "投递未成功，收件人不在，将再次投递",
        "returned": "邮件已退回寄件人",
    }

    @property
    def secret(self) -> str:
        return settings.POSTAL_SANDBOX_SECRET

    def create(self, shipment):
        serial = f"{secrets.randbelow(10**8):08d}"
        return f"EA{serial}{s10_check_digit(serial)}CN"

    def parse_webhook(self, body, signature):
        # Compared as bytes: a header with non-ASCII characters is a bad signature, not a crash.
        if not hmac.compare_digest(body_signature(body, self.secret).encode(), (signature or "").encode()):
            raise InvalidWebhook("bad signature")
        try:
            data = json.loads(body)
            events = []
            for item in data["events"]:
                occurred = parse_datetime(item["occurred_at"])
                if occurred is None:
                    raise ValueError("occurred_at")
                events.append(
                    TrackingEvent(
                        tracking_number=item["tracking_number"],
                        event_id=item["event_id"],
                        status=item["status"],
                        description=item.get("description", ""),
                        location=item.get("location", ""),
                        occurred_at=occurred,
                    )
                )
        except (ValueError, KeyError, TypeError) as exc:
            raise InvalidWebhook(f"bad body: {exc}") from None
        return events

    def event_body(self, tracking_number: str, status: str, location: str = "", event_id: str | None = None) -> bytes:
        """The signed webhook body the sandbox posts for one event."""
        event = {
            "tracking_number": tracking_number,
            "event_id": event_id or secrets.token_hex(12),
            "status": status,
            "description": self.DESCRIPTIONS.get(status, status),
            "location": location,
            "occurred_at": timezone.now().isoformat(),
        }
        return json.dumps({"carrier": self.code, "events": [event]}, ensure_ascii=False, sort_keys=True).encode()

    def advance(self, shipment, status: str, location: str = "", base_url: str = "") -> None:
        """Staff moved a sandbox shipment: post the signed tracking event to the portal
        (at base_url, the site staff used, when known; else the city's site)."""
        from portal.postal import tasks

        body = self.event_body(shipment.tracking_number, status, location)
        tasks.sandbox_webhook.delay(body.decode(), shipment.city.code, base_url)
