"""Citizens' side: eligibility, submission (SMS-confirmed, one open case per item and vehicle or
licence), payment and withdrawal of an unpaid case. docs/rules.md §4.1-4.4."""

import datetime
import logging
from dataclasses import dataclass
from decimal import Decimal

from dateutil.relativedelta import relativedelta
from django.db import IntegrityError, transaction
from django.urls import NoReverseMatch, reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from certificates import rules, selectors
from certificates.models import LICENCE_ITEMS, MARK_ITEMS, Application, CaseEvent, Fee, Item
from certificates.services.common import CertificateError, add_event, new_case_number, notify_case, save_transition
from notices import inspection
from portal import audit, citysettings, identity, verification, workdays
from portal.models import City, DrivingLicence, Vehicle
from portal.payments import selectors as payment_selectors
from portal.payments import services as payments

log = logging.getLogger(__name__)

SMS_PURPOSE = "certificates.submit"
PAYMENT_PURPOSE = "certificates.fee"

# The reasons each item offers (the 12123 forms, docs/rules.md §4.1).
KINDS = {
    Item.PLATES: (Application.Kind.REPLACE, Application.Kind.EXCHANGE),
    Item.VEHICLE_LICENCE: (Application.Kind.REPLACE, Application.Kind.EXCHANGE),
    Item.REGISTRATION_CERT: (Application.Kind.REPLACE, Application.Kind.EXCHANGE),
    # Claiming the mark of an exempt car; a lost or damaged mark is its own item (§4.1).
    Item.INSPECTION_MARK: (Application.Kind.EXPIRY,),
    Item.MARK_REISSUE: (Application.Kind.REPLACE, Application.Kind.EXCHANGE),
    Item.LICENCE_RENEWAL: (Application.Kind.EXPIRY,),
    Item.LICENCE_REPLACEMENT: (Application.Kind.REPLACE, Application.Kind.EXCHANGE),
}
FEE_CODES = {
    Item.PLATES: Fee.Code.PLATES,
    Item.VEHICLE_LICENCE: Fee.Code.VEHICLE_LICENCE,
    Item.REGISTRATION_CERT: Fee.Code.REGISTRATION_CERT,
    Item.INSPECTION_MARK: Fee.Code.INSPECTION_MARK,
    Item.MARK_REISSUE: Fee.Code.INSPECTION_MARK,
    Item.LICENCE_RENEWAL: Fee.Code.DRIVING_LICENCE,
    Item.LICENCE_REPLACEMENT: Fee.Code.DRIVING_LICENCE,
}


@dataclass(frozen=True)
class Refusal:
    """Why an item is not open to someone now, and where to go instead."""

    message: str
    where: str = ""
    url: str = ""


def _url(name: str) -> str:
    try:
        return reverse(name)
    except NoReverseMatch:
        return ""


def _office(city) -> str:
    return _("the vehicle administration office of %(city)s") % {"city": city.display_name}


def _vehicle_refusals(item, vehicle: Vehicle, city, today) -> list[Refusal]:
    out = []
    if vehicle.status in (Vehicle.Status.NEW, Vehicle.Status.DEREGISTERED, Vehicle.Status.SCRAP):
        out.append(
            Refusal(
                _("Vehicle %(plate)s is %(status)s; no documents can be issued for it online.")
                % {"plate": vehicle, "status": vehicle.get_status_display()},
                _office(vehicle.city),
            )
        )
        return out
    if item not in MARK_ITEMS and vehicle.city_id != city.pk:
        # R-REG arts 51-57 (docs/rules.md §4.1): plates and documents come from the registration office.
        out.append(
            Refusal(
                _("Vehicle %(plate)s is registered in %(city)s: apply on that city's site.")
                % {"plate": vehicle, "city": vehicle.city.display_name},
                _office(vehicle.city),
            )
        )
    if item == Item.INSPECTION_MARK:
        out.extend(_mark_refusals(vehicle, today))
    elif item == Item.MARK_REISSUE:
        out.extend(_reissue_refusals(vehicle, today))
    return out


def _reissue_refusals(vehicle: Vehicle, today) -> list[Refusal]:
    """A lost or damaged mark is reissued while the inspection is valid and the compulsory
    insurance is valid (R-REG arts 51-57; docs/rules.md §4.1)."""
    until = vehicle.inspection_valid_until
    if until is None or vehicle.status == Vehicle.Status.OVERDUE_INSPECTION or until < today:
        return [
            Refusal(
                _("The inspection of %(plate)s has expired: take the car to be inspected.") % {"plate": vehicle},
                _("an inspection station"),
            )
        ]
    if selectors.valid_insurance(vehicle, today) is None:
        return [
            Refusal(
                _("No valid compulsory insurance (交强险) of %(plate)s is on record.") % {"plate": vehicle},
                _("your insurance company"),
            )
        ]
    return []


