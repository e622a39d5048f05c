"""Every rule and every write of inspection booking (车检预约, docs/rules.md §6.4).

Whether a vehicle needs an on-site inspection comes from the cycle rules of docs/rules.md §6.1
(`notices.inspection`, the pure module the reminders use, so the page and the reminders agree).
A slot is never over-booked: its counter moves only by a conditional UPDATE
(`booked < capacity`) whose row count decides, inside the booking's transaction, with a check
constraint behind it; a vehicle has one active booking (partial unique constraint). A passed
inspection renews the registry's validity through portal's registry service, which is what stops
the overdue reminders of the notices sweep.
"""

import contextlib
import datetime
from dataclasses import dataclass

from dateutil.relativedelta import relativedelta
from django.db import IntegrityError, connection, transaction
from django.db.models import F
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from simple_history.utils import bulk_create_with_history

import notices
from exams import sql
from exams.models import InspectionBooking, InspectionSlot, InspectionStation
from exams.services.common import ExamError
from notices import inspection as cycles
from portal import citysettings, identity, idfields, registry, workdays
from portal.models import Vehicle
from violations import selectors as violation_selectors

# R-REG art 54 (docs/rules.md §6.1): the owner may apply within 3 months before the validity ends.
WINDOW_MONTHS = 3
# Slots are generated at most this far in one go (a quarter), so a typo cannot create years of rows.
GENERATE_MAX_DAYS = 92


class InspectionError(ExamError):
    """A refusal with a message for the page."""


class State:
    BOOK = "book"  # an on-site inspection is due: the vehicle may book
    CLAIM_ONLINE = "claim_online"  # inspection-exempt this time: claim the mark online
    NOT_DUE = "not_due"  # the 3-month window has not opened
    NOT_INSPECTABLE = "not_inspectable"  # not registered, scrapped or deregistered


@dataclass(frozen=True)
class VehicleState:
    code: str
    message: str
    due_on: datetime.date | None = None
    window_opens: datetime.date | None = None
    overdue: bool = False
    unsettled: bool = False
    claim_url: str = ""

    @property
    def may_book(self) -> bool:
        return self.code == State.BOOK


def window_opens(due_on: datetime.date) -> datetime.date:
    return due_on - relativedelta(months=WINDOW_MONTHS)


def _claims_online(vehicle: Vehicle, due_on: datetime.date) -> bool:
    return cycles.claims_mark_online(
        kind=vehicle.kind,
        is_commercial=vehicle.is_commercial,
        is_van=vehicle.is_van,
        seats=vehicle.seats,
        registered_on=vehicle.registered_on,
        at=due_on,
    )


def vehicle_state(vehicle: Vehicle, today: datetime.date | None = None, *, violations: bool = True) -> VehicleState:
    """What the vehicle's next inspection asks of its owner today (docs/rules.md §6.4).

    violations=False leaves out the unsettled-violations question (`unsettled` is False): the
    booking path does not depend on it (docs/rules.md §6.4), and it runs under a rush.
    """
    today = today or timezone.localdate()
    unsettled = violations and violation_selectors.vehicle_has_unsettled(vehicle)
    if vehicle.status not in (Vehicle.Status.NORMAL, Vehicle.Status.OVERDUE_INSPECTION) or not vehicle.plate_number:
        return VehicleState(
            State.NOT_INSPECTABLE,
            _("%(plate)s is not a registered vehicle in use: it cannot be booked for inspection.") % {"plate": vehicle},
            unsettled=unsettled,
        )
    due = vehicle.inspection_valid_until
    if due is None:
        return VehicleState(
            State.BOOK, _("No inspection validity is on record: book an on-site inspection."), unsettled=unsettled
        )
    overdue = due < today or vehicle.status == Vehicle.Status.OVERDUE_INSPECTION
    opens = window_opens(due)
    if not overdue and _claims_online(vehicle, due):
        return VehicleState(
            State.CLAIM_ONLINE,
            _(
                "The inspection due on %(date)s needs no on-site test (2022 reform, years 2, 4 and 8): "
                "claim the inspection mark online instead."
            )
            % {"date": due},
            due_on=due,
            window_opens=opens,
            unsettled=unsettled,
            claim_url=reverse("certificates:choose", args=["inspection-mark"]),
        )
    if today < opens:
        return VehicleState(
            State.NOT_DUE,
            _("Not due yet: the inspection valid until %(date)s may be booked from %(opens)s (3 months before).")
            % {"date": due, "opens": opens},
            due_on=due,
            window_opens=opens,
            unsettled=unsettled,
        )
    if overdue:
        message = _("The inspection expired on %(date)s: book an on-site inspection now.") % {"date": due}
    else:
        message = _("An on-site inspection is due by %(date)s.") % {"date": due}
    return VehicleState(State.BOOK, message, due_on=due, window_opens=opens, overdue=overdue, unsettled=unsettled)


