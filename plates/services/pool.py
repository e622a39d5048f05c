"""Blocks, withheld numbers and the time-driven sweep that keeps the pool stocked."""

import datetime

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

import notices
from plates import ga36, selectors, sql
from plates.models import Ban, BannedPattern, Hold, NumberBlock, PlateNumber
from plates.services.common import (
    PlateError,
    ban_period,
    deadline_day,
    log,
)
from portal import audit, citysettings


# --- Blocks ---------------------------------------------------------------------------------
def block_position_sets(block: NumberBlock) -> list[str]:
    return ga36.position_sets(block.plate_type, block.serial_from, block.serial_to)


def block_size(plate_type: str, serial_from: str, serial_to: str) -> int:
    return ga36.range_size(plate_type, ga36.position_sets(plate_type, serial_from, serial_to))


def earliest_opening(city, announced_at: datetime.datetime) -> datetime.datetime:
    """A block opens plate_block_announce_days calendar days after its announcement at the
    earliest (docs/rules.md §0 and §2: the public sees every block before it opens)."""
    return announced_at + datetime.timedelta(days=citysettings.get(city, "plate_block_announce_days"))


def block_announce(block: NumberBlock, *, opens_at: datetime.datetime | None = None, now=None) -> bool:
    """draft -> announced, opening plate_block_announce_days later (or at opens_at, which may
    not be earlier); publishes it. PlateError for an opening time inside the announcement period."""
    now = now or timezone.now()
    earliest = earliest_opening(block.city, now)
    if opens_at is None:
        opens_at = block.opens_at or earliest
    if opens_at < earliest:
        raise PlateError(
            _("%(block)s cannot open before %(earliest)s: a block is announced %(days)d days before it opens.")
            % {
                "block": block,
                "earliest": timezone.localtime(earliest).strftime("%Y-%m-%d %H:%M"),
                "days": citysettings.get(block.city, "plate_block_announce_days"),
            }
        )
    with transaction.atomic():
        changed = NumberBlock.objects.filter(pk=block.pk, status=NumberBlock.Status.DRAFT).update(
            status=NumberBlock.Status.ANNOUNCED, announced_at=now, opens_at=opens_at
        )
        if changed:
            audit.record(block, "announced")
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
    Repeat-safe: the status change is conditional and numbers are ON CONFLICT DO NOTHING.
    Only at or after its opening time, and never before the announcement period has passed."""
    now = timezone.now()
    days = citysettings.get(block.city, "plate_block_announce_days")
    with transaction.atomic():
        if not NumberBlock.objects.filter(
            pk=block.pk,
            status=NumberBlock.Status.ANNOUNCED,
            opens_at__lte=now,
            announced_at__lte=now - datetime.timedelta(days=days),
        ).update(status=NumberBlock.Status.OPEN, opened_at=now):
            return None
        audit.record(block, "opened")
        return _generate_numbers(block)


def _generate_numbers(block: NumberBlock) -> int:
    patterns = list(BannedPattern.objects.filter(city=block.city_id, is_active=True).values_list("pattern", flat=True))
    sets = block_position_sets(block)
    return sql.numbers_generate(
        city_id=block.city_id,
        block_id=block.pk,
        plate_type=block.plate_type,
        prefix=block.prefix,
        sets=sets,
        patterns=patterns,
        max_letters=ga36.MAX_LETTERS_ORDINARY if block.plate_type == ga36.SMALL_CAR else len(sets),
    )


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
    5. per city and plate type in service, announce as many blocks as keep the pool at or above
       plate_pool_min_available at the recent daily take (_replenish).
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
    result["blocks_announced"] = _replenish(now)
    return result


LAPSE_CHUNK = 500


def _lapse_expired(now) -> int:
    """Lapse one chunk of holds past their deadline, set-based, in one transaction.

    1. holds held -> lapsed (rows another sweep is working on are skipped, not waited for), but
       never one whose invoice awaits the office's review (Hold.under_review: the office has the
       next step, docs/rules.md §2);
    2. their numbers back to the pool; 3. one ban per holder-hold; 4. audit rows and notices.
    """
    with transaction.atomic():
        rows = sql.holds_lapse_expired(now=now, chunk=LAPSE_CHUNK)
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
            starts_at, ends_at = ban_period(hold, years[hold.city_id])
            bans.append(
                Ban(
                    city_id=hold.city_id,
                    id_number=hold.holder_id_number,
                    hold=hold,
                    starts_at=starts_at,
                    ends_at=ends_at,
                    reason=_("Preselected number %(number)s not registered in time") % {"number": hold.number.number},
                )
            )
        Ban.objects.bulk_create(bans)
        Hold.history.bulk_history_create(holds, update=True, default_date=now)
        Ban.history.bulk_history_create(bans, default_date=now)
        for hold, ban in zip(holds, bans, strict=True):
            notices.notify(
                "plates.hold_lapsed",
                id_number=hold.holder_id_number,
                city=hold.city,
                context={"number": hold.number.number, "ban_until": ban.last_day.isoformat()},
                dedupe_key=f"plates.hold_ended:{hold.pk}",
            )
    return len(rows)


def _remind(now) -> int:
    sent = 0
    due = (
        Hold.objects.filter(
            status=Hold.Status.HELD,
            reminder_sent_at__isnull=True,
            expires_at__lte=now + datetime.timedelta(days=1),
            expires_at__gt=now,
        )
        .exclude(flagged=True, approved_at__isnull=True, invoice_uploaded_at__isnull=False)
        .select_related("number", "city")
    )
    for hold in due:
        with transaction.atomic():
            # The conditional update is the claim: a parallel sweep reminds each hold once.
            if Hold.objects.filter(pk=hold.pk, reminder_sent_at__isnull=True).update(reminder_sent_at=now):
                audit.record(hold, "expiry reminder sent", at=now)
                notices.notify(
                    "plates.hold_expiring",
                    id_number=hold.holder_id_number,
                    city=hold.city,
                    context={"number": hold.number.number, "deadline": deadline_day(hold).isoformat()},
                    dedupe_key=f"plates.hold_expiring:{hold.pk}",
                )
                sent += 1
    return sent


# Blocks announced for one city and plate type in one sweep at most (a guard against a runaway
# estimate; at the default 3-day notice this covers a take of several blocks a day).
MAX_ANNOUNCED_PER_RUN = 10


def _replenish(now=None) -> int:
    """Announce enough blocks that a steady take never brings the pool under its minimum.

    docs/rules.md §2: at least plate_pool_min_available numbers are on offer at every moment.
    A block announced now opens plate_block_announce_days later, so the sweep looks that far
    ahead (plus a day of margin for a late sweep and an uneven day): while
        available now + numbers of the blocks already announced - daily take x lead days
    is under the minimum, it announces the next block. The daily take is the highest of the last
    7 days' (today's so far included: selectors.daily_take). Several blocks may be announced at
    once, and several may be on their way, when the take is high.

    The next block is the oldest draft a clerk defined; without one, the sweep defines it by
    continuing the newest block's first-position range (苏HA000A-C999Z is followed by
    D000A-F999Z), so the pool is replenished even when nobody queued a block.
    """
    now = now or timezone.now()
    announced = 0
    in_service = (
        NumberBlock.objects.filter(status=NumberBlock.Status.OPEN)
        .values_list("city_id", "plate_type")
        .order_by("city_id", "plate_type")
        .distinct()
    )
    for city_id, plate_type in in_service:
        blocks = NumberBlock.objects.filter(city_id=city_id, plate_type=plate_type).select_related("city")
        city = blocks.first().city
        values = citysettings.get_many(city, "plate_pool_min_available", "plate_block_announce_days")
        lead_days = values["plate_block_announce_days"] + 1
        take = selectors.daily_take(city_id, plate_type, now=now)
        coming = sum(blocks.filter(status=NumberBlock.Status.ANNOUNCED).values_list("size", flat=True))
        projected = selectors.pool_available(city_id, plate_type) + coming - take * lead_days
        newest = blocks.order_by("-created_at", "-id").first()
        for _round in range(MAX_ANNOUNCED_PER_RUN):
            if projected >= values["plate_pool_min_available"]:
                break
            nxt = blocks.filter(status=NumberBlock.Status.DRAFT).order_by("created_at", "id").first() or _define_next(
                newest
            )
            if nxt is None:
                log.warning("plates: no further block can be defined for city %s type %s", city_id, plate_type)
                break
            earliest = earliest_opening(city, now)
            try:
                done = block_announce(nxt, opens_at=max(nxt.opens_at or earliest, earliest), now=now)
            except PlateError:  # pragma: no cover - opens_at is never before the earliest here
                break
            announced += done
            projected += nxt.size
            newest = nxt  # the one after it continues from here
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
        city=block.city,
        plate_type=block.plate_type,
        prefix=block.prefix,
        serial_from=serial_from,
        serial_to=serial_to,
        size=size,
    )