def _mark_refusals(vehicle: Vehicle, today) -> list[Refusal]:
    out = []
    until = vehicle.inspection_valid_until
    station = _("an inspection station")
    if until is None or vehicle.status == Vehicle.Status.OVERDUE_INSPECTION or until < today:
        return [
            Refusal(
                _("The inspection of %(plate)s has expired: take the car to be inspected.") % {"plate": vehicle},
                station,
            )
        ]
    exempt = inspection.claims_mark_online(
        kind=vehicle.kind,
        is_commercial=vehicle.is_commercial,
        is_van=vehicle.is_van,
        seats=vehicle.seats,
        registered_on=vehicle.registered_on,
        at=until,
    )
    if not exempt:
        out.append(
            Refusal(
                _("The inspection due on %(date)s is not inspection-exempt: %(plate)s must be inspected on site.")
                % {"date": until, "plate": vehicle},
                station,
            )
        )
    opens = rules.mark_window_opens(until)
    if today < opens:
        out.append(
            Refusal(
                _("The mark can be claimed from %(date)s (3 months before the validity ends on %(until)s).")
                % {"date": opens, "until": until}
            )
        )
    policy = selectors.valid_insurance(vehicle, today)
    if policy is None:
        out.append(
            Refusal(
                _("No valid compulsory insurance (交强险) of %(plate)s is on record.") % {"plate": vehicle},
                _("your insurance company"),
            )
        )
    unpaid = selectors.untaxed_years(vehicle, _tax_years(vehicle, until, policy, today))
    if unpaid:
        out.append(
            Refusal(
                _(
                    "The vehicle and vessel tax (车船税) of %(plate)s for %(years)s is not on record as paid or "
                    "exempt: it is paid with the compulsory insurance or at the tax office."
                )
                % {"plate": vehicle, "years": ", ".join(str(y) for y in unpaid)},
                _("your insurance company or the tax office"),
            )
        )
    if selectors.vehicle_has_unsettled_violations(vehicle):
        out.append(
            Refusal(
                _("%(plate)s has violations that are not settled yet: settle them first.") % {"plate": vehicle},
                _("the violations service of this site, or a traffic police unit"),
                _url("violations:start"),
            )
        )
    return out


def _tax_years(vehicle: Vehicle, until, policy, today) -> range:
    """The tax years the mark needs (车船税法 art 10: every year since the last inspection): from
    the year the current validity started (its end less one inspection cycle) to the year the
    compulsory insurance valid today was bought, with which the insurer collected that year's tax
    (车船税法 art 6); without a policy, to last year. docs/rules.md §4.1."""
    started = until - relativedelta(months=inspection.vehicle_cycle_months(vehicle, until))
    if vehicle.registered_on is not None:
        started = max(started, vehicle.registered_on)
    last = policy.valid_from.year if policy is not None else today.year - 1
    return range(started.year, last + 1)


def _licence_refusals(item, licence: DrivingLicence, city, today, id_number) -> list[Refusal]:
    office = _office(licence.city)
    if licence.status == DrivingLicence.Status.CANCELLED:
        return [
            Refusal(
                _("Your driving licence is cancelled; within 2 years it can be restored by passing subject 1."), office
            )
        ]
    if licence.status in (DrivingLicence.Status.SEIZED, DrivingLicence.Status.SUSPENDED):
        return [
            Refusal(
                _("Your driving licence is %(status)s: it cannot be renewed or replaced until that ends.")
                % {"status": licence.get_status_display()},
                _("the traffic police unit that holds it"),
            )
        ]
    out = []
    if item == Item.LICENCE_RENEWAL:
        if licence.valid_until is None:
            return [Refusal(_("Your driving licence is valid long-term; it needs no renewal."))]
        # An approved deferral moves the date renewal counts from (docs/rules.md §4.7).
        due = licence.renewal_due
        opens, closes = rules.renewal_window(due)
        if today < opens:
            out.append(
                Refusal(
                    _("Renewal opens on %(date)s, 90 days before your licence expires on %(until)s.")
                    % {"date": opens, "until": due}
                )
            )
        elif today > closes:
            out.append(
                Refusal(
                    _(
                        "Your licence expired on %(until)s, more than 11 months ago: renew it in person at the "
                        "issuing office before it is cancelled."
                    )
                    % {"until": due},
                    office,
                )
            )
        if selectors.newest_valid_medical(id_number, today, licence.licence_class) is None:
            out.append(
                Refusal(
                    _(
                        "No valid medical certificate (身体条件证明, under 6 months old, fit for %(cls)s) has been "
                        "uploaded for you: have the exam at an authorised institution, which uploads it here."
                    )
                    % {"cls": licence.licence_class},
                    _("an authorised medical institution"),
                    reverse("certificates:institutions"),
                )
            )
    return out


