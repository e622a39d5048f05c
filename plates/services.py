"""Every write of plate preselection. Views, admin actions and the Celery sweep call these.

Scarce numbers are handed out by conditional UPDATEs on plates_platenumber (status and claim
expiry in the WHERE clause), with the partial-unique constraints on Hold and Selection as the
last line of defence. Time comes from timezone.now() (not the database clock) so that the rules
can be tested with time travel.
"""

import datetime
import json
import logging
import re

from dateutil.relativedelta import relativedelta
from django.db import IntegrityError, connection, transaction
from django.db.models import F, Q
from django.utils import timezone
from django.utils.translation import gettext as _

import notices
from plates import ga36, selectors
from plates.models import Ban, BannedPattern, Hold, NumberBlock, PlateNumber, RandomBatch, Selection
from portal import citysettings, identity, verification, workdays
from portal.models import CitySetting, Vehicle

log = logging.getLogger(__name__)
_TABLE = PlateNumber._meta.db_table
START_PURPOSE = "plates.start"
CONFIRM_PURPOSE = "plates.confirm"


class PlateError(Exception):
    """A user-facing reason why a preselection step did not happen (nothing was written)."""


def _vehicle_label(vehicle) -> str:
    # Notices carry no personal data: brand, model and the VIN's last 6 identify the car.
    return f"{vehicle.brand} {vehicle.model_name} (VIN …{vehicle.vin[-6:]})".strip()


def local(city, *keys) -> dict:
    """Several [LOCAL] values of a city in one query (a rush endpoint needs three to five).

    The same rule as portal.citysettings.get: the city's override through coerce(), else the
    registered default.
    """
    rows = dict(CitySetting.objects.filter(city=city, key__in=keys).values_list("key", "value"))
    return {key: citysettings.coerce(key, rows[key]) if key in rows else citysettings.get(None, key) for key in keys}


def hold_deadline(selected_on: datetime.date, city, working_days: int | None = None) -> datetime.datetime:
    """End of the N-th working day after the day of selection (rules.md 1.8), Asia/Shanghai."""
    if working_days is None:
        working_days = citysettings.get(city, "plate_hold_working_days")
    last_day = workdays.add_working_days(selected_on, working_days)
    return timezone.make_aware(datetime.datetime.combine(last_day, datetime.time(23, 59, 59)))


def deadline_day(hold: Hold) -> datetime.date:
    return timezone.localtime(hold.expires_at).date()


# --- Starting a selection ----------------------------------------------------------------------
def selection_start(
    *, citizen, city, vin: str, cert_number: str, device_key: str = "", ip: str | None = None
) -> Selection:
    """Open (or resume) the preselection of a new vehicle after its VIN and certificate match.

    1. refuse a banned citizen; 2. find the vehicle in the registry by owner, city, VIN and
    conformity-certificate number; 3. refuse a vehicle with a plate, a live hold or an ended
    online selection; 4. create the selection (one live per vehicle: a partial-unique index).
    """
    ban = selectors.active_ban(citizen.id_number)
    if ban is not None:
        raise PlateError(
            _(
                "You may not preselect a number online until %(date)s because an earlier number was not registered in time."
            )
            % {"date": timezone.localtime(ban.ends_at).date().isoformat()}
        )
    vin = (vin or "").strip().upper()
    cert_number = (cert_number or "").strip().upper()
    vehicle = selectors.user_vehicles(citizen, city).filter(vin=vin).first()
    if vehicle is None or vehicle.conformity_cert_number.strip().upper() != cert_number:
        raise PlateError(
            _(
                "The VIN and the conformity certificate number do not match a vehicle registered in your name in this city."
            )
        )
    if vehicle.plate_number or vehicle.status != Vehicle.Status.NEW:
        raise PlateError(_("This vehicle already has a plate; preselection is only for new vehicles."))
    if vehicle.plate_type not in ga36.PLATE_TYPES:
        raise PlateError(_("Numbers for this type of vehicle are chosen at the office, not online."))
    hold = (
        Hold.objects.filter(vehicle=vehicle, status__in=[Hold.Status.HELD, Hold.Status.REGISTERED])
        .select_related("number")
        .first()
    )
    if hold is not None:
        raise PlateError(_("This vehicle already holds the number %(number)s.") % {"number": hold.number.number})
    if Selection.objects.filter(vehicle=vehicle, status=Selection.Status.EXHAUSTED).exists():
        raise PlateError(
            _("Online selection has ended for this vehicle. Please choose a number at the vehicle office.")
        )
    existing = Selection.objects.filter(vehicle=vehicle, status=Selection.Status.OPEN).first()
    if existing is not None:
        if existing.citizen_id != citizen.pk:
            raise PlateError(_("A preselection for this vehicle is already under way."))
        return existing
    try:
        with transaction.atomic():
            return Selection.objects.create(
                city=city,
                vehicle=vehicle,
                citizen=citizen,
                plate_type=vehicle.plate_type,
                device_key=device_key[:64],
                ip=ip,
            )
    except IntegrityError:
        # Another tab opened it a moment ago: resume that one.
        return Selection.objects.get(vehicle=vehicle, status=Selection.Status.OPEN)


