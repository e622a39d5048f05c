"""The hold after confirmation: abandon, lapse, release, invoice review, registration, bans, the office hall."""

import datetime

from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

import notices
from plates import ga36, selectors
from plates.models import Ban, Hold, PlateNumber, Selection
from plates.services.common import (
    PlateError,
    ban_period,
    claimable,
    deadline_day,
    hold_deadline,
    vehicle_label,
)
from portal import audit, citysettings, identity
from portal.models import Vehicle


def _ban(hold: Hold, reason: str) -> Ban:
    starts_at, ends_at = ban_period(hold, citysettings.get(hold.city, "plate_ban_years"))
    return Ban.objects.create(
        city=hold.city,
        id_number=hold.holder_id_number,
        hold=hold,
        starts_at=starts_at,
        ends_at=ends_at,
        reason=reason,
    )


def _end_hold(hold_id: int, *, to: str, from_statuses=(Hold.Status.HELD,)) -> Hold | None:
    """Lock a hold and move it out of `held`; None when it was not in a start state (repeat-safe)."""
    hold = Hold.objects.select_for_update().select_related("number", "vehicle", "city").filter(pk=hold_id).first()
    if hold is None or hold.status not in from_statuses:
        return None
    if to == Hold.Status.LAPSED and hold.under_review:
        # Checked under the row lock, so an invoice uploaded a moment ago is seen.
        raise PlateError(_("The office is reviewing this hold's invoice: approve it or release the number."))
    hold.status, hold.ended_at = to, timezone.now()
    hold.save(update_fields=["status", "ended_at"])
    return hold


def _number_back(number_id: int) -> None:
    PlateNumber.objects.filter(pk=number_id, status=PlateNumber.Status.HELD).update(
        status=PlateNumber.Status.AVAILABLE, claimed_selection=None, claim_expires_at=None, taken_at=None
    )


def _end_with_ban(hold_id: int, *, to: str, reason: str, kind: str) -> Hold | None:
    """End a live hold through the citizen's fault: number back, 2-year ban, notice (docs/rules.md §2).
    Returns None when the hold had already ended (repeat-safe)."""
    with transaction.atomic():
        ended = _end_hold(hold_id, to=to)
        if ended is None:
            return None
        _number_back(ended.number_id)
        ban = _ban(ended, reason % {"number": ended.number.number})
        notices.notify(
            kind,
            id_number=ended.holder_id_number,
            city=ended.city,
            context={"number": ended.number.number, "ban_until": ban.last_day.isoformat()},
            dedupe_key=f"plates.hold_ended:{ended.pk}",
        )
    return ended


def hold_abandon(hold: Hold, *, citizen) -> Hold:
    """The citizen gives the number up: it returns to the pool and they are banned."""
    if hold.holder_id_number_hash != identity.id_key(citizen.id_number):
        raise PlateError(_("This number is not held for you."))
    ended = _end_with_ban(
        hold.pk,
        to=Hold.Status.ABANDONED,
        reason=_("Abandoned preselected number %(number)s"),
        kind="plates.hold_abandoned",
    )
    if ended is None:
        raise PlateError(_("This number is no longer held."))
    return ended


def hold_lapse(hold: Hold, *, actor=None) -> Hold | None:
    """End a hold that was not registered in time: number back, ban, notice. Repeat-safe.

    A hold whose invoice awaits the office's review is not the citizen's delay: refused (_end_hold)."""
    return _end_with_ban(
        hold.pk,
        to=Hold.Status.LAPSED,
        reason=_("Preselected number %(number)s not registered in time"),
        kind="plates.hold_lapsed",
    )


def hold_release(hold: Hold, *, actor) -> Hold | None:
    """The office ends a hold without the citizen's fault (wrong data, vehicle returned): no ban."""
    with transaction.atomic():
        ended = _end_hold(hold.pk, to=Hold.Status.RELEASED)
        if ended is not None:
            _number_back(ended.number_id)
    return ended


def review_deadline(uploaded_at, city) -> datetime.datetime:
    """End of the office's review of an invoice: the end of the plate_review_working_days-th
    working day after the day it arrived (docs/rules.md §0 and §2)."""
    return hold_deadline(timezone.localdate(uploaded_at), city, citysettings.get(city, "plate_review_working_days"))