def vehicle_unsettled(vehicle) -> bool:
    return violation_selectors.vehicle_has_unsettled(vehicle)


def unsettled_message(vehicle) -> str:
    return _(
        "%(plate)s has violations that are not settled. You may book and be inspected, but the inspection "
        "mark is issued only once they are settled (R-REG art 54)."
    ) % {"plate": vehicle}


# --- Slots --------------------------------------------------------------------------------------
def slot_start(slot: InspectionSlot) -> datetime.datetime:
    return timezone.make_aware(datetime.datetime.combine(slot.date, slot.starts_at))


def change_deadline(slot: InspectionSlot) -> datetime.datetime:
    """Until when a booking of this slot may be moved or cancelled online (docs/rules.md §6.4)."""
    hours = citysettings.get(slot.city, "inspection_change_hours_before")
    return slot_start(slot) - datetime.timedelta(hours=hours)


def template_times(station: InspectionStation) -> list[tuple[datetime.time, datetime.time]]:
    """The (start, end) of each slot of a station's day: its hours cut into slot_minutes, the
    midday break left out."""
    day = datetime.date(2000, 1, 1)
    at = datetime.datetime.combine(day, station.opens_at)
    close = datetime.datetime.combine(day, station.closes_at)
    step = datetime.timedelta(minutes=station.slot_minutes)
    out = []
    while at + step <= close:
        start, end = at.time(), (at + step).time()
        in_break = (
            station.break_from is not None
            and station.break_until is not None
            and start < station.break_until
            and end > station.break_from
        )
        if not in_break:
            out.append((start, end))
        at += step
    return out


def slots_generate(
    station: InspectionStation, first: datetime.date, last: datetime.date, *, working_days_only: bool = True
) -> list[InspectionSlot]:
    """Create the station's template slots for every (working) day from first to last; days
    and times that already have a slot are left as they are. Returns the new slots."""
    if last < first:
        raise InspectionError(_("The last day is before the first day."))
    if (last - first).days >= GENERATE_MAX_DAYS:
        raise InspectionError(_("Generate at most %(n)s days at a time.") % {"n": GENERATE_MAX_DAYS})
    times = template_times(station)
    if not times:
        raise InspectionError(_("The station's hours hold no whole slot."))
    existing = set(
        InspectionSlot.objects.filter(station=station, date__range=(first, last)).values_list("date", "starts_at")
    )
    new = []
    day = first
    while day <= last:
        if not working_days_only or workdays.is_working_day(day):
            for start, end in times:
                if (day, start) not in existing:
                    new.append(
                        InspectionSlot(
                            city_id=station.city_id,
                            station=station,
                            date=day,
                            starts_at=start,
                            ends_at=end,
                            capacity=station.slot_capacity,
                        )
                    )
        day += datetime.timedelta(days=1)
    with transaction.atomic():
        return bulk_create_with_history(new, InspectionSlot, default_change_reason="generated from the template")


def open_slots(city, vehicle: Vehicle, *, station=None, first=None, days: int = 14, now=None):
    """Slots a vehicle may book: stations that test its kind, not started, with room."""
    now = now or timezone.now()
    first = max(first or timezone.localdate(now), timezone.localdate(now))
    qs = (
        InspectionSlot.objects.filter(
            city=city,
            station__is_active=True,
            station__vehicle_kinds__contains=[vehicle.kind],
            date__gte=first,
            date__lt=first + datetime.timedelta(days=days),
            booked__lt=F("capacity"),
        )
        .select_related("station")
        .order_by("date", "starts_at", "station__name")
    )
    if station is not None:
        qs = qs.filter(station=station)
    return [s for s in qs[:500] if slot_start(s) > now]


def _slot_refusal(slot: InspectionSlot, vehicle: Vehicle, now) -> str | None:
    if not slot.station.is_active or not slot.station.tests_kind(vehicle.kind):
        return _("%(station)s does not inspect this kind of vehicle.") % {"station": slot.station}
    if slot_start(slot) <= now:
        return _("This slot has already begun or passed: choose a later one.")
    return None


def _take(slot_id: int) -> bool:
    """The guard: one seat of the slot, only while booked < capacity; the row count decides."""
    return bool(InspectionSlot.objects.filter(pk=slot_id, booked__lt=F("capacity")).update(booked=F("booked") + 1))