def send_start_code(selection: Selection, ip: str | None = None) -> None:
    verification.send_code(selection.citizen.mobile, START_PURPOSE, ip)


def send_confirm_code(selection: Selection, ip: str | None = None) -> None:
    verification.send_code(selection.citizen.mobile, CONFIRM_PURPOSE, ip)


def selection_verify(selection: Selection, code: str) -> None:
    """Check the "start selection" SMS code (raises VerificationError) and open the selection pages."""
    verification.check_code(selection.citizen.mobile, START_PURPOSE, code)
    Selection.objects.filter(pk=selection.pk, sms_verified_at__isnull=True).update(sms_verified_at=timezone.now())
    selection.refresh_from_db(fields=["sms_verified_at"])


def _require_live(selection: Selection) -> None:
    if selection.status != Selection.Status.OPEN:
        raise PlateError(_("This preselection has ended."))
    if selection.sms_verified_at is None:
        raise PlateError(_("Confirm the SMS code first."))


# --- Claims ----------------------------------------------------------------------------------
def _claim(selection: Selection, number: str, now: datetime.datetime, seconds: int | None = None) -> PlateNumber | None:
    """Reserve a number as this selection's backup for plate_backup_seconds; the number, or None.

    The WHERE clause is the whole decision: a number is free when it is available, or when it is
    a backup whose claim has run out (so an expired backup is free at every instant, before the
    sweep tidies it). Two concurrent claims serialise on the row; the second sees the new status.
    """
    if seconds is None:
        seconds = citysettings.get(selection.city, "plate_backup_seconds")
    expires = now + datetime.timedelta(seconds=seconds)
    with connection.cursor() as cursor:
        cursor.execute(
            f"UPDATE {_TABLE} SET status = 'backup', claimed_selection_id = %s, claim_expires_at = %s"
            f" WHERE city_id = %s AND plate_type = %s AND number = %s"
            f" AND (status = 'available' OR (status = 'backup' AND claim_expires_at < %s)) RETURNING id, block_id, serial",
            [selection.pk, expires, selection.city_id, selection.plate_type, number, now],
        )
        row = cursor.fetchone()
    if row is None:
        return None
    return _loaded(
        PlateNumber(
            id=row[0], city_id=selection.city_id, block_id=row[1], plate_type=selection.plate_type, number=number,
            serial=row[2], status=PlateNumber.Status.BACKUP, claimed_selection_id=selection.pk, claim_expires_at=expires,
        )
    )  # fmt: skip


def _loaded(instance):
    # Built from RETURNING columns: mark it as a stored row without another SELECT.
    instance._state.adding = False
    return instance


def batch_draw(selection: Selection, *, avoid_four: bool = False) -> RandomBatch:
    """Draw the next random batch.

    1. count the batch with a conditional UPDATE (never more than plate_random_batches);
    2. draw plate_random_batch_size numbers; 3. store the batch, valid plate_random_batch_seconds.
    An empty pool rolls the count back.
    """
    _require_live(selection)
    city = selection.city
    limit = citysettings.get(city, "plate_random_batches")
    now = timezone.now()
    with transaction.atomic():
        counted = Selection.objects.filter(
            pk=selection.pk, status=Selection.Status.OPEN, batches_drawn__lt=limit
        ).update(batches_drawn=F("batches_drawn") + 1)
        if not counted:
            raise PlateError(_("You have drawn all %(n)d random batches.") % {"n": limit})
        numbers = selectors.draw_numbers(
            selection.city_id,
            selection.plate_type,
            citysettings.get(city, "plate_random_batch_size"),
            avoid_four=avoid_four,
        )
        if not numbers:
            raise PlateError(
                _("No numbers are left in the pool right now. Please try again later or choose at the office.")
            )
        batch = RandomBatch.objects.create(
            selection=selection,
            numbers=numbers,
            avoid_four=avoid_four,
            drawn_at=now,
            expires_at=now + datetime.timedelta(seconds=citysettings.get(city, "plate_random_batch_seconds")),
        )
    selection.batches_drawn += 1
    return batch


