"""Online handling of camera records, penalty decisions, fines and the late surcharge
(docs/rules.md §5.3 and §5.4).

One handling may take several records of one vehicle or of several: their points add up
(R-PTS art 14). Who wins when two tabs or two bound drivers handle the same record at once is
decided in PostgreSQL: the records are read under FOR UPDATE, and the claim is a conditional
UPDATE whose row count must match; the unique decision per record is the last defence.
"""

import datetime
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal

from django.db import transaction
from django.db.models import F, Subquery
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

import notices
from portal import audit, citysettings, identity, verification
from portal.middleware import city_by_id
from portal.models import DrivingLicence, User, Vehicle
from portal.models.registry import PlateType
from violations.models import Binding, Decision, Violation
from violations.selectors import code_by_id
from violations.services import watch
from violations.services.common import ViolationError

# The SMS code that confirms an online handling (docs/rules.md §5.3).
HANDLE_PURPOSE = "violations.handle"
# 行政处罚法 art 67: pay within 15 days of the decision; art 72: 3 % a day, capped at the fine.
PAY_DAYS = 15
SURCHARGE_RATE = Decimal("0.03")
# docs/rules.md §5.3: a non-owned car is handled online only when it is a small car.
SMALL_PLATE_TYPES = (PlateType.SMALL, PlateType.SMALL_NEV)
COUNTER = gettext_lazy(
    "Please go to the violation-handling counter of the traffic police (交警大队) with your ID card and licence."
)


def handler_licence(id_number: str):
    """The licence a handler's points go on: their newest one that is not cancelled."""
    return (
        DrivingLicence.objects.held_by(id_number)
        .exclude(status=DrivingLicence.Status.CANCELLED)
        .select_related("city")  # the city's points limit is read with it
        .order_by("-valid_from", "-id")
        .first()
    )


def _binding_by_key(vehicle, key: str):
    return Binding.objects.filter(vehicle=vehicle, driver_id_number_hash=key, status=Binding.Status.ACTIVE).first()


def record_refusals(violation, *, id_number: str = "", licence, binding=None, watched=None, key: str = "") -> list[str]:
    """Why this person may not handle this one record online (empty: they may). The points
    limit over a group of records is checked by group_refusals. The person is their ID number
    or, from a page that has no need to read and decrypt it, their look-up key
    (user.id_number_hash, cached with the session's user)."""
    key = key or identity.id_key(id_number)
    reasons = list(watched) if watched else []
    if violation.status != Violation.Status.UNHANDLED:
        reasons.append(
            _("This record is %(status)s: there is nothing to handle.") % {"status": violation.get_status_display()}
        )
        return reasons
    vehicle = violation.vehicle
    owner = vehicle.owner_id_number_hash == key
    if not owner and binding is None:
        binding = _binding_by_key(vehicle, key)
    code = violation.code
    return reasons + unhandled_refusals(
        owner=owner,
        binding=binding,
        plate_type=vehicle.plate_type,
        occurred_at=violation.occurred_at,
        source=violation.source,
        city_id=violation.city_id,
        fine=violation.fine,
        suspension=code.suspension,
        detention=code.detention,
        online_allowed=code.online_allowed,
        licence=licence,
    )


def unhandled_refusals(
    *, owner, binding, plate_type, occurred_at, source, city_id, fine, suspension, detention, online_allowed, licence
) -> list[str]:
    """record_refusals' rules for an unhandled record, from plain values: "my violations" reads
    its records as values (no model instances built for a few fields) and asks this directly.
    `owner`: the person owns the record's vehicle; else `binding` is their active binding of
    it (or None); `suspension`, `detention`, `online_allowed`: the violation code's."""
    reasons = []
    if not owner:
        if binding is None:
            reasons.append(_("Only the owner or a driver who has registered this vehicle may handle its records."))
            return reasons
        if plate_type not in SMALL_PLATE_TYPES:
            reasons.append(_("Records of a non-owned vehicle are handled online only for small cars. ") + str(COUNTER))
        if occurred_at <= binding.approved_at:
            reasons.append(
                _("This record happened before you registered the vehicle (%(date)s): only the owner may handle it.")
                % {"date": timezone.localtime(binding.approved_at).strftime("%Y-%m-%d %H:%M:%S")}
            )
    if source != Violation.Source.CAMERA:
        reasons.append(_("On-site tickets are not handled online. ") + str(COUNTER))
    limit = citysettings.get_by_id(city_id, "online_fine_limit")
    if fine > limit:
        reasons.append(
            _("The fine of %(fine)s yuan is above %(limit)s yuan, so the general procedure applies. ")
            % {"fine": fine, "limit": limit}
            + str(COUNTER)
        )
    if suspension or detention or not online_allowed:
        reasons.append(_("This violation may bring licence suspension or detention. ") + str(COUNTER))
    if licence is None:
        reasons.append(_("You have no driving licence on file, so points cannot be recorded. ") + str(COUNTER))
    elif licence.status != DrivingLicence.Status.NORMAL:
        reasons.append(
            _("Your licence is %(status)s, not in normal status. ") % {"status": licence.get_status_display()}
            + str(COUNTER)
        )
    return reasons