def _release(slot_id: int) -> None:
    InspectionSlot.objects.filter(pk=slot_id, booked__gt=0).update(booked=F("booked") - 1)


def _context(booking: InspectionBooking, slot: InspectionSlot | None = None) -> dict:
    slot = slot or booking.slot
    return {
        "number": booking.number,
        "plate": str(booking.vehicle),
        "station": slot.station.name,
        "address": slot.station.address,
        "date": slot.date.isoformat(),
        "session": slot.session,
    }


def _slot_id(slot_id) -> int:
    """The typed slot id, 0 for anything that cannot be one."""
    try:
        slot_id = int(str(slot_id).strip())
    except (TypeError, ValueError):
        return 0
    return slot_id if 0 < slot_id < 2**63 else 0


def _slot(city, slot_id) -> InspectionSlot:
    slot_id = _slot_id(slot_id)
    slot = None
    if slot_id:
        slot = InspectionSlot.objects.select_related("station", "city").filter(pk=slot_id, city=city).first()
    if slot is None:
        raise InspectionError(_("Choose one of the slots offered."))
    return slot


def _vehicle_and_slot(city, vehicle_id: int, id_key: str, slot_id: int) -> tuple[Vehicle, InspectionSlot | None]:
    """The booker's own vehicle in this city, the slot (None: not one of this city's) and the
    booking's id (`vehicle.next_booking_id`), in one query (exams/sql.py)."""
    vehicle = sql.booking_vehicle_and_slot(city_id=city.pk, vehicle_id=vehicle_id, id_key=id_key, slot_id=slot_id)
    if vehicle is None:
        raise Vehicle.DoesNotExist
    if vehicle.slot_id is None:
        return vehicle, None
    station = InspectionStation(
        id=vehicle.station_id,
        city=city,
        name=vehicle.station_name,
        address=vehicle.station_address,
        is_active=vehicle.station_is_active,
        vehicle_kinds=vehicle.station_vehicle_kinds,
    )
    slot = InspectionSlot(
        id=vehicle.slot_id,
        city=city,
        station=station,
        date=vehicle.slot_date,
        starts_at=vehicle.slot_starts_at,
        ends_at=vehicle.slot_ends_at,
        capacity=vehicle.slot_capacity,
        booked=vehicle.slot_booked,
    )
    return vehicle, slot


# --- Bookings -----------------------------------------------------------------------------------
def booking_create(
    *, city, vehicle_id: int, slot_id, id_number: str | None = None, user=None, now=None
) -> InspectionBooking:
    """Book a slot for one's own vehicle (Vehicle.DoesNotExist: not theirs in this city).

    The booker is `id_number`, or else `user` (online: the session's user comes from the cache
    without the ID number, and its look-up key is enough; the booking stores the ID number of
    the vehicle's owner, who is the booker). `user` is who the history row names.

    Steps: the vehicle, the slot and the booking's id in one read; the vehicle's state must be
    "book" (on-site inspection due); the station must test its kind and the slot must not have
    begun; then one statement takes a place by the conditional UPDATE and inserts the booking,
    its history row and its notice (exams/sql.py; the partial unique constraint refuses a second
    active booking, undoing the place). One statement is atomic by itself: no transaction
    around it (inside a caller's transaction, a savepoint keeps that usable after a refusal).
    """
    now = now or timezone.now()
    key = identity.id_key(id_number) if id_number is not None else user.id_number_hash
    wanted = _slot_id(slot_id)
    vehicle, slot = _vehicle_and_slot(city, vehicle_id, key, wanted)
    state = vehicle_state(vehicle, timezone.localdate(now), violations=False)
    if not state.may_book:
        raise InspectionError(state.message)
    if slot is None:
        raise InspectionError(_("Choose one of the slots offered."))
    refusal = _slot_refusal(slot, vehicle, now)
    if refusal:
        raise InspectionError(refusal)
    owner = identity.normalize_id_number(vehicle.owner_id_number)  # the same key: the booker's number
    booking = InspectionBooking(
        id=vehicle.next_booking_id,
        city=city,
        slot=slot,
        vehicle=vehicle,
        id_number=owner,
        id_number_hash=key,
        due_on=vehicle.inspection_valid_until,
    )
    params = notices.notify_within(
        "exams.inspection_booked",
        id_number=owner,
        city=city,
        context=_context(booking, slot),
        dedupe_key=f"exams.inspection_booked.{booking.pk}",
    )
    params |= {
        "id": booking.pk,
        "slot": slot.pk,
        "city": city.pk,
        "vehicle": vehicle.pk,
        "id_number": idfields.encrypt_id(owner),
        "id_number_hash": key,
        "due_on": vehicle.inspection_valid_until,
        "now": now,
        "history_date": now,
        "history_user": getattr(user, "pk", None),
        "history_reason": "booked online",
    }
    try:
        savepoint = transaction.atomic() if connection.in_atomic_block else contextlib.nullcontext()
        with savepoint, connection.cursor() as cursor:
            cursor.execute(sql.booking_insert_sql(), params)
            row = cursor.fetchone()
    except IntegrityError:
        raise InspectionError(
            _("%(plate)s already has an active inspection booking: move or cancel it.") % {"plate": vehicle}
        ) from None
    if row is None:
        raise InspectionError(_("This slot is full: choose another one."))
    notices.notified()
    booking.created_at, booking.changed_at = row[1], row[2]
    booking._state.adding, booking._state.db = False, "default"
    return booking


