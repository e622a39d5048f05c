"""A citizen's preselection: start, SMS, random batches, backups, self-composed rounds, confirmation."""

import datetime
import json
import re

from django.db import IntegrityError, connection, transaction
from django.db.models import F
from django.utils import timezone
from django.utils.translation import gettext as _

import notices
from plates import ga36, selectors
from plates.models import Ban, BannedPattern, Hold, PlateNumber, RandomBatch, Selection
from plates.services.common import (
    _TABLE,
    CONFIRM_PURPOSE,
    START_PURPOSE,
    PlateError,
    _claimed_backup,
    _loaded,
    _vehicle_label,
    claimable_sql,
    deadline_day,
    hold_deadline,
)
from portal import audit, citysettings, identity, verification
from portal.db import Prepared
from portal.models import Vehicle


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
                "You may not preselect a number online up to and including %(date)s: an earlier preselected "
                "number was abandoned or not registered in time."
            )
            % {"date": ban.last_day.isoformat()}
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
            selection = Selection(
                city=city,
                vehicle=vehicle,
                citizen=citizen,
                plate_type=vehicle.plate_type,
                device_key=device_key[:64],
                ip=ip,
            )
            selection._history_user = citizen
            selection.save()
            return selection
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
    if Selection.objects.filter(pk=selection.pk, sms_verified_at__isnull=True).update(sms_verified_at=timezone.now()):
        audit.record(selection, "SMS code confirmed", selection.citizen_id)
    selection.refresh_from_db(fields=["sms_verified_at"])


def _require_live(selection: Selection) -> None:
    if selection.status != Selection.Status.OPEN:
        raise PlateError(_("This preselection has ended."))
    if selection.sms_verified_at is None:
        raise PlateError(_("Confirm the SMS code first."))


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
        selection.batches_drawn += 1
        audit.record(selection, "random batch drawn", selection.citizen_id, reload=False, at=now)
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
    return batch


_BATCH_TABLE = RandomBatch._meta.db_table
_SELECTION_TABLE = Selection._meta.db_table
# One statement does the whole move, so a rush costs one round trip per claim:
#   batch   - this selection's live batch holding the number, with its backup slot still empty,
#             locked (FOR UPDATE) so a double click cannot fill the slot twice; the selection
#             must be the citizen's, in this city, open and SMS-verified (the view does not load
#             it first: that query was a third of a claim's cost);
#   claimed - the number, if free (common.claimable_sql), only if the batch qualified;
#   slot    - the batch remembers its backup, only if the claim succeeded.
# A statement is atomic on its own: a number is never claimed without its slot or vice versa.
_BACKUP_SQL = Prepared(
    "plates_backup",
    f"""
WITH batch AS (
    SELECT b.id, s.plate_type FROM {_BATCH_TABLE} b JOIN {_SELECTION_TABLE} s ON s.id = b.selection_id
    WHERE b.id = %(batch)s AND b.selection_id = %(selection)s AND b.backup_id IS NULL AND b.expires_at > %(now)s
      AND b.numbers @> %(numbers)s::jsonb
      AND s.citizen_id = %(citizen)s AND s.city_id = %(city)s AND s.status = 'open' AND s.sms_verified_at IS NOT NULL
    FOR UPDATE OF b
), claimed AS (
    UPDATE {_TABLE} SET status = 'backup', claimed_selection_id = %(selection)s, claim_expires_at = %(expires)s
    WHERE city_id = %(city)s AND plate_type = (SELECT plate_type FROM batch) AND number = %(number)s
      AND {claimable_sql()}
    RETURNING id, block_id, serial, plate_type
), slot AS (
    UPDATE {_BATCH_TABLE} SET backup_id = (SELECT id FROM claimed)
    WHERE id IN (SELECT id FROM batch) AND EXISTS (SELECT 1 FROM claimed)
    RETURNING id
)
SELECT (SELECT count(*) FROM batch), claimed.id, claimed.block_id, claimed.serial, claimed.plate_type,
       (SELECT count(*) FROM slot)
FROM (SELECT 1) AS one LEFT JOIN claimed ON true
""",
)