_BATCH_TABLE = RandomBatch._meta.db_table
# One statement does the whole move, so a rush costs one round trip per claim:
#   batch   - this selection's live batch holding the number, with its backup slot still empty,
#             locked (FOR UPDATE) so a double click cannot fill the slot twice;
#   claimed - the conditional UPDATE of _claim, only if the batch qualified;
#   slot    - the batch remembers its backup, only if the claim succeeded.
# A statement is atomic on its own: a number is never claimed without its slot or vice versa.
_BACKUP_SQL = f"""
WITH batch AS (
    SELECT id FROM {_BATCH_TABLE}
    WHERE id = %(batch)s AND selection_id = %(selection)s AND backup_id IS NULL AND expires_at > %(now)s
      AND numbers @> %(numbers)s::jsonb
    FOR UPDATE
), claimed AS (
    UPDATE {_TABLE} SET status = 'backup', claimed_selection_id = %(selection)s, claim_expires_at = %(expires)s
    WHERE city_id = %(city)s AND plate_type = %(plate_type)s AND number = %(number)s
      AND (status = 'available' OR (status = 'backup' AND claim_expires_at < %(now)s))
      AND EXISTS (SELECT 1 FROM batch)
    RETURNING id, block_id, serial
), slot AS (
    UPDATE {_BATCH_TABLE} SET backup_id = (SELECT id FROM claimed)
    WHERE id IN (SELECT id FROM batch) AND EXISTS (SELECT 1 FROM claimed)
    RETURNING id
)
SELECT (SELECT count(*) FROM batch), claimed.id, claimed.block_id, claimed.serial, (SELECT count(*) FROM slot)
FROM (SELECT 1) AS one LEFT JOIN claimed ON true
"""


def backup_claim(selection: Selection, *, batch_id: int, number: str) -> PlateNumber:
    """Move one number of a live batch into the backups (one per batch), reserving it.

    One statement (_BACKUP_SQL) checks the batch, claims the number and fills the batch's single
    backup slot; when it changes nothing, a second look at the batch says why.
    """
    _require_live(selection)
    now = timezone.now()
    seconds = citysettings.get(selection.city, "plate_backup_seconds")
    expires = now + datetime.timedelta(seconds=seconds)
    params = {
        "batch": batch_id, "selection": selection.pk, "now": now, "numbers": json.dumps([number]), "expires": expires,
        "city": selection.city_id, "plate_type": selection.plate_type, "number": number,
    }  # fmt: skip
    with connection.cursor() as cursor:
        cursor.execute(_BACKUP_SQL, params)
        batch_ok, number_id, block_id, serial, _slot = cursor.fetchone()
    if number_id is not None:
        return _loaded(
            PlateNumber(
                id=number_id, city_id=selection.city_id, block_id=block_id, plate_type=selection.plate_type,
                number=number, serial=serial, status=PlateNumber.Status.BACKUP, claimed_selection_id=selection.pk,
                claim_expires_at=expires,
            )
        )  # fmt: skip
    if batch_ok:
        raise PlateError(
            _("Someone has just taken %(number)s. Pick another number from this batch.") % {"number": number}
        )
    batch = RandomBatch.objects.filter(pk=batch_id, selection=selection).first()
    if batch is None or number not in batch.numbers:
        raise PlateError(_("That number is not in your batch."))
    if batch.expires_at <= now:
        raise PlateError(_("This batch has expired. Draw a new batch."))
    raise PlateError(_("You have already moved a number from this batch to your backups."))


def validate_candidate(city, plate_type: str, number: str, patterns: list[str] | None = None) -> str | None:
    """Why a typed candidate cannot be selected (GA 36, the city's prefixes, its withheld patterns)."""
    if patterns is None:
        patterns = withheld_patterns(city)
    number = (number or "").strip().upper()
    error = ga36.format_error(number, plate_type)
    if error:
        return error
    if number[:2] not in city.prefix_list:
        return _("Numbers of this city start with %(prefixes)s.") % {"prefixes": " ".join(city.prefix_list)}
    for pattern in patterns:
        try:
            if re.search(pattern, number[2:]):
                return _("%(number)s is withheld from online selection.") % {"number": number}
        except re.error:
            continue
    return None


def withheld_patterns(city) -> list[str]:
    return list(BannedPattern.objects.filter(city=city, is_active=True).values_list("pattern", flat=True))