def _locked_own_booking(city, booking_id: int, id_number: str) -> InspectionBooking:
    booking = (
        InspectionBooking.objects.select_for_update(of=("self",))
        .select_related("slot__station", "slot__city", "vehicle")
        .filter(pk=booking_id, city=city, id_number_hash=identity.id_key(id_number))
        .first()
    )
    if booking is None:
        raise InspectionBooking.DoesNotExist
    return booking


def _changeable(booking: InspectionBooking, now) -> None:
    if booking.status != InspectionBooking.Status.BOOKED:
        raise InspectionError(_("This booking is no longer active."))
    deadline = change_deadline(booking.slot)
    if now >= deadline:
        raise InspectionError(
            _("Bookings can be moved or cancelled online until %(deadline)s; after that, call the station.")
            % {"deadline": timezone.localtime(deadline).strftime("%Y-%m-%d %H:%M")}
        )


def booking_move(*, city, booking_id: int, slot_id, id_number: str, now=None) -> InspectionBooking:
    """Move an active booking to another slot, before the change deadline of its current slot."""
    now = now or timezone.now()
    with transaction.atomic():
        booking = _locked_own_booking(city, booking_id, id_number)
        _changeable(booking, now)
        old = booking.slot
        new = _slot(city, slot_id)
        if new.pk == old.pk:
            raise InspectionError(_("That is the slot you already have."))
        refusal = _slot_refusal(new, booking.vehicle, now)
        if refusal:
            raise InspectionError(refusal)
        # Both slot rows are written in id order, so two opposite moves cannot deadlock.
        if new.pk < old.pk:
            if not _take(new.pk):
                raise InspectionError(_("This slot is full: choose another one."))
            _release(old.pk)
        else:
            _release(old.pk)
            if not _take(new.pk):
                raise InspectionError(_("This slot is full: choose another one."))
        booking.slot = new
        booking.moves += 1
        booking._change_reason = f"moved from {old.date} {old.session} {old.station_id}"
        booking.save(update_fields=["slot", "moves", "changed_at"])
        notices.notify(
            "exams.inspection_moved",
            id_number=booking.id_number,
            city=city,
            context=_context(booking, new) | {"old_date": old.date.isoformat(), "old_session": old.session},
            dedupe_key=f"exams.inspection_moved.{booking.pk}.{booking.moves}",
        )
    return booking


def booking_cancel(*, city, booking_id: int, id_number: str, now=None) -> InspectionBooking:
    """Cancel an active booking before its slot's change deadline; the seat is freed."""
    now = now or timezone.now()
    with transaction.atomic():
        booking = _locked_own_booking(city, booking_id, id_number)
        _changeable(booking, now)
        booking.status = InspectionBooking.Status.CANCELLED
        booking._change_reason = "cancelled online"
        booking.save(update_fields=["status", "changed_at"])
        _release(booking.slot_id)
        notices.notify(
            "exams.inspection_cancelled",
            id_number=booking.id_number,
            city=city,
            context=_context(booking),
            dedupe_key=f"exams.inspection_cancelled.{booking.pk}",
        )
    return booking


# --- The station's result -------------------------------------------------------------------------
def next_valid_until(vehicle: Vehicle, inspected_on: datetime.date) -> datetime.date:
    """The validity after a passed inspection: the old end moved on by whole cycles (each as
    long as the vehicle's age at its start says, docs/rules.md §6.1) until it lies after the
    inspection day, so a late inspection does not shift the anniversary; without a recorded
    end, one cycle from the inspection day."""
    until = vehicle.inspection_valid_until
    if until is None:
        return inspected_on + relativedelta(months=cycles.vehicle_cycle_months(vehicle, inspected_on))
    while True:
        until = until + relativedelta(months=cycles.vehicle_cycle_months(vehicle, until))
        if until > inspected_on:
            return until


