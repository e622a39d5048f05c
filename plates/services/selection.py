"""A citizen's preselection: start, SMS, random batches, backups, self-composed rounds, confirmation."""

import datetime
import re

from django.contrib.postgres.expressions import ArraySubquery
from django.db import IntegrityError, transaction
from django.db.models import BooleanField, ExpressionWrapper, F, OuterRef, Q, Subquery
from django.db.models.functions import JSONObject
from django.utils import timezone
from django.utils.translation import gettext as _

import notices
from plates import ga36, selectors
from plates.models import BannedPattern, Hold, PlateNumber, RandomBatch, Selection
from plates.services.common import (
    CONFIRM_PURPOSE,
    START_PURPOSE,
    PlateError,
    claimable,
    deadline_day,
    hold_deadline,
    vehicle_label,
)
from portal import audit, citysettings, verification
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


class _SlotRefused(Exception):
    """The batch's slot refused a claimed number: the claim is rolled back (backup_claim)."""


def backup_claim(selection: Selection, *, batch_id: int, number: str, fetch: bool = True) -> PlateNumber | None:
    """Move one number of a live batch into the backups (one per batch), reserving it.

    Only selection.pk, citizen_id and city_id are trusted: the rush endpoint passes an unloaded
    Selection(pk, citizen, city). In one short transaction:
    1. claim the number by a conditional UPDATE, whose row count decides: the number must be
       claimable (available, or a backup whose claim ran out) and of this city;
    2. fill the batch's single backup slot by a conditional UPDATE: the batch must be this
       selection's, live, hold the number and have its slot empty, and the selection must be the
       citizen's, in this city, open and SMS-verified. Otherwise the claim is rolled back: of two
       clicks on one batch, the second finds the slot filled.
    When nothing changed, a second look says why; Selection.DoesNotExist when the selection is
    not the citizen's in this city. Returns the claimed number, or None with fetch=False (the
    rush endpoint needs only the number's text it sent: one round trip less).
    """
    now = timezone.now()
    expires = now + datetime.timedelta(seconds=citysettings.get(selection.city, "plate_backup_seconds"))
    # The selection's own conditions as a subquery on its row (`selection_id IN (...)`) rather
    # than a join from the batch, and the batch's conditions on the slot's UPDATE rather than in a
    # subquery of the number's: each subquery embedded in a statement is cloned, relabelled and
    # compiled on every request, and this shape costs a quarter less Python than the batch
    # subquery inside the number's UPDATE (an EXISTS costs more than IN here: it clones the
    # query once more). docs/benchmarks.md "Python per rush request".
    qualifying = Selection.objects.filter(
        pk=selection.pk,
        citizen_id=selection.citizen_id,
        city_id=selection.city_id,
        status=Selection.Status.OPEN,
        sms_verified_at__isnull=False,
    ).values("pk")
    try:
        with transaction.atomic():
            taken = PlateNumber.objects.filter(claimable(now), city_id=selection.city_id, number=number).update(
                status=PlateNumber.Status.BACKUP, claimed_selection_id=selection.pk, claim_expires_at=expires
            )
            # The slot decides the rest, in the same transaction: the batch must be this
            # selection's, live, hold the number (so the number is of the selection's city and
            # plate type: the batch was drawn from that pool) and have its slot empty, and the
            # selection must qualify. `number` is unique: the subquery finds the row just claimed.
            # Otherwise the claim is rolled back and the second look below says why.
            if taken and not RandomBatch.objects.filter(
                pk=batch_id,
                selection_id__in=qualifying,
                backup__isnull=True,
                expires_at__gt=now,
                numbers__contains=[number],
            ).update(backup_id=Subquery(PlateNumber.objects.filter(number=number).values("pk"))):
                raise _SlotRefused
    except _SlotRefused:
        taken = 0
    if taken:
        return PlateNumber.objects.get(number=number) if fetch else None
    _require_live(Selection.objects.get(pk=selection.pk, citizen_id=selection.citizen_id, city_id=selection.city_id))
    found = RandomBatch.objects.filter(pk=batch_id, selection_id=selection.pk).first()
    if found is None or number not in found.numbers:
        raise PlateError(_("That number is not in your batch."))
    if found.expires_at <= now:
        raise PlateError(_("This batch has expired. Draw a new batch."))
    if found.backup_id is not None:
        raise PlateError(_("You have already moved a number from this batch to your backups."))
    raise PlateError(_("Someone has just taken %(number)s. Pick another number from this batch.") % {"number": number})


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
    in order until one is claimable (one conditional UPDATE each), counting the tries in the same
    transaction: each candidate that is not free costs one (a round where none is free costs
    one per candidate).
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
        # The city's withheld patterns and the candidates' rows are read with the lock (two round
        # trips less): which candidates exist in the pool, in what state, and whether one is
        # already this selection's live backup (it costs nothing), so that a number not on offer
        # at all is told apart.
        locked = (
            Selection.objects.select_for_update()
            .annotate(
                patterns=ArraySubquery(
                    BannedPattern.objects.filter(city_id=city.pk, is_active=True).order_by("pk").values("pattern")
                ),
                known=ArraySubquery(
                    PlateNumber.objects.filter(city_id=city.pk, plate_type=selection.plate_type, number__in=candidates)
                    .order_by()
                    .values(
                        row=JSONObject(
                            id="pk",
                            number="number",
                            status="status",
                            own=ExpressionWrapper(
                                Q(
                                    status=PlateNumber.Status.BACKUP,
                                    claimed_selection_id=selection.pk,
                                    claim_expires_at__gt=now,
                                ),
                                output_field=BooleanField(),
                            ),
                        )
                    )
                ),
            )
            .get(pk=selection.pk)
        )
        patterns = locked.patterns
        for candidate in candidates:
            error = validate_candidate(city, selection.plate_type, candidate, patterns)
            if error:
                raise PlateError(f"{candidate}: {error}")
        if locked.status != Selection.Status.OPEN:
            raise PlateError(_("This preselection has ended."))
        used, last_compose_at = locked.compose_tries_used, locked.last_compose_at
        left = tries - used
        if left <= 0:
            raise PlateError(_("You have used all %(n)d self-composed tries.") % {"n": tries})
        if len(candidates) > left:
            raise PlateError(_("You have %(n)d tries left; enter at most %(n)d numbers.") % {"n": left})
        if last_compose_at and (now - last_compose_at).total_seconds() < interval:
            wait = interval - int((now - last_compose_at).total_seconds())
            raise PlateError(_("Please wait %(s)d seconds before the next round.") % {"s": wait})
        known = {row["number"]: row for row in locked.known}
        for candidate in candidates:
            if known.get(candidate, {}).get("own"):
                raise PlateError(
                    _("%(number)s is already one of your backups; this round cost nothing.") % {"number": candidate}
                )
        not_offered = [c for c in candidates if known.get(c, {}).get("status") in (None, PlateNumber.Status.WITHHELD)]
        expires = now + datetime.timedelta(seconds=values["plate_backup_seconds"])
        # One conditional UPDATE per candidate, in the citizen's order, until one changes a row.
        # (One statement for the whole round, with SELECT ... FOR UPDATE over the candidates,
        # deadlocked: a locking read keeps the lock on a row it waited for and then passed over
        # as taken.) The claimed number's row lock is held until the commit just after.
        # The conditions every candidate shares are built once: a filter() on this queryset
        # copies them, where building them anew for each candidate cost about 500 Python calls.
        claimable_here = PlateNumber.objects.filter(claimable(now), city_id=city.pk, plate_type=selection.plate_type)
        claimed, cost = None, len(candidates)
        for tried, candidate in enumerate(candidates):
            if claimable_here.filter(number=candidate).update(
                status=PlateNumber.Status.BACKUP, claimed_selection_id=selection.pk, claim_expires_at=expires
            ):
                claimed, cost = candidate, tried
                break
        # The tries, in the same transaction: each candidate that was not free cost one.
        locked.compose_tries_used, locked.last_compose_at = used + cost, now
        # Under the lock: the two fields by UPDATE and the history row from the locked row through
        # portal.audit, as the confirmation does (cheaper than save()'s signal path).
        Selection.objects.filter(pk=locked.pk).update(compose_tries_used=used + cost, last_compose_at=now)
        audit.record(locked, "self-composed round", selection.citizen, reload=False, at=now)
    used = locked.compose_tries_used
    if claimed is not None and claimed not in known:  # a row created after the read (a block opening)
        claimed = PlateNumber.objects.get(city_id=city.pk, number=claimed)
    elif claimed is not None:
        # The number as the UPDATE left it, from the row read with the lock (no further read;
        # its other fields load on use, as with .only()).
        claimed = PlateNumber.from_db(
            locked._state.db,
            ["id", "city_id", "plate_type", "number", "status", "claimed_selection_id", "claim_expires_at"],
            [
                known[claimed]["id"],
                city.pk,
                selection.plate_type,
                claimed,
                PlateNumber.Status.BACKUP,
                selection.pk,
                expires,
            ],
        )
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
def selection_confirm(selection: Selection, *, number_id: int, code: str = "") -> Hold:
    """Turn one of the selection's backups into the vehicle's hold.

    Only selection.pk, citizen and city are trusted: the rush endpoint passes an unloaded
    Selection(pk, citizen, city), and the locking read checks that it is that citizen's in that
    city (Selection.DoesNotExist if not), open and verified.

    1. check the second SMS code when the city asks for it (before any lock, and only for a
       selection that can still be confirmed);
    2. in one transaction: lock the selection; refuse a banned citizen; lock the backup if it is
       still this selection's unexpired claim and make it held; the other backups back to the
       pool; the selection closed; the hold created, valid until the end of the N-th working day
       after today (partial-unique: one live hold per vehicle and per number), flagged when the
       source looks like a scalper (one device for several citizens, selectors.device_citizens_of_row);
       save() writes the history rows of the selection and the hold;
    3. notify.
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
    with transaction.atomic():
        # The ban, the device's other citizens, the backup's number, the citizen's ID number (the
        # cached logged-in user has none; the hold and its notice need it) and the vehicle's label
        # are read with the lock, as annotations: one round trip instead of five on the rush
        # path. Annotations rather than select_related: building and reading both related rows
        # whole (the vehicle's encrypted owner ID number among them) cost about 1 ms of Python.
        rows = list(
            Selection.objects.select_for_update(of=("self",))
            .annotate(
                banned=selectors.is_banned(citizen, now),
                device_others=selectors.device_citizens_of_row(now - datetime.timedelta(hours=1)),
                backup_number=Subquery(
                    PlateNumber.objects.filter(pk=number_id, claimed_selection_id=OuterRef("pk")).values("number")[:1]
                ),
                holder_id_number=F("citizen__id_number"),
                vehicle_brand=F("vehicle__brand"),
                vehicle_model_name=F("vehicle__model_name"),
                vehicle_vin=F("vehicle__vin"),
            )
            .filter(pk=selection.pk, citizen_id=citizen.pk, city_id=city.pk)
        )
        if not rows:  # one row at most (the primary key): no first(), its ORDER BY and LIMIT
            raise Selection.DoesNotExist
        locked = rows[0]
        locked.city = city
        _require_live(locked)
        if locked.banned:
            raise PlateError(_("You may not preselect a number online at present."))
        flagged = locked.device_others + 1 >= values["plate_suspicious_selections_per_hour"]
        # backup -> held by a conditional UPDATE whose row count decides: only this selection's
        # unexpired claim (re-checked on the row after any wait); the held number keeps its claim.
        if not locked.backup_number or not PlateNumber.objects.filter(
            pk=number_id, status=PlateNumber.Status.BACKUP, claimed_selection_id=locked.pk, claim_expires_at__gt=now
        ).update(status=PlateNumber.Status.HELD, claim_expires_at=None, taken_at=now):
            raise PlateError(_("Your reservation of this number has run out. Choose another backup or draw again."))
        # The number as the UPDATE left it (its other fields load on use, as with .only()).
        number = PlateNumber.from_db(
            locked._state.db,
            ["id", "city_id", "plate_type", "number", "status", "claimed_selection_id", "claim_expires_at", "taken_at"],
            [
                int(number_id),
                city.pk,
                locked.plate_type,
                locked.backup_number,
                PlateNumber.Status.HELD,
                locked.pk,
                None,
                now,
            ],
        )
        # The selection's other backups back to the pool: every number an open selection still
        # claims is one of its backups, so no status test, which would lead PostgreSQL to the
        # partial index of live backups and through every live backup in the city
        # (selectors.live_backups).
        PlateNumber.objects.filter(claimed_selection_id=locked.pk).exclude(pk=number_id).update(
            status=PlateNumber.Status.AVAILABLE, claimed_selection=None, claim_expires_at=None
        )
        # Under the lock: the two fields by UPDATE, and the history row from the locked row
        # through portal.audit (simple-history's bulk_history_create), which skips save()'s
        # signal path and the history manager simple-history builds on each access.
        Selection.objects.filter(pk=locked.pk).update(status=Selection.Status.DONE, ended_at=now)
        locked.status, locked.ended_at = Selection.Status.DONE, now
        audit.record(locked, "number confirmed", citizen, reload=False, at=now)
        selected_on = timezone.localdate(now)
        hold = Hold(
            city=city,
            number=number,
            vehicle_id=locked.vehicle_id,
            selection=locked,
            citizen_id=citizen.pk,
            holder_id_number=locked.holder_id_number,
            selected_on=selected_on,
            expires_at=hold_deadline(selected_on, city, values["plate_hold_working_days"]),
            created_at=now,
            flagged=flagged,
            flag_reason=_("One browser selected numbers for several citizens within an hour.") if flagged else "",
        )
        # partial-unique: one live hold per vehicle and per number.
        audit.insert(hold, "number confirmed", citizen, at=now)
        vehicle = Vehicle(brand=locked.vehicle_brand, model_name=locked.vehicle_model_name, vin=locked.vehicle_vin)
        context = {
            "number": number.number,
            "deadline": deadline_day(hold).isoformat(),
            "vehicle": vehicle_label(vehicle),
            "ban_years": values["plate_ban_years"],
        }
        for kind in ["plates.hold_confirmed"] + (["plates.hold_flagged"] if flagged else []):
            notices.notify(
                kind, id_number=hold.holder_id_number, city=city, context=context, dedupe_key=f"{kind}:{hold.pk}"
            )
    selection.status = Selection.Status.DONE
    return hold