def backup_claim(selection: Selection, *, batch_id: int, number: str) -> PlateNumber:
    """Move one number of a live batch into the backups (one per batch), reserving it.

    Only selection.pk, citizen_id and city_id are trusted: the rush endpoint passes an unloaded
    Selection(pk, citizen, city), and the statement (_BACKUP_SQL) itself checks that the
    selection is that citizen's, open and verified, checks the batch, claims the number and
    fills the batch's single backup slot. When it changes nothing, a second look says why;
    Selection.DoesNotExist when the selection is not the citizen's in this city.
    """
    now = timezone.now()
    seconds = citysettings.get(selection.city, "plate_backup_seconds")
    expires = now + datetime.timedelta(seconds=seconds)
    params = {
        "batch": batch_id,
        "selection": selection.pk,
        "now": now,
        "numbers": json.dumps([number]),
        "expires": expires,
        "city": selection.city_id,
        "citizen": selection.citizen_id,
        "number": number,
    }
    with connection.cursor() as cursor:
        _BACKUP_SQL.execute(cursor, params)
        batch_ok, number_id, block_id, serial, plate_type, _slot = cursor.fetchone()
    if number_id is not None:
        return _claimed_backup(
            selection,
            number_id=number_id,
            block_id=block_id,
            serial=serial,
            plate_type=plate_type,
            number=number,
            expires=expires,
        )
    if batch_ok:
        raise PlateError(
            _("Someone has just taken %(number)s. Pick another number from this batch.") % {"number": number}
        )
    _require_live(Selection.objects.get(pk=selection.pk, citizen_id=selection.citizen_id, city_id=selection.city_id))
    batch = RandomBatch.objects.filter(pk=batch_id, selection_id=selection.pk).first()
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


_PATTERN_TABLE = BannedPattern._meta.db_table
# A round's read: the selection, locked so that one selection runs one round at a time, and the
# city's withheld patterns (candidates are checked against them).
_COMPOSE_LOCK = Prepared(
    "plates_compose_lock",
    f"""
SELECT s.status, s.compose_tries_used, s.last_compose_at,
       ARRAY(SELECT b.pattern FROM {_PATTERN_TABLE} b WHERE b.city_id = %(city)s AND b.is_active ORDER BY b.id)
FROM {_SELECTION_TABLE} s WHERE s.id = %(selection)s
FOR UPDATE OF s
""",
)


# A round claims its candidates in order, one statement each, and stops at the first that is
# free. The claim that succeeds counts the round's tries in the same statement, so the claimed
# number's row lock is held only until the commit that follows: under a rush the other citizens
# after the same lucky number wait behind that lock. (One statement for the whole round, with
# SELECT ... FOR UPDATE over the candidates, deadlocked: a locking read keeps the lock on a row
# it waited for and then passed over as taken.)
#   claimed  - the candidate becomes this selection's backup, if free (common.claimable_sql);
#   done     - then the tries: one per candidate before it.
# The selection's history row follows (portal.audit).
def _count_tries(only_if: str = "") -> str:
    return f"""done AS (
    UPDATE {_SELECTION_TABLE}
    SET compose_tries_used = compose_tries_used + %(cost)s, last_compose_at = %(now)s
    WHERE id = %(selection)s {only_if}
    RETURNING *
)"""


_COMPOSE_CLAIM = Prepared(
    "plates_compose_claim",
    f"""
WITH claimed AS (
    UPDATE {_TABLE} SET status = 'backup', claimed_selection_id = %(selection)s, claim_expires_at = %(expires)s
    WHERE city_id = %(city)s AND plate_type = %(plate_type)s AND number = %(number)s AND {claimable_sql()}
    RETURNING id, block_id, serial
), {_count_tries("AND EXISTS (SELECT 1 FROM claimed)")}
SELECT claimed.id, claimed.block_id, claimed.serial, done.compose_tries_used FROM claimed, done
""",
)
# A round where no candidate was free: every candidate costs a try.
_COMPOSE_MISS = Prepared("plates_compose_miss", f"WITH {_count_tries()} SELECT compose_tries_used FROM done")


class RoundResult(tuple):
    """What a self-composed round did: unpacks as (claimed number or None, tries spent);
    `not_offered` names the candidates that cost a try because no such number is on offer (not
    in an open block, or withheld), so the page can say so instead of "taken"."""

    def __new__(cls, claimed, cost, not_offered=()):
        result = super().__new__(cls, (claimed, cost))
        result.not_offered = tuple(not_offered)
        return result

    @property
    def claimed(self):
        return self[0]

    @property
    def cost(self):
        return self[1]


