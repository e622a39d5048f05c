"""Clerks' side: approve, reject (fees refunded), mark produced (the registry gets the new
validity, electronic documents are issued), hand over at the counter, the daily mail-out, and
the carrier's events. docs/rules.md §4.1-4.4."""

import logging

from dateutil.relativedelta import relativedelta
from django.db import transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _

from certificates import rules
from certificates.models import MARK_ITEMS, Application, CaseEvent, Item
from certificates.services.common import CertificateError, add_event, notify_case, save_transition
from certificates.services.documents import document_issue, documents_void_for
from notices import inspection
from portal.models import DrivingLicence, Vehicle
from portal.payments import selectors as payment_selectors
from portal.payments import services as payments
from portal.postal import services as postal

log = logging.getLogger(__name__)

MAIL_PURPOSE = "certificates.mailout"


def _locked(application, *statuses) -> Application:
    locked = Application.objects.select_for_update().select_related("applicant", "city").get(pk=application.pk)
    if locked.status not in statuses:
        raise CertificateError(
            _("Case %(number)s is %(status)s; that cannot be done now.")
            % {"number": locked.number, "status": locked.get_status_display()}
        )
    return locked


def application_approve(application: Application, by) -> Application:
    with transaction.atomic():
        locked = _locked(application, Application.Status.UNDER_REVIEW)
        locked.status = Application.Status.APPROVED
        locked.decided_at = timezone.now()
        save_transition(locked, ["status", "decided_at"], by, "approved")
        add_event(locked, CaseEvent.Kind.APPROVED, by=by)
        notify_case(locked, "approved")
    return locked


def application_reject(application: Application, by, reason: str) -> Application:
    """Reject with a reason the citizen reads; what was paid online is refunded in full."""
    reason = (reason or "").strip()
    if not reason:
        raise CertificateError(_("Give the reason for the rejection: the applicant reads it."))
    with transaction.atomic():
        locked = _locked(application, Application.Status.UNDER_REVIEW, Application.Status.SUBMITTED)
        now = timezone.now()
        locked.status = Application.Status.REJECTED
        locked.decided_at = locked.closed_at = now
        locked.rejection_reason = reason[:300]
        save_transition(locked, ["status", "decided_at", "closed_at", "rejection_reason"], by, "rejected")
        add_event(locked, CaseEvent.Kind.REJECTED, by=by, note=reason)
        notify_case(locked, "rejected", reason=reason)
    paid = payment_selectors.paid_payment(locked.reference)
    if paid is not None and paid.refundable_amount > 0:
        try:
            refund = payments.request_refund(paid, reason=_("Application %(n)s rejected") % {"n": locked.number}, by=by)
        except payments.PaymentError as exc:
            add_event(locked, CaseEvent.Kind.REFUNDED, by=by, note=_("refund failed: %(e)s") % {"e": exc})
            raise CertificateError(
                _("The case is rejected but the refund failed: %(e)s. Try the refund from the payment.") % {"e": exc}
            ) from None
        add_event(locked, CaseEvent.Kind.REFUNDED, by=by, note=f"{refund.amount} {refund.refund_number}")
        notify_case(locked, "refunded", amount=refund.amount)
    open_payment = payment_selectors.open_payment(locked.reference)
    if open_payment is not None:
        payments.cancel(open_payment)
    return locked


def _reached_full_score(licence: DrivingLicence) -> bool:
    """Whether the holder reached 12 points in any cycle during this licence's validity (R-DL art
    13), from the registry row's history."""
    if licence.points >= 12 or licence.status == DrivingLicence.Status.FULL_SCORE:
        return True
    return (
        DrivingLicence.history.filter(id=licence.pk, history_date__date__gte=licence.valid_from)
        .filter(Q(points__gte=12) | Q(status=DrivingLicence.Status.FULL_SCORE))
        .exists()
    )


def _renew_licence(application: Application, by) -> DrivingLicence:
    licence = DrivingLicence.objects.select_for_update().get(pk=application.licence_id)
    old_from, old_until = licence.valid_from, licence.valid_until
    years = rules.next_validity_years(rules.validity_years(old_from, old_until), _reached_full_score(licence))
    # The new period runs on from the old one's end, so renewing early loses no days.
    licence.valid_from = old_until
    licence.valid_until = None if years is None else old_until + relativedelta(years=years)
    if licence.status == DrivingLicence.Status.OVERDUE:
        licence.status = DrivingLicence.Status.NORMAL
    # A renewal deferral ends with the renewal (docs/rules.md §4.7).
    licence.renewal_deferred_until = None
    licence._history_user = by
    licence._change_reason = f"renewed: case {application.number}"
    licence.save(update_fields=["valid_from", "valid_until", "status", "renewal_deferred_until"])
    return licence


def _extend_inspection(application: Application, by) -> Vehicle:
    vehicle = Vehicle.objects.select_for_update().get(pk=application.vehicle_id)
    if application.kind == Application.Kind.EXPIRY:
        old = vehicle.inspection_valid_until
        vehicle.inspection_valid_until = old + relativedelta(months=inspection.vehicle_cycle_months(vehicle, old))
        vehicle._history_user = by
        vehicle._change_reason = f"inspection mark: case {application.number}"
        vehicle.save(update_fields=["inspection_valid_until"])
    return vehicle


