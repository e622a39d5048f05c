"""Reads of the preselection data: the random draw, the picker, the public block page, and what
other apps may ask (a citizen's live holds)."""

import datetime
import random
import time

from django.core.cache import cache
from django.db import connection
from django.db.models import Count, Exists, F, IntegerField, OuterRef, Q, Subquery, Value
from django.db.models.functions import Coalesce, TruncDate
from django.utils import timezone

from plates import ga36
from plates.models import Ban, Hold, NumberBlock, PlateNumber, PlateType, RandomBatch, Selection
from portal import citysettings, identity
from portal.models import Vehicle

_TABLE = PlateNumber._meta.db_table


def draw_numbers(city_id: int, plate_type: str, k: int, *, avoid_four=False, contains="", ends_with="") -> list[str]:
    """Up to k available numbers in random order, without ORDER BY random() over the pool.

    Every number got a random sort_key when it was created, so the numbers following a random
    point of the partial index (status = 'available') are a uniform sample of the pool; the
    second branch wraps around past the end. The Append node stops once k rows have come, so
    the cost is an index range scan of about k rows whatever the pool size.
    """
    start = random.random()
    extra, params = "", []
    if avoid_four:
        extra += " AND strpos(serial, '4') = 0"
    if contains:
        extra += " AND strpos(serial, %s) > 0"
        params.append(contains)
    if ends_with:
        extra += " AND right(serial, %s) = %s"
        params += [len(ends_with), ends_with]
    branch = (
        f"SELECT number, sort_key FROM {_TABLE} WHERE city_id = %s AND plate_type = %s AND status = 'available'"
        f" AND sort_key {{op}} %s{extra} ORDER BY sort_key LIMIT %s"
    )
    sql = f"SELECT number FROM (({branch.format(op='>=')}) UNION ALL ({branch.format(op='<')})) AS drawn LIMIT %s"
    args = [city_id, plate_type, start, *params, k, city_id, plate_type, start, *params, k, k]
    with connection.cursor() as cursor:
        cursor.execute(sql, args)
        return [row[0] for row in cursor.fetchall()]


_PICKER_FRESH_SECONDS = 30


def picker_characters(city_id: int, plate_type: str) -> list[str]:
    """For each serial position, the characters still found there among available numbers.

    One scan of the city's available numbers, fresh for 30 s: the picker is a convenience, the
    claim itself re-checks availability in the database. When a block opens, a rush of pickers
    arrives at once on a cold cache; so only the request that wins a Redis lock scans, the others
    keep showing the previous picker, or wait briefly for the first one.
    """
    key = f"plates:picker:{city_id}:{plate_type}"
    cached = cache.get(key)
    if cached is not None and cached["fresh_until"] > time.time():
        return cached["positions"]
    if cache.add(f"{key}:lock", 1, timeout=10):
        try:
            # Another request may have stored a fresh picker between our read and our lock.
            latest = cache.get(key)
            if latest is not None and latest["fresh_until"] > time.time():
                return latest["positions"]
            positions = _scan_picker(city_id, plate_type)
            cache.set(key, {"positions": positions, "fresh_until": time.time() + _PICKER_FRESH_SECONDS}, timeout=600)
        finally:
            cache.delete(f"{key}:lock")
        return positions
    if cached is not None:
        return cached["positions"]
    for _ in range(40):
        time.sleep(0.05)
        cached = cache.get(key)
        if cached is not None:
            return cached["positions"]
    return _scan_picker(city_id, plate_type)


def _scan_picker(city_id: int, plate_type: str) -> list[str]:
    length = ga36.SERIAL_LENGTH[plate_type]
    columns = ", ".join(f"array_agg(DISTINCT substr(serial, {i}, 1))" for i in range(1, length + 1))
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT {columns} FROM {_TABLE} WHERE city_id = %s AND plate_type = %s AND status = 'available'",
            [city_id, plate_type],
        )
        row = cursor.fetchone()
    order = {c: i for i, c in enumerate(ga36.ALPHABET)}
    return ["".join(sorted(chars or [], key=lambda c: order.get(c, 99))) for chars in row]


