"""Payment gateways behind one interface, chosen by settings.PAYMENT_GATEWAY.

The protocol follows Alipay / WeChat Pay: the portal creates an order and sends the payer to the
gateway's cashier; the gateway tells the portal the outcome in a signed asynchronous
notification (fields sorted by name, joined as k=v&k=v, HMAC-SHA256 with a shared secret);
the portal can query an order and request a refund with its own refund number (a retried
refund request with the same number is the same refund).

SandboxGateway is such a gateway run inside the portal for development, demos and tests: its
cashier is a page on the city site, its own record of trades lives in the cache (Redis), and it
delivers notifications through a Celery task.
"""

import hashlib
import hmac
import secrets
from dataclasses import dataclass
from decimal import Decimal

from django.conf import settings
from django.core.cache import cache
from django.urls import reverse
from django.utils import timezone
from django.utils.module_loading import import_string

from portal.signing import signature_matches

SIGN_FIELD = "sign"
SIGN_TYPE_FIELD = "sign_type"

# Trade states as the gateway reports them (Alipay's names).
TRADE_SUCCESS = "TRADE_SUCCESS"
TRADE_CLOSED = "TRADE_CLOSED"
WAIT_BUYER_PAY = "WAIT_BUYER_PAY"
TRADE_NOT_FOUND = "TRADE_NOT_EXIST"


class InvalidNotification(Exception):
    """A notification whose signature or fields do not check out; nothing may change."""


class GatewayError(Exception):
    pass


@dataclass(frozen=True)
class Notification:
    order_number: str
    transaction_id: str
    amount: Decimal
    trade_status: str
    notify_id: str


@dataclass(frozen=True)
class QueryResult:
    trade_status: str
    transaction_id: str = ""
    amount: Decimal | None = None


@dataclass(frozen=True)
class RefundResult:
    ok: bool
    gateway_refund_id: str = ""
    message: str = ""


def canonical(fields: dict) -> str:
    """k=v&k=v over the non-empty fields sorted by name, without the signature fields."""
    items = sorted(
        (k, str(v)) for k, v in fields.items() if k not in (SIGN_FIELD, SIGN_TYPE_FIELD) and v not in ("", None)
    )
    return "&".join(f"{k}={v}" for k, v in items)


def sign(fields: dict, secret: str) -> str:
    return hmac.new(secret.encode(), canonical(fields).encode(), hashlib.sha256).hexdigest()


class Gateway:
    code = ""

    def create(self, payment, request=None) -> str:
        """Register the order with the gateway and return the cashier URL to send the payer to."""
        raise NotImplementedError

    def verify_notification(self, data: dict) -> Notification:
        """Check a notification's signature and parse it, or raise InvalidNotification."""
        raise NotImplementedError

    def query(self, payment) -> QueryResult:
        raise NotImplementedError

    def close(self, payment) -> None:
        """Close an unpaid order at the gateway so that it can no longer be paid."""
        raise NotImplementedError

    def refund(self, payment, refund) -> RefundResult:
        raise NotImplementedError


def notify_url(payment, request=None) -> str:
    """Absolute URL of the notify endpoint, on the payment's city site."""
    from portal.context_processors import city_url

    path = reverse("pay:notify")
    if request is not None:
        return request.build_absolute_uri(path)
    return city_url(payment.city).rstrip("/") + path


def loopback_target(url: str) -> tuple[str, dict]:
    """(url, headers) for a POST from a worker: *.localhost (development sites) does not resolve
    everywhere, so it is sent to 127.0.0.1 with the site's name in the Host header."""
    from urllib.parse import urlsplit, urlunsplit

    parts = urlsplit(url)
    host = parts.hostname or ""
    if host == "localhost" or host.endswith(".localhost"):
        netloc = "127.0.0.1" + (f":{parts.port}" if parts.port else "")
        return urlunsplit((parts.scheme, netloc, parts.path, parts.query, "")), {"Host": parts.netloc}
    return url, {}


def get_gateway() -> Gateway:
    return import_string(settings.PAYMENT_GATEWAY)()