def compose_round(selection: Selection, candidates: list[str]) -> tuple[PlateNumber | None, int]:
    """One self-composed round: claim the first free candidate, in the citizen's order.

    1. validate every candidate (a rule violation costs nothing); 2. lock the selection row so
    one selection runs one round at a time, and enforce the minimum interval and the tries left;
    3. try the candidates in order; each candidate that is not free costs one try (a round where
    none is free costs one per candidate). Returns (claimed number or None, tries spent).
    """
    _require_live(selection)
    city = selection.city
    candidates = [c.strip().upper() for c in candidates if c and c.strip()]
    if not candidates:
        raise PlateError(_("Enter at least one number."))
    values = local(
        city,
        "plate_compose_candidates",
        "plate_compose_tries",
        "plate_compose_interval_seconds",
        "plate_backup_seconds",
    )
    per_round = values["plate_compose_candidates"]
    if len(candidates) > per_round:
        raise PlateError(_("Enter at most %(n)d numbers per round.") % {"n": per_round})
    if len(set(candidates)) != len(candidates):
        raise PlateError(_("Each candidate may appear only once."))
    patterns = withheld_patterns(city)
    for candidate in candidates:
        error = validate_candidate(city, selection.plate_type, candidate, patterns)
        if error:
            raise PlateError(f"{candidate}: {error}")
    tries = values["plate_compose_tries"]
    interval = values["plate_compose_interval_seconds"]
    now = timezone.now()
    with transaction.atomic():
        locked = Selection.objects.select_for_update().get(pk=selection.pk)
        locked.city = city
        if locked.status != Selection.Status.OPEN:
            raise PlateError(_("This preselection has ended."))
        left = tries - locked.compose_tries_used
        if left <= 0:
            raise PlateError(_("You have used all %(n)d self-composed tries.") % {"n": tries})
        if len(candidates) > left:
            raise PlateError(_("You have %(n)d tries left; enter at most %(n)d numbers.") % {"n": left})
        if locked.last_compose_at and (now - locked.last_compose_at).total_seconds() < interval:
            wait = interval - int((now - locked.last_compose_at).total_seconds())
            raise PlateError(_("Please wait %(s)d seconds before the next round.") % {"s": wait})
        claimed, cost = None, 0
        seconds = values["plate_backup_seconds"]
        for candidate in candidates:
            claimed = _claim(locked, candidate, now, seconds)
            if claimed is not None:
                break
            cost += 1
        locked.compose_tries_used += cost
        locked.last_compose_at = now
        locked.save(update_fields=["compose_tries_used", "last_compose_at"])
    selection.compose_tries_used, selection.last_compose_at = locked.compose_tries_used, now
    return claimed, cost


def selection_check_exhausted(selection: Selection) -> bool:
    """End online selection when batches and tries are used up and nothing is left to choose from."""
    if selection.status != Selection.Status.OPEN:
        return selection.status == Selection.Status.EXHAUSTED
    city = selection.city
    if selection.batches_drawn < citysettings.get(city, "plate_random_batches"):
        return False
    if selection.compose_tries_used < citysettings.get(city, "plate_compose_tries"):
        return False
    if selectors.live_backups(selection).exists():
        return False
    batch = selectors.live_batch(selection)
    if batch is not None and batch.backup_id is None:
        return False
    now = timezone.now()
    if Selection.objects.filter(pk=selection.pk, status=Selection.Status.OPEN).update(
        status=Selection.Status.EXHAUSTED, ended_at=now
    ):
        selection.status = Selection.Status.EXHAUSTED
    return selection.status == Selection.Status.EXHAUSTED


# --- Confirmation and the hold -----------------------------------------------------------------
def _is_suspicious(selection: Selection, now, n: int) -> bool:
    """One device or address selecting for n or more different citizens within an hour."""
    same_source = Q(pk__in=[])
    if selection.device_key:
        same_source |= Q(device_key=selection.device_key)
    if selection.ip:
        same_source |= Q(ip=selection.ip)
    others = (
        Selection.objects.filter(same_source, created_at__gte=now - datetime.timedelta(hours=1))
        .exclude(citizen_id=selection.citizen_id)
        .values("citizen_id")
        .distinct()
        .count()
    )
    return others + 1 >= n