def hold_upload_invoice(hold: Hold, *, citizen, invoice) -> None:
    """The citizen uploads the purchase invoice of a held number, before the hold's deadline.

    On a flagged hold the office has the next step from then on: the hold cannot lapse until the
    clerk has decided (Hold.under_review, the sweep skips it), and the review has its own time
    limit (review_due_at, set once, at the first upload)."""
    if hold.holder_id_number_hash != identity.id_key(citizen.id_number):
        raise PlateError(_("This number is not held for you."))
    now = timezone.now()
    with transaction.atomic():
        # Checked on the locked row: the sweep may have lapsed the hold a moment ago.
        locked = Hold.objects.select_for_update().select_related("city").get(pk=hold.pk)
        if locked.status != Hold.Status.HELD:
            raise PlateError(_("This number is not held for you."))
        if locked.expires_at < now and not locked.under_review:
            raise PlateError(_("The hold has expired."))
        locked.invoice = invoice
        locked.invoice_uploaded_at = now
        fields = ["invoice", "invoice_uploaded_at"]
        if locked.needs_review and locked.review_due_at is None:
            locked.review_due_at = review_deadline(now, locked.city)
            fields.append("review_due_at")
        locked._history_user = citizen
        locked.save(update_fields=fields)
    hold.invoice, hold.invoice_uploaded_at, hold.review_due_at = (
        locked.invoice,
        locked.invoice_uploaded_at,
        locked.review_due_at,
    )


def hold_approve(hold: Hold, *, clerk) -> None:
    """A clerk accepts a flagged hold's purchase invoice, which allows registration.

    The citizen could not register while the office was reviewing, so the hold then runs at
    least plate_hold_working_days working days from the day of approval (docs/rules.md §2)."""
    with transaction.atomic():
        locked = Hold.objects.select_for_update().select_related("city").get(pk=hold.pk)
        if not locked.flagged or locked.approved_at is not None or locked.status != Hold.Status.HELD:
            return
        if not locked.invoice:
            raise PlateError(_("The citizen has not uploaded the purchase invoice yet."))
        now = timezone.now()
        locked.approved_by, locked.approved_at = clerk, now
        locked._history_user = clerk
        locked.expires_at = max(locked.expires_at, hold_deadline(timezone.localdate(now), locked.city))
        locked.save(update_fields=["approved_by", "approved_at", "expires_at"])
    hold.approved_by, hold.approved_at, hold.expires_at = locked.approved_by, locked.approved_at, locked.expires_at


def hold_refuse_invoice(hold: Hold, *, clerk) -> None:
    """A clerk does not accept a flagged hold's invoice: the citizen has the next step again.

    The invoice is set aside (the file stays on the hold's record), and the citizen has at least
    plate_hold_working_days working days from today to upload the right one; without it the hold
    lapses like any other (docs/rules.md §2). Refusing is the office's decision to record, so it
    leaves a history row; approving later is still possible."""
    with transaction.atomic():
        locked = Hold.objects.select_for_update().select_related("city", "number", "vehicle").get(pk=hold.pk)
        if locked.status != Hold.Status.HELD or not locked.under_review:
            raise PlateError(_("There is no invoice of this hold awaiting review."))
        today = timezone.localdate()
        locked.invoice_uploaded_at, locked.review_due_at = None, None
        locked.expires_at = max(locked.expires_at, hold_deadline(today, locked.city))
        locked._history_user = clerk
        locked.save(update_fields=["invoice_uploaded_at", "review_due_at", "expires_at"])
        notices.notify(
            "plates.invoice_refused",
            id_number=locked.holder_id_number,
            city=locked.city,
            context={"number": locked.number.number, "deadline": deadline_day(locked).isoformat()},
            dedupe_key=f"plates.invoice_refused:{locked.pk}:{today.isoformat()}",
        )
    hold.invoice_uploaded_at, hold.review_due_at, hold.expires_at = None, None, locked.expires_at


def hold_register(hold: Hold, *, clerk) -> Hold:
    """Register the held number onto the vehicle (the office's registration step).

    1. lock the hold: it must be held, in time, and approved when flagged; 2. the number becomes
    registered; 3. the registry vehicle gets its plate (only if it has none: Vehicle.plate_number
    is unique, so a number can never reach two vehicles); 4. the hold ends as registered.
    """
    now = timezone.now()
    with transaction.atomic():
        locked = Hold.objects.select_for_update().select_related("number", "vehicle", "city").get(pk=hold.pk)
        if locked.status != Hold.Status.HELD:
            raise PlateError(_("Only a held number can be registered."))
        if locked.expires_at < now:
            raise PlateError(_("The hold has expired."))
        if locked.needs_review:
            raise PlateError(_("This hold is flagged: approve the purchase invoice first."))
        moved = PlateNumber.objects.filter(pk=locked.number_id, status=PlateNumber.Status.HELD).update(
            status=PlateNumber.Status.REGISTERED
        )
        vehicle = Vehicle.objects.select_for_update().get(pk=locked.vehicle_id)
        if not moved or vehicle.plate_number:
            raise PlateError(_("The vehicle or the number changed meanwhile; nothing was registered."))
        # The one write plates makes to the registry; save() keeps the vehicle's audit trail.
        vehicle.plate_number, vehicle.status, vehicle.registered_on = (
            locked.number.number,
            Vehicle.Status.NORMAL,
            timezone.localdate(now),
        )
        vehicle._history_user = locked._history_user = clerk
        vehicle.save(update_fields=["plate_number", "status", "registered_on"])
        locked.status, locked.ended_at, locked.registered_by = Hold.Status.REGISTERED, now, clerk
        locked.save(update_fields=["status", "ended_at", "registered_by"])
    return locked


