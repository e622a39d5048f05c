"""Payments: every write of Payment and Refund rows happens here.

Other apps pay for things without portal importing them:

    # in the app's AppConfig.ready()
    from portal.payments.services import register_purpose
    register_purpose("exams.fee", on_paid=exams.services.fee_paid, label=_("Exam fee"))

    # in the app's view
    payment = start_payment(purpose="exams.fee", reference=f"exams.booking:{booking.pk}", city=request.city,
                            payer=request.user, amount=fee, description="科目一考试费",
                            return_path=reverse("exams:booking", args=[booking.pk]), request=request)
    return redirect(payment.cashier_url)

`on_paid(payment)` is called exactly once per reference, INSIDE the transaction that marks the
payment paid: the app's state change and the payment's status commit together or not at all.
If it raises, nothing is committed, the notification is answered "fail" and the gateway (and
the reconciliation task) deliver it again later; so on_paid must be idempotent and must not
raise for business reasons: when the thing paid for is gone, record that and call
request_refund() after commit. A second attempt for a reference that is already paid is refunded
in full automatically and on_paid is not called again.
"""

import dataclasses
import logging
import secrets
from collections.abc import Callable
from datetime import timedelta
from decimal import Decimal, InvalidOperation

from django.conf import settings
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from portal import audit, identity
from portal.models import Payment, Refund
from portal.payments import gateways

log = logging.getLogger(__name__)


class PaymentError(Exception):
    """A request that cannot be done; the message is for the page."""


@dataclasses.dataclass(frozen=True)
class Purpose:
    code: str
    on_paid: Callable | None
    label: object


_PURPOSES: dict[str, Purpose] = {}


def register_purpose(purpose: str, on_paid: Callable | None = None, label=None) -> None:
    """Declare what payments of `purpose` are for and who reacts when one is paid."""
    _PURPOSES[purpose] = Purpose(purpose, on_paid, label or purpose)


def purpose_label(purpose: str):
    spec = _PURPOSES.get(purpose)
    return spec.label if spec else purpose


def _order_number(prefix: str = "") -> str:
    # 14-digit local time + 17 random digits (56 bits from `secrets`): readable on a receipt and
    # sortable, and not guessable from another order's number. The pages still belong to the
    # payer only (portal.payments.views); the number is not a password.
    return f"{prefix}{timezone.localtime():%Y%m%d%H%M%S}{secrets.randbelow(10**17):017d}"


def start_payment(
    *,
    purpose: str,
    reference: str,
    city,
    amount,
    description: str,
    payer=None,
    payer_id_number: str | None = None,
    payer_name: str | None = None,
    return_path: str = "",
    request=None,
) -> Payment:
    """Create one payment attempt and register it with the gateway.

    Steps: validate the amount (Decimal yuan, > 0, 2 places); create the Payment row (created)
    under a fresh order number; ask the gateway for the cashier URL; mark it pending with that
    URL. Returns the payment; send the payer to payment.cashier_url.
    """
    if purpose not in _PURPOSES:
        raise ValueError(f"unregistered payment purpose {purpose!r}")
    try:
        amount = Decimal(str(amount)).quantize(Decimal("0.01"))
    except InvalidOperation:
        raise PaymentError(_("The amount is not a valid number.")) from None
    if amount <= 0:
        raise PaymentError(_("The amount must be more than zero."))
    if payer is not None:
        payer_id_number = payer_id_number or payer.id_number
        payer_name = payer_name or payer.real_name
    if not payer_id_number:
        raise ValueError("a payment needs the payer's ID number")
    if return_path and not return_path.startswith("/") or return_path.startswith("//"):
        raise ValueError("return_path must be a path on the city site")
    gateway = gateways.get_gateway()
    for _attempt in range(5):
        try:
            with transaction.atomic():
                payment = Payment(
                    order_number=_order_number(),
                    purpose=purpose,
                    reference=reference,
                    description=description,
                    city=city,
                    payer=payer if payer is not None and payer.pk else None,
                    payer_id_number=identity.normalize_id_number(payer_id_number),
                    payer_name=payer_name or "",
                    amount=amount,
                    gateway=gateway.code,
                    return_path=return_path,
                )
                payment._history_user = payment.payer
                payment.save()
            break
        except IntegrityError:  # an order-number collision: draw again
            continue
    else:
        raise PaymentError(_("The payment could not be created; please try again."))
    cashier_url = gateway.create(payment, request)
    Payment.objects.filter(pk=payment.pk, status=Payment.Status.CREATED).update(
        status=Payment.Status.PENDING, cashier_url=cashier_url, updated_at=timezone.now()
    )
    audit.record(payment, "sent to the cashier", payment.payer_id)
    return payment


