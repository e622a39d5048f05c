"""Recording violations (clerk entry, CSV batches), their notices and the daily sweeps
(docs/rules.md §5.2, R-PROC arts 19-20, 54)."""

import csv
import datetime
import io
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation

from django.db import transaction
from django.utils import timezone
from django.utils.dateparse import parse_datetime
from django.utils.translation import gettext as _

import notices
from portal import audit, workdays
from portal.models import Vehicle
from violations.models import Binding, Violation, ViolationCode
from violations.services.common import ViolationError

# R-PROC art 20: the owner is told within 5 working days of entry (docs/rules.md §5.2).
NOTIFY_WORKING_DAYS = 5
# R-PROC art 54: >= 5 records unhandled 30 days after entry bring the notice of proposed penalty.
PROPOSED_PENALTY_RECORDS = 5
PROPOSED_PENALTY_DAYS = 30


def violation_record(
    *, vehicle, code, occurred_at, place, fine=None, source=Violation.Source.CAMERA, by=None, entered_at=None
) -> Violation:
    """Enter one record on a vehicle. A camera record is notified to the owner and the drivers
    bound at the time of the violation at once (well inside R-PROC art 20's 5 working days)."""
    entered_at = entered_at or timezone.now()
    fine = code.fine_max if fine is None else Decimal(str(fine)).quantize(Decimal("0.01"))
    reasons = []
    if not vehicle.plate_number:
        reasons.append(_("The vehicle has no plate number."))
    if not code.is_active:
        reasons.append(_("Violation code %(code)s is no longer in use.") % {"code": code.code})
    if not (code.fine_min <= fine <= code.fine_max):
        reasons.append(
            _("The fine for code %(code)s must be between %(low)s and %(high)s yuan.")
            % {"code": code.code, "low": code.fine_min, "high": code.fine_max}
        )
    if occurred_at > entered_at:
        reasons.append(_("The violation cannot happen after it is entered."))
    if not (place or "").strip():
        reasons.append(_("Enter the place of the violation."))
    if reasons:
        raise ViolationError(reasons[0], reasons)
    with transaction.atomic():
        violation = Violation(
            city=vehicle.city,
            vehicle=vehicle,
            plate_number=vehicle.plate_number,
            code=code,
            occurred_at=occurred_at,
            place=place.strip()[:200],
            fine=fine,
            points=code.points,
            source=source,
            entered_at=entered_at,
            notify_by=workdays.add_working_days(timezone.localdate(entered_at), NOTIFY_WORKING_DAYS),
            entered_by=by if by is not None and by.pk else None,
        )
        if by is not None and by.pk:
            violation._history_user = by
        violation._change_reason = "entered"
        violation.save()
        if source == Violation.Source.CAMERA:
            violation_notify(violation)
    return violation


def _recipients(violation) -> list[str]:
    """The owner and every driver bound to the vehicle before the violation happened."""
    bound = Binding.objects.filter(
        vehicle_id=violation.vehicle_id, status=Binding.Status.ACTIVE, approved_at__lt=violation.occurred_at
    ).values_list("driver_id_number", flat=True)
    owner = Vehicle.objects.filter(pk=violation.vehicle_id).values_list("owner_id_number", flat=True).first()
    return [owner, *bound]


def violation_notify(violation) -> bool:
    """Write the R-PROC art 20 notice (web, SMS, push) once; True when this call wrote it."""
    won = Violation.objects.filter(pk=violation.pk, notified_at__isnull=True).update(notified_at=timezone.now())
    if not won:
        return False
    audit.record(violation, "notified")
    context = {
        "plate": violation.plate_number,
        "time": timezone.localtime(violation.occurred_at).strftime("%Y-%m-%d %H:%M"),
        "place": violation.place,
        "facts": violation.code.description,
        "fine": str(violation.fine),
        "points": violation.points,
        "handle_by": (timezone.localdate(violation.entered_at) + datetime.timedelta(days=30)).isoformat(),
    }
    for id_number in _recipients(violation):
        notices.notify(
            "violations.recorded",
            id_number=id_number,
            city=violation.city,
            context=context,
            dedupe_key=f"violations.recorded:{violation.pk}:{id_number}",
        )
    return True


def sweep_notify_due(limit: int = 5000) -> int:
    """Notify camera records not yet notified (a batch import, a lost transaction hook)."""
    done = 0
    pending = (
        Violation.objects.filter(notified_at__isnull=True, source=Violation.Source.CAMERA)
        .exclude(status=Violation.Status.DELETED)
        .select_related("code", "city")
        .order_by("notify_by")[:limit]
    )
    for violation in pending:
        with transaction.atomic():
            done += violation_notify(violation)
    return done