def ban_lift(ban: Ban, *, clerk, reason: str) -> None:
    reason = (reason or "").strip()
    if not reason:
        raise PlateError(_("Give the reason for lifting the ban."))
    with transaction.atomic():
        locked = Ban.objects.select_for_update().get(pk=ban.pk)
        if locked.lifted_at is not None:
            return
        locked.lifted_at, locked.lifted_by, locked.lift_reason = timezone.now(), clerk, reason[:200]
        locked._history_user = clerk
        locked.save(update_fields=["lifted_at", "lifted_by", "lift_reason"])
        notices.notify(
            "plates.ban_lifted",
            id_number=locked.id_number,
            city=locked.city,
            context={},
            dedupe_key=f"plates.ban_lifted:{locked.pk}",
        )


# --- Office hall ---------------------------------------------------------------------------
def hall_draw(city, vehicle) -> list[str]:
    """A fresh random batch (plate_hall_batch_size, "50选1") for a vehicle at the office."""
    if vehicle.plate_number or vehicle.status != Vehicle.Status.NEW or vehicle.plate_type not in ga36.PLATE_TYPES:
        raise PlateError(
            _("This vehicle cannot receive a number here (it has a plate or is not a new car of a selectable type).")
        )
    if Hold.objects.filter(vehicle=vehicle, status__in=[Hold.Status.HELD, Hold.Status.REGISTERED]).exists():
        raise PlateError(_("This vehicle already holds a number."))
    return selectors.draw_numbers(city.pk, vehicle.plate_type, citysettings.get(city, "plate_hall_batch_size"))


def hall_select(*, clerk, city, vehicle, number: str) -> Hold:
    """Give the vehicle the number the owner picked at the office: claimed and held in one step."""
    now = timezone.now()
    with transaction.atomic():
        cancelled = list(
            Selection.objects.filter(vehicle=vehicle, status=Selection.Status.OPEN).values_list("pk", flat=True)
        )
        Selection.objects.filter(pk__in=cancelled, status=Selection.Status.OPEN).update(
            status=Selection.Status.CANCELLED, ended_at=now
        )
        audit.record_rows(Selection.objects.filter(pk__in=cancelled), "cancelled: number chosen at the office", clerk)
        # The conditional UPDATE decides: of clerks after one number, only one changes its row.
        taken = (
            PlateNumber.objects.filter(city=city, plate_type=vehicle.plate_type, number=number)
            .filter(claimable(now))
            .update(status=PlateNumber.Status.HELD, claimed_selection=None, claim_expires_at=None, taken_at=now)
        )
        if not taken:
            raise PlateError(_("%(number)s has just been taken. Draw again.") % {"number": number})
        number_id = PlateNumber.objects.filter(city=city, number=number).values_list("pk", flat=True).get()
        selected_on = timezone.localdate(now)
        try:
            with transaction.atomic():
                hold = Hold.objects.create(
                    city=city,
                    number_id=number_id,
                    vehicle=vehicle,
                    holder_id_number=identity.normalize_id_number(vehicle.owner_id_number),
                    source=Hold.Source.HALL,
                    selected_on=selected_on,
                    expires_at=hold_deadline(selected_on, city),
                    created_at=now,
                )
        except IntegrityError:
            raise PlateError(_("This vehicle already holds a number.")) from None
        notices.notify(
            "plates.hold_confirmed",
            id_number=hold.holder_id_number,
            city=city,
            context={
                "number": number,
                "deadline": deadline_day(hold).isoformat(),
                "vehicle": vehicle_label(vehicle),
                "ban_years": citysettings.get(city, "plate_ban_years"),
            },
            dedupe_key=f"plates.hold_confirmed:{hold.pk}",
        )
    return hold