def handle_notification(data: dict, gateway=None) -> bool:
    """Process a gateway's asynchronous notification. True means answer "success".

    Steps: verify the signature (a forged notification changes nothing: False); find the order
    and check that the amount is the order's (else False); on success move the payment to paid
    with a conditional UPDATE (a repeated notification finds it paid and changes nothing: True),
    calling the purpose's on_paid in the same transaction; on a closed trade mark an open payment
    cancelled. A duplicate payment of an already paid reference is refunded after commit.
    """
    gateway = gateway or gateways.get_gateway()
    try:
        note = gateway.verify_notification(data)
    except gateways.InvalidNotification as exc:
        log.warning("rejected payment notification: %s", exc)
        return False
    payment = Payment.objects.filter(order_number=note.order_number).first()
    if payment is None:
        log.warning("payment notification for an unknown order")
        return False
    if note.trade_status == gateways.TRADE_SUCCESS:
        if note.amount != payment.amount:
            log.error("payment notification amount mismatch for order %s", payment.order_number)
            return False
        try:
            return _settle(payment, note.transaction_id)
        except Exception:
            # A purpose callback failed: nothing was committed; "fail" makes the gateway (and
            # the reconciliation task) deliver it again.
            log.exception("settling order %s failed", payment.order_number)
            return False
    if note.trade_status == gateways.TRADE_CLOSED:
        _close(payment, Payment.Status.CANCELLED, "")
        return True
    return True  # WAIT_BUYER_PAY and other interim states change nothing


def _settle(payment: Payment, transaction_id: str) -> bool:
    now = timezone.now()
    duplicate = False
    with transaction.atomic():
        won = Payment.objects.filter(
            pk=payment.pk,
            # A cancelled order (by the payer, or because what it paid for is gone) stays
            # cancelled whatever a notification says; a failed one (not paid in time) may still
            # be paid late, the money having reached the gateway.
            status__in=[Payment.Status.CREATED, Payment.Status.PENDING, Payment.Status.FAILED],
        ).update(
            status=Payment.Status.PAID,
            gateway_transaction_id=transaction_id,
            paid_at=now,
            updated_at=now,
            failure_reason="",
        )
        if not won:
            payment.refresh_from_db()
            if payment.status == Payment.Status.CANCELLED:
                log.error("order %s is cancelled; a success notification for it changes nothing", payment.order_number)
                return False
            if payment.is_settled and payment.gateway_transaction_id == transaction_id:
                return True  # a repeated notification
            log.error("order %s paid twice with different transactions", payment.order_number)
            return False
        audit.record(payment, "paid")
        # The reference's rows are locked in a fixed order so two attempts paid at once agree
        # on which one is the duplicate.
        settled = list(
            Payment.objects.select_for_update()
            .filter(reference=payment.reference, status__in=Payment.SETTLED)
            .order_by("paid_at", "pk")
            .values_list("pk", flat=True)
        )
        duplicate = settled[0] != payment.pk
        if not duplicate:
            spec = _PURPOSES.get(payment.purpose)
            if spec is not None and spec.on_paid is not None:
                spec.on_paid(payment)
    if duplicate:
        try:
            request_refund(payment, reason=_("Duplicate payment of the same item"))
        except PaymentError as exc:
            log.error("automatic refund of duplicate order %s failed: %s", payment.order_number, exc)
    return True


def _close(payment: Payment, status: str, reason: str) -> bool:
    with transaction.atomic():
        closed = Payment.objects.filter(pk=payment.pk, status__in=Payment.OPEN).update(
            status=status, failure_reason=reason, updated_at=timezone.now()
        )
        if closed:
            audit.record(payment, status)
    return bool(closed)


def cancel(payment: Payment) -> bool:
    """Close an unpaid attempt at the gateway and here (e.g. the item it paid for expired)."""
    gateways.get_gateway().close(payment)
    return _close(payment, Payment.Status.CANCELLED, "")