def selection_confirm(selection: Selection, *, number_id: int, code: str = "") -> Hold:
    """Turn one of the selection's backups into the vehicle's hold.

    1. check the second SMS code when the city asks for it (before any lock);
    2. lock the selection; refuse a banned citizen;
    3. backup -> held by a conditional UPDATE (only this selection's unexpired claim);
    4. create the hold, valid until the end of the N-th working day after today (partial-unique:
       one live hold per vehicle and per number); flag it when the source looks like a scalper;
    5. give the other backups back to the pool; close the selection; notify.
    """
    _require_live(selection)
    city = selection.city
    values = local(
        city, "plate_second_sms", "plate_suspicious_selections_per_hour", "plate_hold_working_days", "plate_ban_years"
    )
    if values["plate_second_sms"]:
        verification.check_code(selection.citizen.mobile, CONFIRM_PURPOSE, code)
    now = timezone.now()
    with transaction.atomic():
        locked = Selection.objects.select_for_update().select_related("vehicle", "citizen").get(pk=selection.pk)
        locked.city = city
        if locked.status != Selection.Status.OPEN:
            raise PlateError(_("This preselection has ended."))
        if selectors.active_ban(locked.citizen.id_number) is not None:
            raise PlateError(_("You may not preselect a number online at present."))
        with connection.cursor() as cursor:
            cursor.execute(
                f"UPDATE {_TABLE} SET status = 'held', claim_expires_at = NULL, taken_at = %s"
                f" WHERE id = %s AND status = 'backup' AND claimed_selection_id = %s AND claim_expires_at > %s"
                f" RETURNING number, block_id, serial",
                [now, number_id, locked.pk, now],
            )
            row = cursor.fetchone()
        if row is None:
            raise PlateError(_("Your reservation of this number has run out. Choose another backup or draw again."))
        flagged = _is_suspicious(locked, now, values["plate_suspicious_selections_per_hour"])
        selected_on = timezone.localdate(now)
        number = _loaded(
            PlateNumber(
                id=number_id, city_id=city.pk, block_id=row[1], plate_type=locked.plate_type, number=row[0], serial=row[2],
                status=PlateNumber.Status.HELD, taken_at=now,
            )
        )  # fmt: skip
        hold = Hold.objects.create(
            city=city,
            number=number,
            vehicle=locked.vehicle,
            selection=locked,
            citizen=locked.citizen,
            holder_id_number=identity.id_key(locked.citizen.id_number),
            selected_on=selected_on,
            expires_at=hold_deadline(selected_on, city, values["plate_hold_working_days"]),
            created_at=now,
            flagged=flagged,
            flag_reason=_("One device or address selected for several citizens within an hour.") if flagged else "",
        )
        _release_backups(locked.pk)
        locked.status, locked.ended_at = Selection.Status.DONE, now
        locked.save(update_fields=["status", "ended_at"])
        context = {
            "number": row[0],
            "deadline": deadline_day(hold).isoformat(),
            "vehicle": _vehicle_label(locked.vehicle),
            "ban_years": values["plate_ban_years"],
        }
        notices.notify(
            "plates.hold_confirmed",
            id_number=hold.holder_id_number,
            city=city,
            context=context,
            dedupe_key=f"plates.hold_confirmed:{hold.pk}",
        )
        if flagged:
            notices.notify(
                "plates.hold_flagged",
                id_number=hold.holder_id_number,
                city=city,
                context=context,
                dedupe_key=f"plates.hold_flagged:{hold.pk}",
            )
    selection.status = Selection.Status.DONE
    return hold


def _release_backups(selection_id: int) -> None:
    PlateNumber.objects.filter(claimed_selection_id=selection_id, status=PlateNumber.Status.BACKUP).update(
        status=PlateNumber.Status.AVAILABLE, claimed_selection=None, claim_expires_at=None
    )


def _ban(hold: Hold, now, reason: str) -> Ban:
    years = citysettings.get(hold.city, "plate_ban_years")
    return Ban.objects.create(
        city=hold.city,
        id_number=hold.holder_id_number,
        hold=hold,
        starts_at=now,
        ends_at=now + relativedelta(years=years),
        reason=reason,
    )


def _end_hold(hold_id: int, *, to: str, from_statuses=(Hold.Status.HELD,)) -> Hold | None:
    """Lock a hold and move it out of `held`; None when it was not in a start state (repeat-safe)."""
    hold = Hold.objects.select_for_update().select_related("number", "vehicle", "city").filter(pk=hold_id).first()
    if hold is None or hold.status not in from_statuses:
        return None
    hold.status, hold.ended_at = to, timezone.now()
    hold.save(update_fields=["status", "ended_at"])
    return hold


def _number_back(number_id: int) -> None:
    PlateNumber.objects.filter(pk=number_id, status=PlateNumber.Status.HELD).update(
        status=PlateNumber.Status.AVAILABLE, claimed_selection=None, claim_expires_at=None, taken_at=None
    )


def hold_abandon(hold: Hold, *, citizen) -> Hold:
    """The citizen gives the number up: it returns to the pool and they are banned (rules.md 1.8)."""
    if hold.holder_id_number != identity.id_key(citizen.id_number):
        raise PlateError(_("This number is not held for you."))
    with transaction.atomic():
        ended = _end_hold(hold.pk, to=Hold.Status.ABANDONED)
        if ended is None:
            raise PlateError(_("This number is no longer held."))
        _number_back(ended.number_id)
        ban = _ban(
            ended, ended.ended_at, _("Abandoned preselected number %(number)s") % {"number": ended.number.number}
        )
        notices.notify(
            "plates.hold_abandoned",
            id_number=ended.holder_id_number,
            city=ended.city,
            context={"number": ended.number.number, "ban_until": timezone.localtime(ban.ends_at).date().isoformat()},
            dedupe_key=f"plates.hold_ended:{ended.pk}",
        )
    return ended