def group_refusals(violations, licence) -> list[str]:
    """R-PTS art 14: current points plus the points of every record handled now stay below 12."""
    if licence is None:
        return []
    new = sum(v.points for v in violations)
    limit = citysettings.get(licence.city, "online_points_limit")
    if licence.points + new >= limit:
        return [
            _(
                "You have %(current)s points this cycle; these records add %(new)s, which would reach %(limit)s. "
                "Handle fewer records, or go to the counter."
            )
            % {"current": licence.points, "new": new, "limit": limit}
            + " "
            + str(COUNTER)
        ]
    return []


# What a handling reads of its records: every column of the record (its history row is written
# from the locked copy), of the vehicle only what the rules and the watch list ask.
_LOCKED_FIELDS = (
    *(f.name for f in Violation._meta.concrete_fields),
    "vehicle__plate_number",
    "vehicle__plate_type",
    "vehicle__owner_id_number_hash",
    "vehicle__city",
)


def _records(ids, key: str, since):
    """The records to handle with what the checks ask of them, in id order. Each carries whether
    an open watch-list entry names the handler or its vehicle (`watch_listed`) and how many
    other drivers had decisions on its vehicle since `since` (`other_handlers`, for the watch
    list's check after the handling): two subqueries of this one read rather than statements
    of their own. The owner's encrypted ID number is not read (ownership is asked by its key),
    nor the record's City and code (portal.middleware.city_by_id, selectors.code_by_id: kept
    per process)."""
    return (
        Violation.objects.select_related("vehicle")
        .only(*_LOCKED_FIELDS)
        .annotate(watch_listed=watch.listed_with_record(key), other_handlers=watch.other_handlers(key, since))
        .filter(pk__in=ids)
        .order_by("pk")
    )


def _lock_records(ids, key: str, since):
    """_records, locked in id order (two handlers never deadlock)."""
    return list(_records(ids, key, since).select_for_update(of=("self",)))


def _with_cities(records, licence=None):
    """The records' codes, and the records', their vehicles' and the licence's City, from the
    per-process copies: the rules read the code's flags, the decisions and notices name the
    record's city, the watch list reads the vehicle's city's limits, the points limit is the
    licence's city's."""
    for record in records:
        record.code = code_by_id(record.code_id)
        record.city = city_by_id(record.city_id)
        record.vehicle.city = city_by_id(record.vehicle.city_id)
    if licence is not None:
        licence.city = city_by_id(licence.city_id)
    return records


def _claim(ids) -> int:
    """The decisive write: only records still unhandled move on; the row count must match."""
    return Violation.objects.filter(pk__in=ids, status=Violation.Status.UNHANDLED).update(
        status=Violation.Status.DECIDED
    )


def decision_number(city, violation_pk: int, day: datetime.date) -> str:
    # 行政处罚决定书编号: issuing division, date, and the record (one decision per record).
    return f"{city.division_code}{day:%Y%m%d}{violation_pk:010d}"