def refusals(item, user, city, *, vehicle=None, licence=None, today=None, check_open=True) -> list[Refusal]:
    """Every reason `user` may not apply for `item` for this vehicle or licence on `today`
    (`check_open=False`: without asking whether a case is already open, which the insertion's
    constraint decides anyway)."""
    today = today or timezone.localdate()
    # The account's stored look-up key (the cached session user carries it; the ID number is not cached).
    key = user.id_number_hash
    if item in LICENCE_ITEMS:
        if licence is None or licence.id_number_hash != key:
            return [Refusal(_("Choose one of your own driving licences."))]
        out = _licence_refusals(item, licence, city, today, user.id_number)
        subject = {"licence": licence}
    else:
        if vehicle is None or vehicle.owner_id_number_hash != key:
            return [Refusal(_("Choose one of your own vehicles."))]
        out = _vehicle_refusals(item, vehicle, city, today)
        subject = {"vehicle": vehicle}
    existing = selectors.open_application(item, **subject) if check_open else None
    if existing is not None:
        out.append(
            Refusal(
                _("Case %(number)s for this is still open: follow it in My cases.") % {"number": existing.number},
                url=reverse("certificates:case", args=[existing.number]),
            )
        )
    return out


def subjects(item, user):
    """The citizen's vehicles or licences an item could be for."""
    if item in LICENCE_ITEMS:
        return list(DrivingLicence.objects.held_by(user.id_number).select_related("city").order_by("-valid_from"))
    return list(
        Vehicle.objects.owned_by(user.id_number)
        .exclude(plate_number__isnull=True)
        .select_related("city")
        .order_by("registered_on", "id")
    )


def charges(item, *, delivery: str, temporary_plate_days: int = 0) -> tuple[Decimal, Decimal]:
    """(fee, postage) from the province's fee table."""
    table = selectors.fees()
    fee = Decimal(table.get(FEE_CODES[item], 0))
    if item == Item.PLATES and temporary_plate_days:
        fee += Decimal(table.get(Fee.Code.TEMPORARY_PLATE, 0))
    postage = Decimal(table.get(Fee.Code.POSTAGE, 0)) if delivery == Application.Delivery.POST else Decimal("0")
    return fee, postage


def time_limit_days(item) -> int:
    return rules.PLATES_WORKING_DAYS if item == Item.PLATES else rules.DOCUMENT_WORKING_DAYS


def takes_back_old(item, kind) -> bool:
    # docs/rules.md §4.4 (R-REG arts 51-57, R-DL arts 60-75): remaining old plates are taken back;
    # damaged documents are taken back; a renewed licence replaces the old card.
    if item == Item.PLATES or item == Item.LICENCE_RENEWAL:
        return True
    return kind == Application.Kind.EXCHANGE and item not in MARK_ITEMS


def send_code(user, ip=None) -> None:
    verification.send_code(user.mobile, SMS_PURPOSE, ip)


def _accept(application: Application, now, by=None) -> None:
    """The case enters the office's queue: its legal time limit starts (working days)."""
    application.status = Application.Status.UNDER_REVIEW
    application.accepted_at = now
    application.due_on = workdays.add_working_days(timezone.localtime(now).date(), time_limit_days(application.item))
    save_transition(application, ["status", "accepted_at", "due_on"], by, "accepted")
    add_event(application, CaseEvent.Kind.UNDER_REVIEW, at=now)
    notify_case(application, "under_review", due_on=application.due_on.isoformat())