def application_produce(application: Application, by) -> Application:
    """The document is made: a renewal or a claimed mark changes the registry, electronic
    documents are issued (and replace earlier ones), replaced documents become void."""
    with transaction.atomic():
        locked = _locked(application, Application.Status.APPROVED)
        if locked.item == Item.LICENCE_RENEWAL:
            document_issue(locked, licence=_renew_licence(locked, by))
        elif locked.item == Item.LICENCE_REPLACEMENT:
            licence = DrivingLicence.objects.get(pk=locked.licence_id)
            documents_void_for(licence=licence)
            document_issue(locked, licence=licence)
        elif locked.item in MARK_ITEMS:
            # A claimed mark extends the validity; a reissued one keeps it and voids the old.
            document_issue(locked, vehicle=_extend_inspection(locked, by))
        locked.status = Application.Status.PRODUCED
        save_transition(locked, ["status"], by, "produced")
        add_event(locked, CaseEvent.Kind.PRODUCED, by=by)
        notify_case(locked, "produced")
    return locked


def application_collected(application: Application, by) -> Application:
    """Handed over at the counter (delivery "collect"); the old document is taken back there."""
    with transaction.atomic():
        locked = _locked(application, Application.Status.PRODUCED)
        if locked.delivery != Application.Delivery.COLLECT:
            raise CertificateError(_("This case is sent by post; use the mail-out list."))
        _close(locked, by, CaseEvent.Kind.COLLECTED)
    return locked


def _close(application: Application, by, kind: str | None = None, note: str = "") -> None:
    now = timezone.now()
    if kind:
        add_event(application, kind, by=by, note=note, at=now)
    application.status = Application.Status.CLOSED
    application.closed_at = now
    save_transition(application, ["status", "closed_at"], by, kind or "closed")
    add_event(application, CaseEvent.Kind.CLOSED, by=by, at=now)
    notify_case(application, "closed")


def _contents(application: Application) -> str:
    return str(application.get_item_display())[:200]


def mailout_create(applications, by) -> tuple[list[Application], list[str]]:
    """Book a shipment with the carrier for each produced case to post (the day's mail-out).
    Each case in its own transaction, so one bad address does not stop the rest; returns the
    cases mailed and the messages of those that could not be."""
    mailed, problems = [], []
    for application in applications:
        try:
            with transaction.atomic():
                locked = _locked(application, Application.Status.PRODUCED)
                if locked.delivery != Application.Delivery.POST:
                    raise CertificateError(_("Case %(n)s is collected at the office.") % {"n": locked.number})
                shipment = postal.create_shipment(
                    city=locked.city,
                    purpose=MAIL_PURPOSE,
                    reference=locked.reference,
                    recipient_name=locked.recipient_name,
                    recipient_phone=locked.recipient_phone,
                    address=locked.address,
                    postcode=locked.postcode,
                    contents=_contents(locked),
                    cod_amount=locked.total if locked.cash_on_delivery else 0,
                    take_back_old_document=locked.takes_back_old,
                )
                locked.status = Application.Status.MAILED
                save_transition(locked, ["status"], by, "mailed")
                add_event(locked, CaseEvent.Kind.MAILED, by=by, note=shipment.tracking_number)
                notify_case(locked, "mailed", tracking=shipment.tracking_number, seq=locked.returned_count)
        except (CertificateError, postal.PostalError) as exc:
            problems.append(f"{application.number}: {exc}")
        else:
            mailed.append(locked)
    return mailed, problems


def mail_status_changed(shipment, old_status, new_status) -> None:
    """portal.postal status callback, inside the transaction that records the carrier event."""
    pk = int(shipment.reference.rsplit(":", 1)[1])
    application = Application.objects.select_for_update().select_related("applicant", "city").filter(pk=pk).first()
    if application is None:
        log.warning("carrier event for a shipment of no case")
        return
    label = shipment.get_status_display()
    add_event(application, CaseEvent.Kind.CARRIER, note=f"{shipment.tracking_number} {label}")
    if application.status != Application.Status.MAILED:
        return  # an event of an earlier shipment of this case
    if new_status == "delivered":
        add_event(application, CaseEvent.Kind.DELIVERED, note=shipment.tracking_number)
        notify_case(application, "delivered", tracking=shipment.tracking_number)
        if application.takes_back_old:
            add_event(application, CaseEvent.Kind.TAKEN_BACK, note=shipment.tracking_number)
        _close(application, None)
    elif new_status == "returned":
        # Back to the mail-out list; the office contacts the citizen before posting again.
        application.status = Application.Status.PRODUCED
        application.returned_count += 1
        save_transition(application, ["status", "returned_count"], None, "returned")
        add_event(application, CaseEvent.Kind.RETURNED, note=shipment.tracking_number)
        notify_case(application, "returned", tracking=shipment.tracking_number, seq=application.returned_count)