def violation_handle(violation_ids, *, user, online: bool = True, by=None, code: str | None = None) -> list[Decision]:
    """Handle records: a decision per record, the points on the handler's licence, a notice.

    online=True is the citizen's self-service (every rule of docs/rules.md §5.3 applies);
    online=False is a clerk deciding at the counter for the person (`user` is the person,
    `by` the clerk), where only the record's status matters and 12 points may be reached.

    code: the SMS code the citizen confirms with (HANDLE_PURPOSE, to user.mobile). It is checked
    under the handling's locks once every rule has passed, and spent in the transaction that
    writes the decisions (one commit instead of two; a refused handling leaves it unspent). A
    wrong code's counted try still commits: its VerificationError is raised after the block, as
    portal.verification does, and nothing is handled.

    Online, a record that is not the handler's to see (not of their own vehicle, nor of a
    vehicle bound to them after its binding date) is refused as one that does not exist: the
    refusals name each record's plate and time, which are not theirs to learn. The citizen's
    page posts only records it showed, so the page does not read them again before this call.
    """
    ids = sorted({int(i) for i in violation_ids})
    if not ids:
        raise ViolationError(_("Choose at least one record to handle."))
    # The account's look-up key, which the session's cached user carries (its ID number and
    # mobile are a query away, and the ID number a decryption): the licence, the watch list and
    # ownership are asked by key, and the ID number the decisions store is the locked licence's.
    key = user.id_number_hash or identity.id_key(user.id_number)
    now = timezone.now()
    wrong_code = None
    with transaction.atomic():
        # The handler's licence (handler_licence's choice), found and locked in one query, which
        # also reads the account's mobile for the code when the user object does not hold it.
        licence = (
            DrivingLicence.objects.filter(id_number_hash=key)
            .exclude(status=DrivingLicence.Status.CANCELLED)
            .order_by("-valid_from", "-id")
            .select_for_update(of=("self",))
        )
        if code is not None and "mobile" in user.get_deferred_fields():
            licence = licence.annotate(account_mobile=Subquery(User.objects.filter(pk=user.pk).values("mobile")))
        licence = licence.first()
        records = _with_cities(_lock_records(ids, key, watch.year_ago(now)), licence)
        if len(records) != len(ids):
            raise ViolationError(_("Some of these records do not exist."))
        reasons = []
        if online:
            bindings = _handler_bindings(records, key)
            # The entries themselves (their reasons) are read only when the records' lock found one.
            if any(r.watch_listed for r in records):
                watched = watch.watch_reasons(key=key, vehicle_ids=[r.vehicle_id for r in records])
            else:
                watched = []
            for record in records:
                refusals = record_refusals(
                    record,
                    key=key,
                    licence=licence,
                    binding=bindings.get(record.vehicle_id),
                    watched=watched,
                )
                reasons += [
                    f"{record.plate_number} {timezone.localtime(record.occurred_at):%Y-%m-%d %H:%M}: {r}"
                    for r in refusals
                ]
                watched = None  # said once
            reasons += group_refusals(records, licence)
        else:
            reasons += [
                _("This record is %(status)s: there is nothing to handle.") % {"status": r.get_status_display()}
                for r in records
                if r.status != Violation.Status.UNHANDLED
            ]
            if licence is None:
                reasons.append(_("The person has no driving licence on file."))
        if reasons:
            raise ViolationError(reasons[0], reasons)
        if code is not None:
            mobile = getattr(licence, "account_mobile", None) or user.mobile
            try:
                verification.check_code(mobile, HANDLE_PURPOSE, code)
            except verification.VerificationError as exc:
                wrong_code = exc
        if wrong_code is None:
            decisions = _decide(records, licence, user=user, online=online, by=by, now=now)
    if wrong_code is not None:
        raise wrong_code
    return decisions


def _handler_bindings(records, key) -> dict:
    """The handler's active bindings of the records' vehicles they do not own, by vehicle id;
    refuses, as not existing, a record they may not see (docs/rules.md §5.6: of a bound vehicle
    only the records after the binding date). One query, only when a vehicle is not theirs."""
    others = {r.vehicle_id for r in records if r.vehicle.owner_id_number_hash != key}
    if not others:
        return {}
    bindings = {
        b.vehicle_id: b
        for b in Binding.objects.filter(vehicle_id__in=others, driver_id_number_hash=key, status=Binding.Status.ACTIVE)
    }
    for record in records:
        if record.vehicle_id in others:
            binding = bindings.get(record.vehicle_id)
            if binding is None or record.occurred_at <= binding.approved_at:
                raise ViolationError(_("Some of these records do not exist."))
    return bindings


