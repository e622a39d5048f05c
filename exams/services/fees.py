"""Exam fees (docs/rules.md §3): charged through portal.payments for an allocated seat, paid
within the city's time limit or the seat is freed, refunded when the booking is cancelled in time
at the counter or the office cancels the plan. Every fee a page shows is one this module collects.

A seat's fee is fixed when the seat is given (the draw, an accepted offer): `fee` and
`fee_due_at` on the request. `fee_paid` runs inside the payment's own transaction (see
portal.payments.services): a conditional UPDATE on the request decides, so a payment that lands
after the seat was freed (or cancelled) is refunded instead of reviving it.
"""

import datetime
import logging

from django.db import transaction
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from exams.models import ExamPlan, ExamRequest, Subject
from exams.services.common import ExamError, local_start
from portal import audit, citysettings
from portal.payments import selectors as payment_selectors
from portal.payments import services as payments

log = logging.getLogger(__name__)

PURPOSE = "exams.fee"


def fee_amount(city, subject: str):
    """The fee (yuan, Decimal) of one booking of a subject [LOCAL]; the safe-driving theory part
    is covered by the subject 3 fee. Charged only for an allocated seat (docs/rules.md §3)."""
    if str(subject) == Subject.SAFETY:
        return None
    return citysettings.get(
        city, {"1": "fee_exam_subject1", "2": "fee_exam_subject2", "3": "fee_exam_subject3"}[str(subject)]
    )


def fee_terms(plan: ExamPlan, now: datetime.datetime) -> tuple:
    """(fee, pay by) for a seat of this plan given now: exam_fee_pay_hours clock hours [LOCAL],
    never past the session's start; (None, None) for a subject without a fee."""
    fee = fee_amount(plan.city, plan.subject)
    if fee is None:
        return None, None
    hours = citysettings.get(plan.city, "exam_fee_pay_hours")
    return fee, min(now + datetime.timedelta(hours=hours), local_start(plan.date, plan.starts_at))


def fee_pay_start(req: ExamRequest, *, payer, request=None, now=None):
    """Send the candidate to the cashier for the fee of their allocated seat.

    Steps: check the seat still owes its fee and the time limit has not passed; an attempt still
    open at the cashier is reused (one order per visit, not one per click); else a new payment
    of the fixed fee under the booking's reference. Returns the Payment (redirect to cashier_url).
    """
    now = now or timezone.now()
    if not req.fee_owed:
        raise ExamError(_("This booking has no fee to pay."))
    if req.fee_due_at is not None and req.fee_due_at <= now:
        raise ExamError(_("The time to pay the fee of this booking has passed; the seat has been freed."))
    existing = payment_selectors.open_payment(req.payment_reference)
    if existing is not None and existing.cashier_url:
        return existing
    try:
        return payments.start_payment(
            purpose=PURPOSE,
            reference=req.payment_reference,
            city=req.city,
            payer=payer,
            amount=req.fee,
            description=f"{req.plan.get_subject_display()} {req.plan.date} {req.number}",
            return_path=reverse("exams:plans"),
            request=request,
        )
    except payments.PaymentError as exc:
        raise ExamError(str(exc)) from None


def fee_paid(payment) -> None:
    """portal.payments' on_paid for PURPOSE, inside the transaction that marks the payment paid.

    Must not raise for business reasons: a seat already freed, cancelled or taken is recorded
    and the payment refunded after commit.
    """
    try:
        pk = int(payment.reference.rsplit(":", 1)[1])
    except (IndexError, ValueError):
        log.error("exam fee payment %s has a malformed reference", payment.order_number)
        return
    now = timezone.now()
    kept = ExamRequest.objects.filter(
        pk=pk, status=ExamRequest.Status.ALLOCATED, fee__isnull=False, fee_paid_at__isnull=True
    ).update(fee_paid_at=now)
    if kept:
        req = ExamRequest.objects.get(pk=pk)
        audit.record(req, _("fee paid"), reload=False)
        return
    transaction.on_commit(lambda: _refund(payment, _("The exam seat was no longer held when the fee arrived")))


def fee_refund(req: ExamRequest, reason) -> bool:
    """Refund the paid fee of a booking (after commit of the caller's transaction); True if one
    was paid."""
    payment = payment_selectors.paid_payment(req.payment_reference)
    if payment is None:
        return False
    transaction.on_commit(lambda: _refund(payment, reason))
    return True


def fee_close_open(req: ExamRequest) -> None:
    """Close an attempt still open at the cashier, so a freed seat's fee can no longer be paid."""
    payment = payment_selectors.open_payment(req.payment_reference)
    if payment is not None:
        transaction.on_commit(lambda: _close(payment))


def _refund(payment, reason) -> None:
    try:
        payments.request_refund(payment, reason=str(reason))
    except payments.PaymentError as exc:
        # Stays paid and visible in the payments admin, where a clerk refunds it by hand.
        log.error("refund of exam fee order %s failed: %s", payment.order_number, exc)


def _close(payment) -> None:
    try:
        payments.cancel(payment)
    except Exception:  # the gateway is down: reconciliation closes it when its timeout passes
        log.exception("closing exam fee order %s failed", payment.order_number)