def hold_lapse(hold: Hold, *, actor=None) -> Hold | None:
    """End a hold that was not registered in time: number back, ban, notice. Repeat-safe."""
    with transaction.atomic():
        ended = _end_hold(hold.pk, to=Hold.Status.LAPSED)
        if ended is None:
            return None
        _number_back(ended.number_id)
        ban = _ban(
            ended,
            ended.ended_at,
            _("Preselected number %(number)s not registered in time") % {"number": ended.number.number},
        )
        notices.notify(
            "plates.hold_lapsed",
            id_number=ended.holder_id_number,
            city=ended.city,
            context={"number": ended.number.number, "ban_until": timezone.localtime(ban.ends_at).date().isoformat()},
            dedupe_key=f"plates.hold_ended:{ended.pk}",
        )
    return ended


def hold_release(hold: Hold, *, actor) -> Hold | None:
    """The office ends a hold without the citizen's fault (wrong data, vehicle returned): no ban."""
    with transaction.atomic():
        ended = _end_hold(hold.pk, to=Hold.Status.RELEASED)
        if ended is not None:
            _number_back(ended.number_id)
    return ended


def hold_upload_invoice(hold: Hold, *, citizen, invoice) -> None:
    if hold.holder_id_number != identity.id_key(citizen.id_number) or hold.status != Hold.Status.HELD:
        raise PlateError(_("This number is not held for you."))
    with transaction.atomic():
        locked = Hold.objects.select_for_update().get(pk=hold.pk)
        locked.invoice = invoice
        locked.invoice_uploaded_at = timezone.now()
        locked.save(update_fields=["invoice", "invoice_uploaded_at"])
    hold.invoice, hold.invoice_uploaded_at = locked.invoice, locked.invoice_uploaded_at


def hold_approve(hold: Hold, *, clerk) -> None:
    """A clerk accepts a flagged hold's purchase invoice, which allows registration."""
    with transaction.atomic():
        locked = Hold.objects.select_for_update().get(pk=hold.pk)
        if not locked.flagged or locked.approved_at is not None:
            return
        if not locked.invoice:
            raise PlateError(_("The citizen has not uploaded the purchase invoice yet."))
        locked.approved_by, locked.approved_at = clerk, timezone.now()
        locked.save(update_fields=["approved_by", "approved_at"])


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
        Selection.objects.filter(vehicle=vehicle, status=Selection.Status.OPEN).update(
            status=Selection.Status.CANCELLED, ended_at=now
        )
        with connection.cursor() as cursor:
            cursor.execute(
                f"UPDATE {_TABLE} SET status = 'held', claimed_selection_id = NULL, claim_expires_at = NULL, taken_at = %s"
                f" WHERE city_id = %s AND plate_type = %s AND number = %s"
                f" AND (status = 'available' OR (status = 'backup' AND claim_expires_at < %s)) RETURNING id",
                [now, city.pk, vehicle.plate_type, number, now],
            )
            row = cursor.fetchone()
        if row is None:
            raise PlateError(_("%(number)s has just been taken. Draw again.") % {"number": number})
        selected_on = timezone.localdate(now)
        try:
            with transaction.atomic():
                hold = Hold.objects.create(
                    city=city,
                    number_id=row[0],
                    vehicle=vehicle,
                    holder_id_number=identity.id_key(vehicle.owner_id_number),
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
                "vehicle": _vehicle_label(vehicle),
                "ban_years": citysettings.get(city, "plate_ban_years"),
            },
            dedupe_key=f"plates.hold_confirmed:{hold.pk}",
        )
    return hold


# --- Blocks ---------------------------------------------------------------------------------
def block_position_sets(block: NumberBlock) -> list[str]:
    return ga36.position_sets(block.plate_type, block.serial_from, block.serial_to)


def block_size(plate_type: str, serial_from: str, serial_to: str) -> int:
    return ga36.range_size(plate_type, ga36.position_sets(plate_type, serial_from, serial_to))


def block_announce(block: NumberBlock, *, opens_at: datetime.datetime | None = None) -> bool:
    """draft -> announced, opening plate_block_announce_days later (or at opens_at); publishes it."""
    now = timezone.now()
    if opens_at is None:
        opens_at = block.opens_at or now + datetime.timedelta(
            days=citysettings.get(block.city, "plate_block_announce_days")
        )
    with transaction.atomic():
        changed = NumberBlock.objects.filter(pk=block.pk, status=NumberBlock.Status.DRAFT).update(
            status=NumberBlock.Status.ANNOUNCED, announced_at=now, opens_at=opens_at
        )
        if changed:
            block.refresh_from_db()
            notices.announce(
                "plates.block_announced",
                city=block.city,
                context={
                    "block": str(block),
                    "size": block.size,
                    "opens": timezone.localtime(opens_at).strftime("%Y-%m-%d %H:%M"),
                    "plate_type": block.get_plate_type_display(),
                },
                dedupe_key=f"plates.block_announced:{block.pk}",
            )
    return bool(changed)