def compose_round(selection: Selection, candidates: list[str]) -> RoundResult:
    """One self-composed round: claim the first free candidate, in the citizen's order.

    1. lock the selection row so one selection runs one round at a time, reading the city's
    withheld patterns with it; 2. validate every candidate (a rule violation costs nothing);
    3. enforce the minimum interval and the tries left; 4. refuse, at no cost, a candidate that
    is already one of this selection's live backups (docs/rules.md §2); 5. claim the candidates
    in order until one is free (_COMPOSE_CLAIM), counting the tries: each candidate that is not
    free costs one (a round where none is free costs one per candidate, _COMPOSE_MISS).
    Returns a RoundResult (claimed number or None, tries spent, candidates not on offer).
    """
    _require_live(selection)
    city = selection.city
    candidates = [c.strip().upper() for c in candidates if c and c.strip()]
    if not candidates:
        raise PlateError(_("Enter at least one number."))
    values = citysettings.get_many(
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
    tries = values["plate_compose_tries"]
    interval = values["plate_compose_interval_seconds"]
    now = timezone.now()
    with transaction.atomic():
        with connection.cursor() as cursor:
            _COMPOSE_LOCK.execute(cursor, {"selection": selection.pk, "city": city.pk})
            status, used, last_compose_at, patterns = cursor.fetchone()
        for candidate in candidates:
            error = validate_candidate(city, selection.plate_type, candidate, patterns)
            if error:
                raise PlateError(f"{candidate}: {error}")
        if status != Selection.Status.OPEN:
            raise PlateError(_("This preselection has ended."))
        left = tries - used
        if left <= 0:
            raise PlateError(_("You have used all %(n)d self-composed tries.") % {"n": tries})
        if len(candidates) > left:
            raise PlateError(_("You have %(n)d tries left; enter at most %(n)d numbers.") % {"n": left})
        if last_compose_at and (now - last_compose_at).total_seconds() < interval:
            wait = interval - int((now - last_compose_at).total_seconds())
            raise PlateError(_("Please wait %(s)d seconds before the next round.") % {"s": wait})
        # Which candidates exist in the pool, and in what state: a citizen's own backup is told
        # apart (it costs nothing), and so is a number that is not on offer at all.
        known = {
            number: (status, claimed_by, claim_expires)
            for number, status, claimed_by, claim_expires in PlateNumber.objects.filter(
                city_id=city.pk, plate_type=selection.plate_type, number__in=candidates
            ).values_list("number", "status", "claimed_selection_id", "claim_expires_at")
        }
        for candidate in candidates:
            status, claimed_by, claim_expires = known.get(candidate, (None, None, None))
            if status == PlateNumber.Status.BACKUP and claimed_by == selection.pk and claim_expires > now:
                raise PlateError(
                    _("%(number)s is already one of your backups; this round cost nothing.") % {"number": candidate}
                )
        not_offered = [c for c in candidates if known.get(c, (None,))[0] in (None, PlateNumber.Status.WITHHELD)]
        expires = now + datetime.timedelta(seconds=values["plate_backup_seconds"])
        params = {
            "city": city.pk,
            "plate_type": selection.plate_type,
            "now": now,
            "selection": selection.pk,
            "expires": expires,
        }
        claimed = None
        with connection.cursor() as cursor:
            for cost, candidate in enumerate(candidates):
                _COMPOSE_CLAIM.execute(cursor, {**params, "number": candidate, "cost": cost})
                row = cursor.fetchone()
                if row is not None:
                    number_id, block_id, serial, used = row
                    claimed = _claimed_backup(
                        selection,
                        number_id=number_id,
                        block_id=block_id,
                        serial=serial,
                        plate_type=selection.plate_type,
                        number=candidate,
                        expires=expires,
                    )
                    break
            else:
                cost = len(candidates)
                _COMPOSE_MISS.execute(cursor, {**params, "cost": cost})
                (used,) = cursor.fetchone()
        audit.record(selection, "self-composed round", selection.citizen_id, at=now)
    selection.compose_tries_used, selection.last_compose_at = used, now
    tried = candidates[:cost] if claimed is not None else candidates
    return RoundResult(claimed, cost, [c for c in tried if c in not_offered])


def selection_check_exhausted(selection: Selection) -> bool:
    """End online selection when batches and tries are used up and nothing is left to choose from."""
    if selection.status != Selection.Status.OPEN:
        return selection.status == Selection.Status.EXHAUSTED
    city = selection.city
    if selection.batches_drawn < citysettings.get(city, "plate_random_batches"):
        return False
    if selection.compose_tries_used < citysettings.get(city, "plate_compose_tries"):
        return False
    if selectors.live_backups(selection):
        return False
    batch = selectors.live_batch(selection)
    if batch is not None and batch.backup_id is None:
        return False
    now = timezone.now()
    if Selection.objects.filter(pk=selection.pk, status=Selection.Status.OPEN).update(
        status=Selection.Status.EXHAUSTED, ended_at=now
    ):
        audit.record(selection, "batches and tries used up")
        selection.status = Selection.Status.EXHAUSTED
    return selection.status == Selection.Status.EXHAUSTED


# --- Confirmation and the hold -----------------------------------------------------------------
_BAN_TABLE = Ban._meta.db_table
_VEHICLE_TABLE = Vehicle._meta.db_table
# The confirmation's one read, under the selection's row lock: the selection (all its columns,
# so the caller keeps a whole Selection) if it is this citizen's in this city, the vehicle's label, whether the
# citizen is banned (selectors.active_ban), and how many other citizens the same device (the
# plates_device cookie of one browser) selected for within the hour: the scalper flag,
# docs/rules.md §2. A shared address alone (a campus, a company, a carrier's NAT) is no evidence
# of one operator and flags nothing.
_CONFIRM_LOCK = Prepared(
    "plates_confirm_lock",
    f"""
SELECT {", ".join(f"s.{c}" for c in selectors.SELECTION_COLUMNS)}, v.brand, v.model_name, v.vin,
       EXISTS (SELECT 1 FROM {_BAN_TABLE} b WHERE b.id_number_hash = %(holder)s AND b.lifted_at IS NULL
               AND b.starts_at <= %(now)s AND b.ends_at > %(now)s),
       (SELECT count(DISTINCT o.citizen_id) FROM {_SELECTION_TABLE} o
        WHERE o.created_at >= %(since)s AND o.citizen_id <> s.citizen_id
          AND s.device_key <> '' AND o.device_key = s.device_key)
FROM {_SELECTION_TABLE} s JOIN {_VEHICLE_TABLE} v ON v.id = s.vehicle_id
WHERE s.id = %(selection)s AND s.citizen_id = %(citizen)s AND s.city_id = %(city)s
FOR UPDATE OF s
""",
)


_HOLD_TABLE = Hold._meta.db_table
# Every Hold column but the id, given as typed parameters (in INSERT ... SELECT PostgreSQL would
# take them for text); the values come from a Hold built in Python, so model defaults apply.
_HOLD_FIELDS = [f for f in Hold._meta.concrete_fields if not f.primary_key]
_HOLD_VALUES = ", ".join(f"CAST(%(h_{f.column})s AS {f.db_type(connection)})" for f in _HOLD_FIELDS)
# The whole confirmation in one round trip, all or nothing (a refused step writes nothing):
#   held      - backup -> held, only this selection's unexpired claim;
#   released  - the selection's other backups back to the pool: every number an open selection
#               still claims is one of its backups (only a confirmed number keeps the claim
#               after it is held), so no status test, which would lead PostgreSQL to the partial
#               index of live backups and through every live backup in the city (selectors.live_backups);
#   done      - the selection closed;
#   new_hold  - the hold (partial-unique: one live hold per vehicle and per number).
# The history rows of the selection and the hold follow (portal.audit).
# Every step after `held` happens only if `held` found the claim.
_CONFIRM_SQL = Prepared(
    "plates_confirm",
    f"""
WITH held AS (
    UPDATE {_TABLE} SET status = 'held', claim_expires_at = NULL, taken_at = %(now)s
    WHERE id = %(number)s AND status = 'backup' AND claimed_selection_id = %(selection)s AND claim_expires_at > %(now)s
    RETURNING number, block_id, serial
), released AS (
    UPDATE {_TABLE} SET status = 'available', claimed_selection_id = NULL, claim_expires_at = NULL
    WHERE claimed_selection_id = %(selection)s AND id <> %(number)s AND EXISTS (SELECT 1 FROM held)
), done AS (
    UPDATE {_SELECTION_TABLE} SET status = 'done', ended_at = %(now)s
    WHERE id = %(selection)s AND EXISTS (SELECT 1 FROM held)
    RETURNING *
), new_hold AS (
    INSERT INTO {_HOLD_TABLE} ({", ".join(f.column for f in _HOLD_FIELDS)})
    SELECT {_HOLD_VALUES} FROM held
    RETURNING *
)
SELECT new_hold.id, held.number, held.block_id, held.serial FROM held, new_hold
""",
)


def selection_confirm(selection: Selection, *, number_id: int, code: str = "") -> Hold:
    """Turn one of the selection's backups into the vehicle's hold.

    Only selection.pk, citizen and city are trusted: the rush endpoint passes an unloaded
    Selection(pk, citizen, city), and the locking read checks that it is that citizen's in that
    city (Selection.DoesNotExist if not), open and verified.

    1. check the second SMS code when the city asks for it (before any lock, and only for a
       selection that can still be confirmed);
    2. lock and read the selection in one statement; refuse a banned citizen;
    3. in one statement (_CONFIRM_SQL): backup -> held by a conditional UPDATE (only this
       selection's unexpired claim), the other backups back to the pool, the selection closed,
       the hold created, valid until the end of the N-th working day after today
       (partial-unique: one live hold per vehicle and per number), flagged when the source looks
       like a scalper (one device for several citizens);
    4. the history rows of the selection and the hold (portal.audit); notify.
    """
    city = selection.city
    citizen = selection.citizen
    values = citysettings.get_many(
        city, "plate_second_sms", "plate_suspicious_selections_per_hour", "plate_hold_working_days", "plate_ban_years"
    )
    if values["plate_second_sms"]:
        # Checking the code uses it up: only for a selection that can still be confirmed.
        state = Selection.objects.filter(pk=selection.pk, citizen_id=citizen.pk, city_id=city.pk).values_list(
            "status", "sms_verified_at"
        )
        if not state:
            raise Selection.DoesNotExist
        _require_live(Selection(status=state[0][0], sms_verified_at=state[0][1]))
        verification.check_code(citizen.mobile, CONFIRM_PURPOSE, code)
    now = timezone.now()
    holder = identity.id_key(citizen.id_number)
    with transaction.atomic():
        with connection.cursor() as cursor:
            _CONFIRM_LOCK.execute(
                cursor,
                {
                    "selection": selection.pk,
                    "citizen": citizen.pk,
                    "city": city.pk,
                    "holder": holder,
                    "now": now,
                    "since": now - datetime.timedelta(hours=1),
                },
            )
            row = cursor.fetchone()
        if row is None:
            raise Selection.DoesNotExist
        locked, (brand, model_name, vin, banned, others) = selectors.selection_from_row(row)
        locked.city, locked.citizen = city, citizen
        _require_live(locked)
        if banned:
            raise PlateError(_("You may not preselect a number online at present."))
        flagged = others + 1 >= values["plate_suspicious_selections_per_hour"]
        selected_on = timezone.localdate(now)
        hold = Hold(
            city=city,
            number_id=number_id,
            vehicle_id=locked.vehicle_id,
            selection=locked,
            citizen=citizen,
            holder_id_number=citizen.id_number,
            selected_on=selected_on,
            expires_at=hold_deadline(selected_on, city, values["plate_hold_working_days"]),
            created_at=now,
            flagged=flagged,
            flag_reason=_("One browser selected numbers for several citizens within an hour.") if flagged else "",
        )
        params = {f"h_{f.column}": f.get_db_prep_save(f.pre_save(hold, True), connection) for f in _HOLD_FIELDS}
        params.update(now=now, number=number_id, selection=locked.pk)
        with connection.cursor() as cursor:
            _CONFIRM_SQL.execute(cursor, params)
            row = cursor.fetchone()
        if row is None:
            raise PlateError(_("Your reservation of this number has run out. Choose another backup or draw again."))
        held = row[1:]
        hold.pk = row[0]
        hold.number = _loaded(
            PlateNumber(
                id=number_id,
                city_id=city.pk,
                block_id=held[1],
                plate_type=locked.plate_type,
                number=held[0],
                serial=held[2],
                status=PlateNumber.Status.HELD,
                taken_at=now,
            )
        )
        _loaded(hold)
        locked.status, locked.ended_at = Selection.Status.DONE, now
        audit.record(locked, "number confirmed", citizen, reload=False, at=now)
        audit.record(hold, "number confirmed", citizen, created=True, reload=False, at=now)
        context = {
            "number": held[0],
            "deadline": deadline_day(hold).isoformat(),
            "vehicle": _vehicle_label(Vehicle(brand=brand, model_name=model_name, vin=vin)),
            "ban_years": values["plate_ban_years"],
        }
        for kind in ["plates.hold_confirmed"] + (["plates.hold_flagged"] if flagged else []):
            notices.notify(
                kind, id_number=hold.holder_id_number, city=city, context=context, dedupe_key=f"{kind}:{hold.pk}"
            )
    selection.status = Selection.Status.DONE
    return hold