def _active_bans(id_key: str, now):
    return Ban.objects.filter(id_number_hash=id_key, lifted_at__isnull=True, starts_at__lte=now, ends_at__gt=now)


def active_ban(id_number: str) -> Ban | None:
    return _active_bans(identity.id_key(id_number), timezone.now()).order_by("-ends_at").first()


def is_banned(citizen, now) -> Exists:
    """active_ban as an expression, for a read that annotates it (the confirmation's locking
    read: one round trip less on the rush path). By the account's stored key of its ID number,
    which the cached logged-in user carries (its ID number it does not: a query to read it)."""
    return Exists(_active_bans(citizen.id_number_hash, now))


def eligible_vehicles(user, city):
    """New vehicles in the citizen's name in this city without a plate, of a selectable type."""
    return (
        user_vehicles(user, city)
        .filter(status="new", plate_number__isnull=True, plate_type__in=ga36.PLATE_TYPES)
        .order_by("id")
    )


def user_vehicles(user, city):
    return Vehicle.objects.owned_by(user.id_number).filter(city=city)


def citizen_selection(pk: int, citizen, city, *, with_vehicle: bool = False) -> Selection | None:
    """The citizen's selection in this city, or None. The city and citizen are the caller's (the
    filter just matched them) rather than joined.

    The selection pages' panel shows the vehicle's brand, model and VIN: they come as annotations
    (vehicle_brand, vehicle_model_name, vehicle_vin). The whole vehicle row (with_vehicle, for the
    SMS page's vehicle data) costs about 1,200 Python calls more: a second model instance and the
    decryption of the owner's ID number, which the other pages never show."""
    # The primary key matches one row at most: no first(), whose ORDER BY and LIMIT cost a
    # quarter of this read's Python on every selection page.
    selections = Selection.objects.annotate(
        vehicle_brand=F("vehicle__brand"), vehicle_model_name=F("vehicle__model_name"), vehicle_vin=F("vehicle__vin")
    )
    if with_vehicle:
        selections = selections.select_related("vehicle")
    rows = list(selections.filter(pk=pk, citizen_id=citizen.pk, city_id=city.pk))
    if not rows:
        return None
    selection = rows[0]
    selection.city, selection.citizen = city, citizen
    return selection


def device_citizens_of_row(since) -> Coalesce:
    """How many other citizens the selection's device (the plates_device cookie of one browser)
    selected for since `since`: the scalper flag, docs/rules.md §2. A shared address alone (a
    campus, a company, a carrier's NAT) is no evidence of one operator and flags nothing, and an
    empty device key matches nothing. An expression over the Selection row of the outer query:
    the confirmation's locking read annotates it (one round trip less on the rush path)."""
    others = (
        Selection.objects.filter(created_at__gte=since, device_key=OuterRef("device_key"))
        .exclude(device_key="")
        .exclude(citizen_id=OuterRef("citizen_id"))
        .order_by()
        .values("device_key")
        .annotate(n=Count("citizen_id", distinct=True))
        .values("n")
    )
    return Coalesce(Subquery(others[:1]), Value(0), output_field=IntegerField())


def live_backups(selection: Selection) -> list[PlateNumber]:
    """The selection's unexpired backups, the soonest to expire first.

    The query filters on claimed_selection alone, on purpose, and the rest is done here (a
    selection has claimed a handful of numbers at most). With the status or the expiry in the
    WHERE clause, PostgreSQL prefers the partial index on live backups, which its statistics,
    taken before a block opened, call empty: it then reads every live backup in the city, all
    of a rush's, on each page view.
    """
    now = timezone.now()
    claimed = PlateNumber.objects.filter(claimed_selection=selection)
    live = [n for n in claimed if n.status == PlateNumber.Status.BACKUP and n.claim_expires_at > now]
    return sorted(live, key=lambda n: n.claim_expires_at)


def live_batch(selection: Selection) -> RandomBatch | None:
    return selection.batches.filter(expires_at__gt=timezone.now()).first()