def block_open(block: NumberBlock) -> int | None:
    """announced -> open: generate its numbers in one INSERT ... SELECT (a cross join of the
    per-position character sets); numbers matching a withheld pattern start withheld.
    Repeat-safe: the status change is conditional and numbers are ON CONFLICT DO NOTHING."""
    with transaction.atomic():
        if not NumberBlock.objects.filter(pk=block.pk, status=NumberBlock.Status.ANNOUNCED).update(
            status=NumberBlock.Status.OPEN, opened_at=timezone.now()
        ):
            return None
        return _generate_numbers(block)


def _generate_numbers(block: NumberBlock) -> int:
    sets = block_position_sets(block)
    patterns = list(BannedPattern.objects.filter(city=block.city_id, is_active=True).values_list("pattern", flat=True))
    joins = ", ".join(f"unnest(%s::text[]) AS p{i}" for i in range(len(sets)))
    concat = " || ".join(f"p{i}" for i in range(len(sets)))
    cap = ga36.MAX_LETTERS_ORDINARY if block.plate_type == ga36.SMALL_CAR else len(sets)
    sql = (
        f"INSERT INTO {_TABLE} (city_id, block_id, plate_type, number, serial, status, sort_key)"
        f" SELECT %s, %s, %s, %s || s, s, CASE WHEN s ~ ANY(%s::text[]) THEN 'withheld' ELSE 'available' END, random()"
        f" FROM (SELECT {concat} AS s FROM {joins}) AS serials"
        f" WHERE length(regexp_replace(s, '[0-9]', '', 'g')) <= %s"
        f" ON CONFLICT (number) DO NOTHING"
    )
    with connection.cursor() as cursor:
        cursor.execute(
            sql, [block.city_id, block.pk, block.plate_type, block.prefix, patterns, *[list(s) for s in sets], cap]
        )
        return cursor.rowcount


def pattern_apply(pattern: BannedPattern) -> int:
    """Withhold the available numbers of the city that match a (new) pattern."""
    if not pattern.is_active:
        return 0
    with transaction.atomic():
        return PlateNumber.objects.filter(
            city_id=pattern.city_id, status=PlateNumber.Status.AVAILABLE, serial__regex=pattern.pattern
        ).update(status=PlateNumber.Status.WITHHELD)


def numbers_withhold(queryset) -> int:
    return queryset.filter(status=PlateNumber.Status.AVAILABLE).update(status=PlateNumber.Status.WITHHELD)


def numbers_release(queryset) -> int:
    return queryset.filter(status=PlateNumber.Status.WITHHELD).update(status=PlateNumber.Status.AVAILABLE)


# --- The sweep ------------------------------------------------------------------------------
def sweep() -> dict:
    """Everything time-driven, safe to run any number of times; a late run catches up.

    1. release backups whose claim ran out (they are already claimable; this tidies the pool);
    2. lapse holds past their deadline: number back, ban, notice (one transaction per hold);
    3. remind holders whose deadline is within a day (marked, so each is reminded once);
    4. open announced blocks whose time has come;
    5. per city and plate type in service, announce the next draft block when the pool (with
       the blocks already announced) is below plate_pool_min_available.
    """
    now = timezone.now()
    result = {}
    result["backups_released"] = PlateNumber.objects.filter(
        status=PlateNumber.Status.BACKUP, claim_expires_at__lt=now
    ).update(status=PlateNumber.Status.AVAILABLE, claimed_selection=None, claim_expires_at=None)
    lapsed = 0
    while True:
        done = _lapse_expired(now)
        lapsed += done
        if done < LAPSE_CHUNK:
            break
    result["holds_lapsed"] = lapsed
    result["reminders"] = _remind(now)
    opened = 0
    for block in NumberBlock.objects.filter(status=NumberBlock.Status.ANNOUNCED, opens_at__lte=now):
        opened += block_open(block) is not None
    result["blocks_opened"] = opened
    result["blocks_announced"] = _replenish()
    return result


LAPSE_CHUNK = 500
_LAPSE_SQL = f"""
UPDATE {Hold._meta.db_table} SET status = 'lapsed', ended_at = %(now)s
WHERE id IN (
    SELECT id FROM {Hold._meta.db_table} WHERE status = 'held' AND expires_at < %(now)s
    ORDER BY expires_at LIMIT %(chunk)s FOR UPDATE SKIP LOCKED
)
RETURNING id, number_id
"""


