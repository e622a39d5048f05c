"""Insurers behind one interface, chosen by settings.ACCIDENT_INSURER_BACKEND (docs/rules.md §5.7).

Protocol (the shape of the insurers' claim-report interfaces used by 快处快赔 platforms): the
portal POSTs one JSON report per party to the insurer's endpoint, signed with HMAC-SHA256 (hex)
over the exact body under a shared secret, in the header X-Report-Signature. The body carries
our reference (one per party and case: a repeated reference is answered with the first report
number, so a retry cannot open two claims), the document, the accident facts, the insured
vehicle and policy, and both parties' responsibility. The insurer answers 200 with JSON
{"report_number": "..."}.

SandboxInsurer is such an insurer inside the portal: it checks the signature the way the insurer
would, keeps the message (InsurerNotice.message holds it anyway) and answers a report number.
Production (DEBUG off) refuses it unless ALLOW_SANDBOX_BACKENDS (portal.checks).
"""

import hashlib
import hmac
import json
import secrets
import urllib.error
import urllib.request

from django.conf import settings
from django.utils.module_loading import import_string

SIGNATURE_HEADER = "X-Report-Signature"


class InsurerError(Exception):
    """The insurer did not accept the report; the sweep tries again."""


def body_of(message: dict) -> bytes:
    return json.dumps(message, ensure_ascii=False, sort_keys=True).encode()


def signature(body: bytes, secret: str | None = None) -> str:
    secret = settings.ACCIDENT_INSURER_SECRET if secret is None else secret
    return hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()


class InsurerBackend:
    def report(self, message: dict) -> str:
        """Send one report; returns the insurer's report number, or raises InsurerError."""
        raise NotImplementedError


def get_backend() -> InsurerBackend:
    return import_string(settings.ACCIDENT_INSURER_BACKEND)()


# Reports the sandbox received in this process, oldest first (tests and demo read them).
sandbox_received: list[dict] = []


class SandboxInsurer(InsurerBackend):
    def receive(self, body: bytes, sent_signature: str) -> str:
        """The insurer's side: verify, then answer the report number (the first one again for a
        repeated reference)."""
        if not hmac.compare_digest(signature(body), sent_signature):
            raise InsurerError("bad signature")
        data = json.loads(body)
        for earlier in sandbox_received:
            if earlier["message"]["reference"] == data["reference"]:
                return earlier["report_number"]
        number = f"SBX{secrets.randbelow(10**12):012d}"
        sandbox_received.append({"message": data, "report_number": number, "signature": sent_signature})
        return number

    def report(self, message):
        body = body_of(message)
        return self.receive(body, signature(body))


class HttpInsurer(InsurerBackend):
    timeout = 10

    def report(self, message):
        url = settings.ACCIDENT_INSURER_URL
        if not url:
            raise InsurerError("ACCIDENT_INSURER_URL is not set")
        body = body_of(message)
        request = urllib.request.Request(
            url,
            data=body,
            headers={"Content-Type": "application/json; charset=utf-8", SIGNATURE_HEADER: signature(body)},
            method="POST",
        )
        try:
            with urllib.request.urlopen(request, timeout=self.timeout) as response:
                answer = json.loads(response.read() or b"{}")
        except urllib.error.HTTPError as exc:
            raise InsurerError(f"insurer answered HTTP {exc.code}") from None
        except (urllib.error.URLError, OSError, ValueError) as exc:
            raise InsurerError(f"insurer unreachable or answered nonsense: {exc.__class__.__name__}") from None
        number = str(answer.get("report_number") or "") if isinstance(answer, dict) else ""
        if not number or len(number) > 64:
            raise InsurerError("insurer answered without a report number")
        return number