def _issue_mark(booking: InspectionBooking, actor, now) -> None:
    """Renew the registry's validity (portal's service) and stamp the booking's mark."""
    registry.vehicle_inspection_record(
        booking.vehicle_id,
        valid_until=booking.valid_until_after,
        reason=f"inspection {booking.number} passed",
        actor=actor,
    )
    booking.mark_issued_at = now


def booking_result(booking: InspectionBooking, *, passed: bool, actor=None, note: str = "", now=None):
    """The station's clerk enters the outcome of an inspection, on or after its day.

    Passed: the new validity is computed and, unless the vehicle has unsettled violations
    (docs/rules.md §6.4: the mark waits for them), written to the registry at once, which ends
    the overdue reminders. Failed: nothing changes in the registry; the owner may book a
    re-inspection. One outcome per booking: the row lock and the status check decide.
    """
    now = now or timezone.now()
    with transaction.atomic():
        booking = (
            InspectionBooking.objects.select_for_update(of=("self",))
            .select_related("slot__station", "vehicle", "city")
            .get(pk=booking.pk)
        )
        if booking.status != InspectionBooking.Status.BOOKED:
            raise InspectionError(_("A result was already entered for this booking, or it was cancelled."))
        if booking.slot.date > timezone.localdate(now):
            raise InspectionError(_("A result can be entered on the day of the inspection or later."))
        booking.result_at, booking.result_by, booking.result_note = now, actor, note[:200]
        context = _context(booking)
        if passed:
            booking.status = InspectionBooking.Status.PASSED
            booking.valid_until_after = next_valid_until(booking.vehicle, booking.slot.date)
            context["valid_until"] = booking.valid_until_after.isoformat()
            if violation_selectors.vehicle_has_unsettled(booking.vehicle):
                kind = "exams.inspection_passed_mark_pending"
            else:
                _issue_mark(booking, actor, now)
                kind = "exams.inspection_passed"
        else:
            booking.status = InspectionBooking.Status.FAILED
            context["note"] = booking.result_note or "-"
            kind = "exams.inspection_failed"
        booking._change_reason = f"result: {booking.status}"
        booking._history_user = actor
        booking.save()
        notices.notify(
            kind, id_number=booking.id_number, city=booking.city, context=context, dedupe_key=f"{kind}.{booking.pk}"
        )
    return booking


def booking_issue_mark(booking: InspectionBooking, *, actor=None, now=None) -> InspectionBooking:
    """Issue the mark of a passed inspection held back by unsettled violations, once settled."""
    now = now or timezone.now()
    with transaction.atomic():
        booking = (
            InspectionBooking.objects.select_for_update(of=("self",))
            .select_related("slot__station", "vehicle", "city")
            .get(pk=booking.pk)
        )
        if not booking.mark_pending:
            raise InspectionError(_("No inspection mark is waiting for this booking."))
        if violation_selectors.vehicle_has_unsettled(booking.vehicle):
            raise InspectionError(unsettled_message(booking.vehicle))
        _issue_mark(booking, actor, now)
        booking._change_reason = "mark issued"
        booking._history_user = actor
        booking.save(update_fields=["mark_issued_at", "changed_at"])
        notices.notify(
            "exams.inspection_passed",
            id_number=booking.id_number,
            city=booking.city,
            context=_context(booking) | {"valid_until": booking.valid_until_after.isoformat()},
            dedupe_key=f"exams.inspection_passed.{booking.pk}",
        )
    return booking


def booking_no_show(booking: InspectionBooking, *, actor=None, now=None) -> InspectionBooking:
    """The vehicle did not come: after the slot's day, the booking ends (no registry change)."""
    now = now or timezone.now()
    with transaction.atomic():
        booking = InspectionBooking.objects.select_for_update(of=("self",)).select_related("slot").get(pk=booking.pk)
        if booking.status != InspectionBooking.Status.BOOKED:
            raise InspectionError(_("This booking is no longer active."))
        if booking.slot.date >= timezone.localdate(now):
            raise InspectionError(_("A no-show can be recorded after the day of the inspection."))
        booking.status = InspectionBooking.Status.NO_SHOW
        booking._change_reason = "no-show"
        booking._history_user = actor
        booking.save(update_fields=["status", "changed_at"])
    return booking