def _lapse_expired(now) -> int:
    """Lapse one chunk of holds past their deadline, set-based, in one transaction.

    1. holds held -> lapsed (rows another sweep is working on are skipped, not waited for);
    2. their numbers back to the pool; 3. one ban per holder-hold; 4. audit rows and notices.
    """
    with transaction.atomic():
        with connection.cursor() as cursor:
            cursor.execute(_LAPSE_SQL, {"now": now, "chunk": LAPSE_CHUNK})
            rows = cursor.fetchall()
        if not rows:
            return 0
        PlateNumber.objects.filter(pk__in=[number_id for _, number_id in rows], status=PlateNumber.Status.HELD).update(
            status=PlateNumber.Status.AVAILABLE, claimed_selection=None, claim_expires_at=None, taken_at=None
        )
        holds = list(Hold.objects.filter(pk__in=[hold_id for hold_id, _ in rows]).select_related("number", "city"))
        years = {}
        bans = []
        for hold in holds:
            if hold.city_id not in years:
                years[hold.city_id] = citysettings.get(hold.city, "plate_ban_years")
            bans.append(
                Ban(
                    city_id=hold.city_id, id_number=hold.holder_id_number, hold=hold, starts_at=now,
                    ends_at=now + relativedelta(years=years[hold.city_id]),
                    reason=_("Preselected number %(number)s not registered in time") % {"number": hold.number.number},
                )
            )  # fmt: skip
        Ban.objects.bulk_create(bans)
        Hold.history.bulk_history_create(holds, update=True, default_date=now)
        Ban.history.bulk_history_create(bans, default_date=now)
        for hold, ban in zip(holds, bans, strict=True):
            notices.notify(
                "plates.hold_lapsed", id_number=hold.holder_id_number, city=hold.city,
                context={"number": hold.number.number, "ban_until": timezone.localtime(ban.ends_at).date().isoformat()},
                dedupe_key=f"plates.hold_ended:{hold.pk}",
            )  # fmt: skip
    return len(rows)


def _remind(now) -> int:
    sent = 0
    due = Hold.objects.filter(
        status=Hold.Status.HELD,
        reminder_sent_at__isnull=True,
        expires_at__lte=now + datetime.timedelta(days=1),
        expires_at__gt=now,
    ).select_related("number", "city")
    for hold in due:
        with transaction.atomic():
            # The conditional update is the claim: a parallel sweep reminds each hold once.
            if Hold.objects.filter(pk=hold.pk, reminder_sent_at__isnull=True).update(reminder_sent_at=now):
                notices.notify(
                    "plates.hold_expiring",
                    id_number=hold.holder_id_number,
                    city=hold.city,
                    context={"number": hold.number.number, "deadline": deadline_day(hold).isoformat()},
                    dedupe_key=f"plates.hold_expiring:{hold.pk}",
                )
                sent += 1
    return sent


def _replenish() -> int:
    """Announce the next block of each city and plate type in service whose pool runs low.

    The next block is the oldest draft a clerk defined; without one, the sweep defines it by
    continuing the newest block's first-position range (苏HA000A-C999Z is followed by
    D000A-F999Z), so the pool is replenished even when nobody queued a block.
    """
    announced = 0
    in_service = (
        NumberBlock.objects.filter(status=NumberBlock.Status.OPEN).values_list("city_id", "plate_type").distinct()
    )
    for city_id, plate_type in in_service:
        blocks = NumberBlock.objects.filter(city_id=city_id, plate_type=plate_type).select_related("city")
        if blocks.filter(status=NumberBlock.Status.ANNOUNCED).exists():
            continue  # the next block is on its way
        newest = blocks.order_by("-created_at", "-id").first()
        if selectors.pool_available(city_id, plate_type) >= citysettings.get(newest.city, "plate_pool_min_available"):
            continue
        nxt = blocks.filter(status=NumberBlock.Status.DRAFT).order_by("created_at", "id").first() or _define_next(
            newest
        )
        if nxt is None:
            log.warning("plates: no further block can be defined for city %s type %s", city_id, plate_type)
            continue
        days = citysettings.get(nxt.city, "plate_block_announce_days")
        announced += block_announce(nxt, opens_at=timezone.now() + datetime.timedelta(days=days))
    return announced


def _define_next(block: NumberBlock) -> NumberBlock | None:
    """A draft block shaped like `block`, its first position moved on by the same width."""
    sets = block_position_sets(block)
    first = sets[0]
    alphabet = ga36.position_sets(block.plate_type, ga36.ALPHABET[0] * len(sets), ga36.ALPHABET[-1] * len(sets))[0]
    following = alphabet[alphabet.index(first[-1]) + 1 :]
    if not following:
        return None
    chars = following[: len(first)]
    serial_from, serial_to = chars[0] + block.serial_from[1:], chars[-1] + block.serial_to[1:]
    size = block_size(block.plate_type, serial_from, serial_to)
    if not size:
        return None
    return NumberBlock.objects.create(
        city=block.city, plate_type=block.plate_type, prefix=block.prefix, serial_from=serial_from, serial_to=serial_to,
        size=size,
    )  # fmt: skip