def request_refund(payment: Payment, amount=None, reason: str = "", by=None) -> Refund:
    """Refund all of a payment (amount None) or part of it through the gateway.

    Steps: lock the payment, check it is settled and that the amount fits what is left after
    earlier and pending refunds; create a pending Refund with its own refund number; call the
    gateway outside the lock (the refund number makes a retried call the same refund); then
    record the outcome: succeeded adds to refunded_amount and sets refunded/partially refunded,
    failed leaves the payment as it was. Raises PaymentError with a message for the page.
    """
    with transaction.atomic():
        locked = Payment.objects.select_for_update().get(pk=payment.pk)
        if locked.status not in (Payment.Status.PAID, Payment.Status.PARTIALLY_REFUNDED):
            raise PaymentError(_("Only a paid payment can be refunded."))
        pending = sum(
            locked.refunds.filter(status=Refund.Status.PENDING).values_list("amount", flat=True), Decimal("0")
        )
        available = locked.amount - locked.refunded_amount - pending
        amount = available if amount is None else Decimal(str(amount)).quantize(Decimal("0.01"))
        if amount <= 0:
            raise PaymentError(_("The refund amount must be more than zero."))
        if amount > available:
            raise PaymentError(_("At most %(amount)s yuan can still be refunded.") % {"amount": available})
        refund = Refund(
            payment=locked,
            refund_number=_order_number("R"),
            amount=amount,
            reason=reason[:200],
            requested_by=by if by is not None and by.pk else None,
        )
        refund._history_user = refund.requested_by
        refund.save()
    result = gateways.get_gateway().refund(locked, refund)
    now = timezone.now()
    with transaction.atomic():
        locked = Payment.objects.select_for_update().get(pk=payment.pk)
        if not result.ok:
            # Recorded and committed before the error is raised: raising inside this block rolled
            # the failure back and left the refund pending for ever.
            Refund.objects.filter(pk=refund.pk, status=Refund.Status.PENDING).update(
                status=Refund.Status.FAILED, completed_at=now
            )
            # The gateway's words stay in the refund's history, which the clerk's admin shows.
            audit.record(refund, f"gateway refused: {result.message}"[:100], by)
    if not result.ok:
        raise PaymentError(_("The payment service refused the refund: %(message)s") % {"message": result.message})
    with transaction.atomic():
        locked = Payment.objects.select_for_update().get(pk=payment.pk)
        done = Refund.objects.filter(pk=refund.pk, status=Refund.Status.PENDING).update(
            status=Refund.Status.SUCCEEDED, gateway_refund_id=result.gateway_refund_id, completed_at=now
        )
        if done:
            refunded = locked.refunded_amount + refund.amount
            status = Payment.Status.REFUNDED if refunded == locked.amount else Payment.Status.PARTIALLY_REFUNDED
            Payment.objects.filter(pk=locked.pk).update(refunded_amount=refunded, status=status, updated_at=now)
            audit.record(refund, "refunded", by)
            audit.record(payment, "refund", by)
    refund.refresh_from_db()
    payment.refresh_from_db()
    return refund


def reconcile(older_than_minutes: int | None = None) -> int:
    """Ask the gateway about payments still open after some minutes; returns how many changed.

    A paid trade is settled as if its notification had arrived; a closed one is cancelled; one
    still unpaid after PAYMENT_TIMEOUT_MINUTES (or unknown to the gateway by then) is closed at
    the gateway and marked failed, so it can no longer be paid.
    """
    minutes = (
        older_than_minutes
        if older_than_minutes is not None
        else getattr(settings, "PAYMENT_RECONCILE_AFTER_MINUTES", 15)
    )
    timeout = timedelta(minutes=getattr(settings, "PAYMENT_TIMEOUT_MINUTES", 120))
    now = timezone.now()
    gateway = gateways.get_gateway()
    changed = 0
    stale = Payment.objects.filter(status__in=Payment.OPEN, created_at__lt=now - timedelta(minutes=minutes)).order_by(
        "created_at"
    )
    for payment in stale[:1000]:
        result = gateway.query(payment)
        if result.trade_status == gateways.TRADE_SUCCESS:
            if result.amount == payment.amount and _settle(payment, result.transaction_id):
                changed += 1
        elif result.trade_status == gateways.TRADE_CLOSED:
            changed += _close(payment, Payment.Status.CANCELLED, "")
        elif now - payment.created_at > timeout:
            gateway.close(payment)
            changed += _close(payment, Payment.Status.FAILED, "not paid in time")
    return changed