class SandboxGateway(Gateway):
    code = "sandbox"
    _TTL = 60 * 60 * 24 * 30

    @property
    def secret(self) -> str:
        return settings.PAYMENT_SANDBOX_SECRET

    # --- the gateway's own book of trades (what a real gateway keeps on its side) -------------
    def _key(self, order_number):
        return f"pay-sandbox:trade:{order_number}"

    def trade(self, order_number) -> dict | None:
        return cache.get(self._key(order_number))

    def _save(self, order_number, trade):
        cache.set(self._key(order_number), trade, self._TTL)

    # --- interface ---------------------------------------------------------------------------
    def create(self, payment, request=None):
        self._save(
            payment.order_number,
            {
                "amount": str(payment.amount),
                "status": WAIT_BUYER_PAY,
                "trade_no": "",
                "refunds": {},
                "notify_url": notify_url(payment, request),
            },
        )
        return reverse("pay:sandbox_cashier", args=[payment.order_number])

    def verify_notification(self, data):
        expected = sign(data, self.secret)
        if not signature_matches(expected, data.get(SIGN_FIELD, "")):
            raise InvalidNotification("bad signature")
        if any("\x00" in str(value) for value in data.values()):
            raise InvalidNotification("NUL in a field")  # PostgreSQL cannot compare such a string
        try:
            amount = Decimal(data["total_amount"])
            if not amount.is_finite():  # NaN and sNaN cannot be compared with the order's amount
                raise InvalidNotification("amount is not a number")
            return Notification(
                order_number=data["out_trade_no"],
                transaction_id=data.get("trade_no", ""),
                amount=amount,
                trade_status=data["trade_status"],
                notify_id=data["notify_id"],
            )
        except (KeyError, ArithmeticError) as exc:
            raise InvalidNotification(f"missing or bad field: {exc}") from None

    def query(self, payment):
        trade = self.trade(payment.order_number)
        if trade is None:
            return QueryResult(TRADE_NOT_FOUND)
        return QueryResult(trade["status"], trade["trade_no"], Decimal(trade["amount"]))

    def close(self, payment):
        trade = self.trade(payment.order_number)
        if trade is not None and trade["status"] == WAIT_BUYER_PAY:
            trade["status"] = TRADE_CLOSED
            self._save(payment.order_number, trade)

    def refund(self, payment, refund):
        trade = self.trade(payment.order_number)
        if trade is None or trade["status"] != TRADE_SUCCESS:
            return RefundResult(False, message="trade not paid")
        done = trade["refunds"]
        if refund.refund_number in done:  # the same request again: the same refund
            return RefundResult(True, done[refund.refund_number]["id"])
        total = sum(Decimal(r["amount"]) for r in done.values()) + refund.amount
        if total > Decimal(trade["amount"]):
            return RefundResult(False, message="refund exceeds the paid amount")
        refund_id = "SBR" + timezone.now().strftime("%Y%m%d") + secrets.token_hex(6).upper()
        done[refund.refund_number] = {"id": refund_id, "amount": str(refund.amount)}
        self._save(payment.order_number, trade)
        return RefundResult(True, refund_id)

    # --- the sandbox cashier (what the payer does on the gateway's page) ----------------------
    def payer_pays(self, order_number, notify_url: str = "") -> bool:
        """The payer pressed pay: the trade succeeds and a notification is scheduled.

        notify_url: where the cashier page was served, so that a development site on another
        port than the one start_payment() guessed still gets its notification.
        """
        trade = self.trade(order_number)
        if trade is None or trade["status"] == TRADE_CLOSED:
            return False
        if notify_url:
            trade["notify_url"] = notify_url
        if trade["status"] == WAIT_BUYER_PAY:
            trade["status"] = TRADE_SUCCESS
            trade["trade_no"] = "SBX" + timezone.now().strftime("%Y%m%d") + secrets.token_hex(8).upper()
            self._save(order_number, trade)
        self._schedule_notification(order_number)
        return True

    def payer_cancels(self, order_number, notify_url: str = "") -> bool:
        trade = self.trade(order_number)
        if trade is None or trade["status"] != WAIT_BUYER_PAY:
            return False
        if notify_url:
            trade["notify_url"] = notify_url
        trade["status"] = TRADE_CLOSED
        self._save(order_number, trade)
        self._schedule_notification(order_number)
        return True

    def notification_for(self, order_number) -> dict:
        """The signed notification fields the gateway posts for a trade's current state."""
        trade = self.trade(order_number)
        fields = {
            "notify_id": secrets.token_hex(16),
            "notify_time": timezone.localtime().strftime("%Y-%m-%d %H:%M:%S"),
            "out_trade_no": order_number,
            "trade_no": trade["trade_no"],
            "total_amount": trade["amount"],
            "trade_status": trade["status"],
            "gateway": self.code,
        }
        fields[SIGN_TYPE_FIELD] = "HMAC-SHA256"
        fields[SIGN_FIELD] = sign(fields, self.secret)
        return fields

    def _schedule_notification(self, order_number):
        from portal.payments import tasks

        tasks.sandbox_notify.delay(order_number)