def application_submit(
    *,
    user,
    city,
    item,
    code: str,
    vehicle=None,
    licence=None,
    kind: str,
    reason_text: str = "",
    temporary_plate_days: int = 0,
    delivery: str,
    cash_on_delivery: bool = False,
    recipient_name: str = "",
    recipient_phone: str = "",
    address: str = "",
    postcode: str = "",
) -> Application:
    """Submit an application. Steps: check eligibility (a CertificateError lists what is
    missing); check the SMS code; compute fee and postage from the fee table; insert the case
    (the partial unique constraints refuse a second open case for the same item and vehicle or
    licence, also under a race); a case with nothing to pay online enters the queue at once."""
    today = timezone.localdate()
    if kind not in KINDS[item]:
        raise CertificateError(_("Choose one of the listed reasons."))
    if item != Item.PLATES:
        temporary_plate_days = 0
    if not 0 <= temporary_plate_days <= rules.TEMPORARY_PLATE_MAX_DAYS:
        raise CertificateError(_("A temporary plate is issued for at most 15 days."))
    if delivery == Application.Delivery.POST:
        if not (recipient_name.strip() and address.strip()):
            raise CertificateError(_("Enter the recipient's name and full postal address."))
        try:
            recipient_phone = identity.validate_mobile(recipient_phone)
        except Exception as exc:
            raise CertificateError(getattr(exc, "messages", [str(exc)])[0]) from None
    else:
        cash_on_delivery = False
        recipient_name = recipient_phone = address = postcode = ""
    # Whether a case is already open is left to the partial unique constraints at the INSERT:
    # they decide under a race anyway, and asking first cost every submission a query.
    found = refusals(item, user, city, vehicle=vehicle, licence=licence, today=today, check_open=False)
    if found:
        raise CertificateError(found[0].message, found[0].where)
    medical = None
    if item == Item.LICENCE_RENEWAL:
        medical = selectors.newest_valid_medical(user.id_number, today, licence.licence_class)
    fee, postage = charges(item, delivery=delivery, temporary_plate_days=temporary_plate_days)
    now = timezone.now()
    fields = {
        "city": city,
        "item": item,
        "applicant": user,
        "id_number": identity.normalize_id_number(user.id_number),
        "vehicle": vehicle,
        "licence": licence,
        "kind": kind,
        "reason_text": reason_text.strip()[:200],
        "temporary_plate_days": temporary_plate_days,
        "medical": medical,
        "delivery": delivery,
        "cash_on_delivery": cash_on_delivery,
        "recipient_name": recipient_name.strip()[:64],
        "recipient_phone": recipient_phone,
        "address": address.strip()[:300],
        "postcode": (postcode or "").strip()[:6],
        "fee": fee,
        "postage": postage,
        "takes_back_old": takes_back_old(item, kind),
        "submitted_at": now,
    }
    refusal = None
    # The code is spent in the transaction that writes the case (one commit; a case refused by the
    # constraint leaves the code unspent). A wrong code's counted try still commits: its refusal
    # is raised only after the block, as portal.verification does.
    with transaction.atomic():
        try:
            verification.check_code(user.mobile, SMS_PURPOSE, code)
        except verification.VerificationError as exc:
            refusal = exc
        else:
            application = _insert(fields, user, now)
    if refusal is not None:
        raise refusal
    return application


def _insert(fields: dict, user, now) -> Application:
    """Write the case, its first step and notice, inside the caller's transaction. A refusal by a
    constraint aborts that transaction (so the SMS code stays unspent): no savepoint, whose two
    extra round trips every submission would pay for a clash that practically never happens."""
    application = Application(number=new_case_number(fields["city"]), **fields)
    try:
        audit.insert(application, "submitted", user, at=now)
    except IntegrityError as exc:
        if "cert_one_open_per" in str(exc):
            raise CertificateError(_("An application for this is already open: follow it in My cases.")) from None
        # A case-number clash (8 random digits per city and day).
        raise CertificateError(_("The application could not be saved; please try again.")) from None
    add_event(application, CaseEvent.Kind.SUBMITTED, by=user, at=now)
    notify_case(application, "submitted")
    if application.total == 0 or application.cash_on_delivery:
        _accept(application, now, user)
    return application


def application_pay(application: Application, request=None):
    """Send the applicant to the cashier (the same open attempt again if there is one)."""
    if application.status != Application.Status.SUBMITTED:
        raise CertificateError(_("This case has nothing left to pay."))
    existing = payment_selectors.open_payment(application.reference)
    if existing is not None and existing.cashier_url:
        return existing
    try:
        return payments.start_payment(
            purpose=PAYMENT_PURPOSE,
            reference=application.reference,
            city=application.city,
            payer=application.applicant,
            amount=application.total,
            description=f"{application.get_item_display()} {application.number}"[:200],
            return_path=reverse("certificates:case", args=[application.number]),
            request=request,
        )
    except payments.PaymentError as exc:
        raise CertificateError(str(exc)) from None