def _decide(records, licence, *, user, online, by, now) -> list[Decision]:
    """The writes of a handling whose checks passed, inside violation_handle's transaction and
    under its row locks on the licence and the records."""
    # The handler's ID number, as the locked licence (found by the account's key) holds it.
    id_number = licence.id_number
    who = by or (user if user.pk else None)
    today = timezone.localdate(now)
    ids = [r.pk for r in records]
    if _claim(ids) != len(ids):
        raise ViolationError(_("Some of these records were handled a moment ago."))
    total = sum(r.points for r in records)
    updated = DrivingLicence.objects.filter(pk=licence.pk)
    if online:
        limit = citysettings.get(licence.city, "online_points_limit")
        updated = updated.filter(points__lte=limit - 1 - total)
    if not updated.update(points=F("points") + total):
        raise ViolationError(_("Your points changed a moment ago; please look again."))
    # The licence row is locked since the start of the transaction: its new points are known
    # without reading it again (the history row below is written from this copy).
    licence.points += total
    decisions = []
    for record in records:
        decision = Decision(
            number=decision_number(record.city, record.pk, today),
            violation=record,
            city=record.city,
            licence=licence,
            handler_id_number=id_number,
            handler_name=user.real_name,
            decided_at=now,
            due_on=today + datetime.timedelta(days=PAY_DAYS),
            fine=record.fine,
            points=record.points,
            points_cycle_start=licence.cycle_start,
        )
        if record.fine == 0:  # a warning: nothing to pay
            decision.status, decision.paid_at, decision.paid_amount = Decision.Status.PAID, now, Decimal("0")
        decisions.append(decision)
        # Locked and claimed above: the status is the only column the handling changed, so the
        # history row is written from the locked copy rather than from a fresh read.
        record.status = Violation.Status.DECIDED
        if record.fine == 0:
            Violation.objects.filter(pk=record.pk).update(status=Violation.Status.PAID)
            record.status = Violation.Status.PAID
    # The decisions in one INSERT and their "created" history rows in another (simple-history's
    # bulk path, which portal.audit uses: the same rows its post_save signal writes), likewise
    # the records' history rows: two statements for any number of records, not two per record.
    Decision.objects.bulk_create(decisions)
    audit.record_objects(decisions, "", who, created=True, at=now)
    audit.record_objects(records, "handled online" if online else "decided at the counter", by or user, at=now)
    for record, decision in zip(records, decisions, strict=True):
        notices.notify(
            "violations.decided",
            id_number=id_number,
            city=record.city,
            context={
                "number": decision.number,
                "plate": record.plate_number,
                "fine": str(record.fine),
                "points": record.points,
                "due_on": decision.due_on.isoformat(),
            },
            dedupe_key=f"violations.decided:{decision.number}",
        )
    audit.record(licence, f"{total} points recorded", by or user, reload=False, at=now)
    if licence.points >= 12:
        _full_score(licence, by)
    watch.check_after_handling(id_number, user.real_name, records, now)
    return decisions


def _full_score(licence, by=None):
    """R-PTS art 17: 12 points hold the licence for full-score education, with a notice."""
    won = DrivingLicence.objects.filter(pk=licence.pk, status=DrivingLicence.Status.NORMAL).update(
        status=DrivingLicence.Status.FULL_SCORE
    )
    if won:
        audit.record(licence, "12 points reached: held", by)
        notices.notify(
            "violations.full_score",
            id_number=licence.id_number,
            city=licence.city,
            context={"points": licence.points},
            dedupe_key=f"violations.full_score:{licence.pk}:{licence.cycle_start.isoformat()}",
        )


# --- fines ------------------------------------------------------------------------------------
@dataclass(frozen=True)
class AmountDue:
    fine: Decimal
    surcharge: Decimal
    late_days: int
    on: datetime.date

    @property
    def total(self) -> Decimal:
        return self.fine + self.surcharge

    @property
    def capped(self) -> bool:
        return self.surcharge >= self.fine > 0