def sweep_proposed_penalty(today=None) -> int:
    """R-PROC art 54: a vehicle with >= 5 records still unhandled 30 days after entry gets the
    notice of proposed penalty, once per set of records (the newest record's id in the key)."""
    from django.db.models import Count, Max

    today = today or timezone.localdate()
    cutoff = timezone.make_aware(
        datetime.datetime.combine(today - datetime.timedelta(days=PROPOSED_PENALTY_DAYS), datetime.time.max)
    )
    rows = (
        Violation.objects.filter(status=Violation.Status.UNHANDLED, entered_at__lte=cutoff)
        .values("vehicle_id")
        .annotate(n=Count("id"), newest=Max("id"))
        .filter(n__gte=PROPOSED_PENALTY_RECORDS)
    )
    sent = 0
    for row in rows:
        vehicle = Vehicle.objects.select_related("city").get(pk=row["vehicle_id"])
        notice = notices.notify(
            "violations.proposed_penalty",
            id_number=vehicle.owner_id_number,
            city=vehicle.city,
            context={"plate": vehicle.plate_number or vehicle.vin, "count": row["n"]},
            dedupe_key=f"violations.proposed:{vehicle.pk}:{row['newest']}",
        )
        sent += notice is not None
    return sent


def violation_delete(violation, *, reason: str, by=None) -> bool:
    """Delete a record with its reason (R-PROC art 22); a decided or paid record cannot be."""
    reason = (reason or "").strip()
    if not reason:
        raise ViolationError(_("Give the reason for deleting the record."))
    with transaction.atomic():
        won = Violation.objects.filter(
            pk=violation.pk, status__in=[Violation.Status.UNHANDLED, Violation.Status.OBJECTED]
        ).update(status=Violation.Status.DELETED, deleted_reason=reason[:300])
        if not won:
            raise ViolationError(_("Only a record that is not handled yet can be deleted."))
        audit.record(violation, f"deleted: {reason[:80]}", by)
    return True


# --- CSV batches --------------------------------------------------------------------------
CSV_COLUMNS = ["plate_number", "code", "occurred_at", "place", "fine", "source"]


@dataclass
class ImportResult:
    created: list = field(default_factory=list)
    errors: list = field(default_factory=list)  # (line, reason)


def violations_import_csv(content: bytes, *, city, by=None) -> ImportResult:
    """Import a batch: every good row is kept (each in its own transaction), every bad row is
    reported with its line number and reason.

    Columns: plate_number, code, occurred_at (YYYY-MM-DD HH:MM[:SS], local time), place,
    fine (optional: the code's highest fine), source (camera/onsite, optional: camera).
    """
    result = ImportResult()
    try:
        text = content.decode("utf-8-sig")
    except UnicodeDecodeError:
        result.errors.append((1, _("The file is not UTF-8 text.")))
        return result
    if "\x00" in text:
        result.errors.append((1, _("The file contains NUL characters; it is not a CSV text file.")))
        return result
    reader = csv.DictReader(io.StringIO(text, newline=""))
    try:
        fieldnames = reader.fieldnames or []
    except csv.Error:
        fieldnames = []
    missing = [c for c in ("plate_number", "code", "occurred_at", "place") if c not in fieldnames]
    if missing:
        result.errors.append((1, _("Missing columns: %(columns)s.") % {"columns": ", ".join(missing)}))
        return result
    codes = {c.code: c for c in ViolationCode.objects.all()}
    while True:
        try:
            row = next(reader)
        except StopIteration:
            break
        except csv.Error as exc:
            result.errors.append((reader.line_num, _("Not a valid CSV line: %(error)s") % {"error": exc}))
            break
        line = reader.line_num
        try:
            violation = _import_row(row, city=city, codes=codes, by=by)
        except ViolationError as exc:
            result.errors.append((line, "; ".join(exc.reasons)))
        else:
            result.created.append(violation)
    return result


def _import_row(row, *, city, codes, by):
    plate = (row.get("plate_number") or "").strip().upper()
    vehicle = Vehicle.objects.filter(plate_number=plate, city=city).first() if plate else None
    if vehicle is None:
        raise ViolationError(_("No vehicle of this city has plate %(plate)s.") % {"plate": plate or "-"})
    code = codes.get((row.get("code") or "").strip())
    if code is None:
        raise ViolationError(_("Unknown violation code %(code)s.") % {"code": (row.get("code") or "").strip() or "-"})
    raw_time = (row.get("occurred_at") or "").strip()
    occurred = parse_datetime(raw_time) if raw_time else None
    if occurred is None:
        raise ViolationError(_("The time %(value)s is not YYYY-MM-DD HH:MM.") % {"value": raw_time or "-"})
    if timezone.is_naive(occurred):
        occurred = timezone.make_aware(occurred)
    fine = None
    if (row.get("fine") or "").strip():
        try:
            fine = Decimal(row["fine"].strip())
        except InvalidOperation:
            raise ViolationError(_("The fine %(value)s is not an amount.") % {"value": row["fine"]}) from None
        if not fine.is_finite():
            raise ViolationError(_("The fine %(value)s is not an amount.") % {"value": row["fine"]})
    source = (row.get("source") or "camera").strip() or "camera"
    if source not in Violation.Source.values:
        raise ViolationError(_("The source must be camera or onsite."))
    try:
        occurred.astimezone(datetime.UTC)
    except (OverflowError, ValueError):
        raise ViolationError(_("The time %(value)s is not possible.") % {"value": raw_time}) from None
    return violation_record(
        vehicle=vehicle, code=code, occurred_at=occurred, place=row.get("place") or "", fine=fine, source=source, by=by
    )