def application_paid(payment) -> None:
    """portal.payments on_paid: inside the payment's transaction; idempotent; never raises for
    business reasons (a case withdrawn meanwhile is refunded after commit)."""
    pk = int(payment.reference.rsplit(":", 1)[1])
    application = Application.objects.select_for_update().filter(pk=pk).select_related("applicant", "city").first()
    if application is None or application.status != Application.Status.SUBMITTED:
        log.warning("payment %s for a case that is not awaiting payment: refunding", payment.order_number)
        transaction.on_commit(lambda: _refund_quietly(payment, _("The case was no longer awaiting payment")))
        return
    now = timezone.now()
    add_event(application, CaseEvent.Kind.PAID, at=now, note=f"{payment.amount} {payment.order_number}")
    notify_case(application, "paid", amount=payment.amount)
    _accept(application, now)


def _refund_quietly(payment, reason) -> None:
    try:
        payments.request_refund(payment, reason=reason)
    except payments.PaymentError as exc:
        log.error("refund of %s failed: %s", payment.order_number, exc)


def application_withdraw(application: Application, user) -> None:
    """An unpaid case may be withdrawn by its applicant (nothing else can be changed)."""
    with transaction.atomic():
        locked = Application.objects.select_for_update().get(pk=application.pk)
        if locked.applicant_id != user.pk or locked.status != Application.Status.SUBMITTED:
            raise CertificateError(_("Only a case still awaiting payment can be withdrawn."))
        locked.status = Application.Status.CANCELLED
        locked.closed_at = timezone.now()
        save_transition(locked, ["status", "closed_at"], user, "withdrawn")
        add_event(locked, CaseEvent.Kind.CANCELLED, by=user)
    open_payment = payment_selectors.open_payment(application.reference)
    if open_payment is not None:
        payments.cancel(open_payment)
    application.refresh_from_db()


def pay_deadline(application: Application):
    """The last moment to pay a case: the end (24:00 Beijing time) of the Nth calendar day after
    the day of submission, N = certificate_pay_days [LOCAL] (docs/rules.md §4.2, §0)."""
    days = citysettings.get(application.city, "certificate_pay_days")
    last_day = timezone.localtime(application.submitted_at).date() + datetime.timedelta(days=days)
    return timezone.make_aware(datetime.datetime.combine(last_day + datetime.timedelta(days=1), datetime.time.min))


def applications_expire_unpaid(now=None) -> int:
    """Daily sweep: a case still awaiting payment after its pay deadline is cancelled, its open
    payment attempt cancelled at the gateway (a payment that still lands is refunded by
    application_paid), with a timeline step and a notice. Idempotent: a second run finds nothing."""
    now = now or timezone.now()
    today = timezone.localtime(now).date()
    expired = 0
    cities = (
        Application.objects.filter(status=Application.Status.SUBMITTED)
        .order_by()
        .values_list("city_id", flat=True)
        .distinct()
    )
    for city in City.objects.filter(pk__in=list(cities)):
        days = citysettings.get(city, "certificate_pay_days")
        # Submitted before the start of (today - days): its last day to pay was yesterday or earlier.
        cutoff = timezone.make_aware(
            datetime.datetime.combine(today - datetime.timedelta(days=days), datetime.time.min)
        )
        due = Application.objects.filter(city=city, status=Application.Status.SUBMITTED, submitted_at__lt=cutoff)
        for pk in due.values_list("pk", flat=True).iterator():
            with transaction.atomic():
                locked = (
                    Application.objects.select_for_update(skip_locked=True)
                    .select_related("applicant", "city")
                    .filter(pk=pk, status=Application.Status.SUBMITTED)
                    .first()
                )
                if locked is None:  # paid, withdrawn or being paid right now
                    continue
                locked.status = Application.Status.CANCELLED
                locked.closed_at = now
                save_transition(locked, ["status", "closed_at"], None, "expired unpaid")
                add_event(locked, CaseEvent.Kind.CANCELLED, at=now, note=str(_("not paid in time")))
                notify_case(locked, "expired", days=days)
            open_payment = payment_selectors.open_payment(locked.reference)
            if open_payment is not None:
                payments.cancel(open_payment)
            expired += 1
    return expired