def amount_due(decision, on: datetime.date | None = None) -> AmountDue:
    """What paying a decision on a day costs (fine_due)."""
    return fine_due(decision.fine, decision.due_on, on)


def fine_due(fine: Decimal, due_on: datetime.date, on: datetime.date | None = None) -> AmountDue:
    """What paying a fine due on `due_on` costs on a day: the fine, plus 3 % of it per calendar
    day after the 15-day deadline, the surcharge never more than the fine (docs/rules.md §5.4).
    From plain values, for "my violations", which reads its decisions as values."""
    on = on or timezone.localdate()
    late = max(0, (on - due_on).days)
    surcharge = (fine * SURCHARGE_RATE * late).quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)
    return AmountDue(fine, min(surcharge, fine), late, on)


def payment_reference(decision, day: datetime.date) -> str:
    # One reference per decision and day: the amount is the day's, so a payment started on one
    # day and settled on another is refunded, never taken as the fine of a different amount.
    return f"violations.decision:{decision.pk}:{day.isoformat()}"


def decision_pay_start(decision, *, payer, request=None, return_path: str = ""):
    """Send the payer to the cashier for today's amount (reusing an open attempt of today)."""
    from portal.payments import selectors as pay_selectors
    from portal.payments import services as pay_services

    if decision.status != Decision.Status.UNPAID:
        raise ViolationError(_("This fine is already paid."))
    due = amount_due(decision)
    reference = payment_reference(decision, due.on)
    existing = pay_selectors.open_payment(reference)
    if existing is not None and existing.amount == due.total:
        return existing
    description = _("Decision %(number)s: fine %(fine)s yuan, late surcharge %(surcharge)s yuan") % {
        "number": decision.number,
        "fine": due.fine,
        "surcharge": due.surcharge,
    }
    return pay_services.start_payment(
        purpose="violations.fine",
        reference=reference,
        city=decision.city,
        amount=due.total,
        description=description[:200],
        payer=payer,
        return_path=return_path,
        request=request,
    )


def fine_paid(payment) -> None:
    """portal.payments' on_paid for "violations.fine", inside the transaction that marks the
    payment paid. It never raises for business reasons: a payment for a decision already paid,
    or of another day's amount, is refunded after commit and changes nothing."""
    try:
        _prefix, pk, day = payment.reference.split(":")
        decision_pk = int(pk)
    except ValueError:
        _refund_later(payment, "unknown reference")
        return
    decision = (
        Decision.objects.select_for_update(of=("self",)).select_related("violation").filter(pk=decision_pk).first()
    )
    if decision is None or decision.status != Decision.Status.UNPAID:
        _refund_later(payment, "decision already paid")
        return
    paid_on = timezone.localdate(payment.paid_at or timezone.now())
    due = amount_due(decision, paid_on)
    if day != paid_on.isoformat() or payment.amount != due.total:
        _refund_later(payment, "amount of another day")
        return
    won = Decision.objects.filter(pk=decision.pk, status=Decision.Status.UNPAID).update(
        status=Decision.Status.PAID,
        paid_at=payment.paid_at,
        paid_amount=payment.amount,
        surcharge_paid=due.surcharge,
        payment_order=payment.order_number,
    )
    if not won:
        _refund_later(payment, "decision already paid")
        return
    Violation.objects.filter(pk=decision.violation_id, status=Violation.Status.DECIDED).update(
        status=Violation.Status.PAID
    )
    audit.record(decision, f"paid {payment.order_number}", payment.payer)
    audit.record(decision.violation, "fine paid", payment.payer)
    notices.notify(
        "violations.paid",
        id_number=decision.handler_id_number,
        city=decision.city,
        context={"number": decision.number, "amount": str(payment.amount), "surcharge": str(due.surcharge)},
        dedupe_key=f"violations.paid:{decision.pk}",
    )


def _refund_later(payment, reason):
    from portal.payments import services as pay_services

    def refund():
        try:
            pay_services.request_refund(payment, reason=f"violations: {reason}")
        except pay_services.PaymentError:
            pass  # the reconciliation and the clerk's refund page see the payment

    transaction.on_commit(refund)


def vehicles_of(id_number: str):
    return Vehicle.objects.owned_by(id_number)