def live_holds_for(user):
    """The citizen's held (not yet registered) numbers: for their pages and other apps."""
    return Hold.objects.filter(
        holder_id_number_hash=identity.id_key(user.id_number), status=Hold.Status.HELD
    ).select_related("number", "vehicle", "city")


def pool_available(city_id: int, plate_type: str) -> int:
    return PlateNumber.objects.filter(
        city_id=city_id, plate_type=plate_type, status=PlateNumber.Status.AVAILABLE
    ).count()


def daily_take(city_id: int, plate_type: str, *, now=None, days: int = 7) -> int:
    """The pool's recent daily take: the most numbers that left it on one local day of the last
    `days` days, today's so far included (numbers held or registered, by taken_at; a lapsed
    number back in the pool no longer counts). The highest day, not the mean, so that a busy
    week is planned for, not averaged away."""
    now = now or timezone.now()
    since = timezone.make_aware(
        datetime.datetime.combine(timezone.localdate(now) - datetime.timedelta(days=days - 1), datetime.time())
    )
    rows = (
        PlateNumber.objects.filter(city_id=city_id, plate_type=plate_type, taken_at__gte=since, taken_at__lte=now)
        .annotate(day=TruncDate("taken_at"))
        .values("day")
        .annotate(n=Count("id"))
        .values_list("n", flat=True)
    )
    return max(rows, default=0)


def pool_summary(city) -> list[dict]:
    """Per plate type in service: the numbers on offer now against the city's minimum, the
    numbers of the announced blocks on their way, and the recent daily take (public page)."""
    key = f"plates:pool:{city.pk}"
    rows = cache.get(key)
    if rows is None:
        rows = _pool_rows(city)
        cache.set(key, rows, 30)
    # Labels in the request's language, outside the shared cache.
    return [{**row, "label": PlateType(row["plate_type"]).label} for row in rows]


def _pool_rows(city) -> list[dict]:
    minimum = citysettings.get(city, "plate_pool_min_available")
    types = (
        NumberBlock.objects.filter(city=city, status=NumberBlock.Status.OPEN)
        .values_list("plate_type", flat=True)
        .distinct()
        .order_by("plate_type")
    )
    rows = []
    for plate_type in types:
        coming = NumberBlock.objects.filter(city=city, plate_type=plate_type, status=NumberBlock.Status.ANNOUNCED)
        available = pool_available(city.pk, plate_type)
        rows.append(
            {
                "plate_type": plate_type,
                "available": available,
                "minimum": minimum,
                "below": available < minimum,
                "coming": sum(coming.values_list("size", flat=True)),
                "take": daily_take(city.pk, plate_type),
            }
        )
    return rows


def block_rows(city):
    """Open and announced blocks of a city with their numbers left and taken (public page, stats).

    Counting a large pool is a scan: the public figures are cached for 30 seconds."""
    key = f"plates:blocks:{city.pk}"
    cached = cache.get(key)
    if cached is not None:
        return cached
    blocks = list(
        NumberBlock.objects.filter(city=city, status__in=[NumberBlock.Status.OPEN, NumberBlock.Status.ANNOUNCED])
        .annotate(
            available=Count("numbers", filter=Q(numbers__status=PlateNumber.Status.AVAILABLE)),
            taken=Count(
                "numbers", filter=Q(numbers__status__in=[PlateNumber.Status.HELD, PlateNumber.Status.REGISTERED])
            ),
        )
        .order_by("plate_type", "status", "opens_at", "id")
    )
    cache.set(key, blocks, 30)
    return blocks


def taken_per_day(city, days=14) -> list[tuple[datetime.date, int]]:
    since = timezone.localdate() - datetime.timedelta(days=days - 1)
    rows = (
        Hold.objects.filter(city=city, selected_on__gte=since)
        .values("selected_on")
        .annotate(n=Count("id"))
        .order_by("-selected_on")
    )
    return [(row["selected_on"], row["n"]) for row in rows]
