"""Registry sweep benchmark: inspection, scrapping, licence and points notices over >= 1M rows.

Seeds vehicles and licences straight into portal's tables with INSERT ... SELECT generate_series
(a dedicated, inactive city, removed afterwards), with a spread of dates so a realistic share is
due (about 1 in 8 vehicles within 3 months of its inspection date or overdue, about 1 in 20
licences near or past expiry, 2% with 9+ points, 2% of holders aged 70 or more, 5% holding a B2
licence). Then times the real service function
(notices.services.sweep), runs it again at once (must
create nothing), and times the same selection written as one SQL statement (sql_baseline_s):
the rules' SELECTs joined by UNION ALL, computing the same rows (recipient, kind, context,
dedupe key) without inserting them. The duties after each points cycle (70+ medical, A/B review)
are not one INSERT ... SELECT (the certificates and violations apps are asked in between), so the
baselines leave them out; sweep_s includes them (new_medical, new_review).
"""

import re
import time

from django.db import DatabaseError, connection, transaction

NAME = "notices"
CITY_CODE = "zzbench"

_SEED_VEHICLES = """
INSERT INTO portal_vehicle (city_id, vin, conformity_cert_number, plate_number, plate_type, owner_id_number,
    owner_id_number_hash, owner_name, kind, is_commercial, is_van, seats, brand, model_name, manufactured_on, registered_on,
    inspection_valid_until, status)
SELECT %(city)s, 'BNCH' || lpad(i::text, 13, '0'), '', '苏Z' || lpad(i::text, 7, '0'), '02',
       e.enc, e.hash, '车主',
       CASE WHEN r1 < 0.80 THEN 'small_passenger' WHEN r1 < 0.88 THEN 'truck' WHEN r1 < 0.92 THEN 'large_passenger'
            WHEN r1 < 0.98 THEN 'motorcycle' ELSE 'other' END,
       r2 < 0.10, r2 > 0.95, CASE WHEN r2 > 0.90 THEN 7 ELSE 5 END, '', '', NULL,
       current_date - (r3 * 16 * 365)::int,
       CASE WHEN r4 < 0.88 THEN current_date + (r5 * 730)::int
            WHEN r4 < 0.97 THEN current_date - 1 - (r5 * 364)::int
            ELSE current_date - 365 - (r5 * 1825)::int END,
       CASE WHEN r4 > 0.99 THEN 'deregistered' WHEN r4 >= 0.88 THEN 'overdue' ELSE 'normal' END
FROM (SELECT i, random() r1, random() r2, random() r3, random() r4, random() r5
      FROM generate_series(%(lo)s, %(hi)s) AS i) s
JOIN unnest(%(enc)s::text[], %(hash)s::text[]) WITH ORDINALITY AS e(enc, hash, k) ON e.k = s.i - %(lo)s + 1
ORDER BY s.i
"""

_SEED_LICENCES = """
INSERT INTO portal_drivinglicence (city_id, id_number, id_number_hash, file_number, holder_name, holder_born_on,
    licence_class, first_issued_on, valid_from, valid_until, points, cycle_start, status)
SELECT %(city)s, e.enc, e.hash, 'B' || lpad(i::text, 11, '0'), '驾驶人',
       CASE WHEN r5 < 0.02 THEN current_date - 25567 - (r6 * 3650)::int ELSE current_date - 6575 - (r6 * 18250)::int END,
       CASE WHEN r5 > 0.95 THEN 'B2' ELSE 'C1' END,
       current_date - 3650, current_date - 1000,
       CASE WHEN r1 < 0.05 THEN NULL
            WHEN r1 < 0.95 THEN current_date + (r2 * 6 * 365)::int
            WHEN r1 < 0.98 THEN current_date - 1 - (r2 * 364)::int
            ELSE current_date - 366 - (r2 * 700)::int END,
       CASE WHEN r3 < 0.95 THEN (r4 * 4)::int WHEN r3 < 0.98 THEN 4 + (r4 * 4)::int
            WHEN r3 < 0.995 THEN 9 + (r4 * 2)::int ELSE 12 END,
       current_date - (r4 * 364)::int,
       CASE WHEN r1 >= 0.98 THEN 'cancelled' ELSE 'normal' END
FROM (SELECT i, random() r1, random() r2, random() r3, random() r4, random() r5, random() r6
      FROM generate_series(%(lo)s, %(hi)s) AS i) s
JOIN unnest(%(enc)s::text[], %(hash)s::text[]) WITH ORDINALITY AS e(enc, hash, k) ON e.k = s.i - %(lo)s + 1
ORDER BY s.i
"""

# Rows per seeding statement: ID numbers are encrypted and keyed in Python (portal.idfields;
# SQL has neither key) and handed over as two arrays of this length.
_BATCH = 50_000


def _seed_people(cursor, statement: str, prefix: str, city_id: int, n: int) -> None:
    from portal import identity, idfields

    for lo in range(1, n + 1, _BATCH):
        hi = min(lo + _BATCH - 1, n)
        numbers = [f"{prefix}{i:012d}" for i in range(lo, hi + 1)]
        cursor.execute(
            statement,
            {
                "city": city_id,
                "lo": lo,
                "hi": hi,
                "enc": [idfields.encrypt_id(x) for x in numbers],
                "hash": [identity.id_key(x) for x in numbers],
            },
        )


def _seed(city, n: int) -> None:
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("SELECT setseed(0.122)")
        _seed_people(cursor, _SEED_VEHICLES, "329901", city.pk, n)
        _seed_people(cursor, _SEED_LICENCES, "329902", city.pk, n)
    # Settle the seeded rows as a live registry would be: hint bits and visibility map set,
    # statistics fresh, and the seeding's WAL checkpointed. Otherwise the sweep, the first
    # reader, would pay for that and the baseline, which runs after it, would not.
    with connection.cursor() as cursor:
        cursor.execute("VACUUM ANALYZE portal_vehicle, portal_drivinglicence, notices_notice")
        try:
            cursor.execute("CHECKPOINT")
        except DatabaseError:  # not a superuser: the timings just get noisier
            pass


def _cleanup(city) -> None:
    from notices.models import Announcement, Delivery, Notice
    from portal.models import DrivingLicence, Vehicle

    with transaction.atomic():
        Delivery.objects.filter(notice__city=city).delete()
        with connection.cursor() as cursor:
            cursor.execute("DELETE FROM notices_notice WHERE city_id = %s", [city.pk])
            cursor.execute("DELETE FROM notices_announcement WHERE city_id = %s", [city.pk])
        Vehicle.objects.filter(city=city)._raw_delete(connection.alias)
        DrivingLicence.objects.filter(city=city)._raw_delete(connection.alias)
        assert not Notice.objects.filter(city=city).exists() and not Announcement.objects.filter(city=city).exists()
    city.delete()
    # Two million dead rows would slow every later bench module that reads the registry.
    with connection.cursor() as cursor:
        cursor.execute("VACUUM ANALYZE portal_vehicle, portal_drivinglicence, notices_notice, notices_announcement")


def baseline_sql() -> str:
    """The rules' selections as one statement: SELECTs of every rule under one UNION ALL."""
    from notices.services import sweeps

    selects = []
    for _, sql in sweeps.RULES:
        body = re.sub(r"^\s*INSERT INTO \w+\s*\([^)]*\)\s*", "", sql, count=1, flags=re.S)
        body = body.replace("ON CONFLICT (dedupe_key) DO NOTHING", "")
        # Aggregating every output column makes PostgreSQL compute them (unreferenced subquery
        # columns would be dropped); the row count is what the baseline reports.
        cols = "id_number, kind, context, dedupe_key" if "notices_notice" in sql else "kind, context, dedupe_key"
        sizes = " + ".join(f"pg_column_size({c})" for c in cols.split(", "))
        selects.append(f"SELECT count(*) AS n, sum({sizes}) AS bytes FROM ({body}) AS r")
    return "SELECT sum(n), sum(bytes) FROM (" + " UNION ALL ".join(selects) + ") AS t"


def insert_baseline_sql() -> str:
    """The same rows written by one hand-written INSERT ... SELECT into a scratch copy of the
    notice table (same columns and indexes): what writing them costs the database at least."""
    from notices.services import sweeps

    selects = []
    for _, sql in sweeps.RULES:
        if "INSERT INTO notices_notice" not in sql:
            continue
        body = re.sub(r"^\s*INSERT INTO \w+\s*\([^)]*\)\s*", "", sql, count=1, flags=re.S)
        selects.append(body.replace("ON CONFLICT (dedupe_key) DO NOTHING", ""))
    return (
        "INSERT INTO notices_bench_scratch (id_number, id_number_hash, city_id, kind, context, dedupe_key, created_at) "
        + " UNION ALL ".join(f"({s})" for s in selects)
    )


def _time_insert_baseline(params) -> float:
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("CREATE TABLE notices_bench_scratch (LIKE notices_notice INCLUDING ALL)")
        started = time.perf_counter()
        cursor.execute(insert_baseline_sql(), params)
        elapsed = time.perf_counter() - started
        transaction.set_rollback(True)  # drops the scratch table with its rows
    return elapsed


def run(ctx) -> dict:
    from django.utils import timezone

    from notices import services
    from notices.services import sweeps
    from portal.models import City, DrivingLicence, Vehicle

    n = 20_000 if ctx.quick else 1_000_000
    leftover = City.objects.filter(code=CITY_CODE).first()
    if leftover is not None:  # an interrupted earlier run
        _cleanup(leftover)
    city = City.objects.create(
        code=CITY_CODE,
        name="基准测试市",
        name_en="Bench",
        division_code="329999",
        plate_prefixes="苏Z",
        is_active=False,
        ordering=999,
    )
    try:
        _seed(city, n)
        rows = Vehicle.objects.count() + DrivingLicence.objects.count()
        now = timezone.now()

        started = time.perf_counter()
        created = services.sweep(now=now)
        sweep_s = time.perf_counter() - started
        second = services.sweep(now=now)

        city_ids, void_days = sweeps._city_void_days()
        params = {"today": timezone.localdate(now), "now": now, "city_ids": city_ids, "void_days": void_days}
        started = time.perf_counter()
        with connection.cursor() as cursor:
            cursor.execute(baseline_sql(), params)
            selected = cursor.fetchone()[0]
        sql_baseline_s = time.perf_counter() - started
        sql_insert_baseline_s = _time_insert_baseline(params)
        notices_created = sum(created.values())
        return {
            "rows": rows,
            "sweep_s": sweep_s,
            "rows_per_s": round(rows / sweep_s),
            "notices": notices_created,
            "second_run_notices": sum(second.values()),
            "sql_baseline_s": sql_baseline_s,
            "baseline_rows": int(selected or 0),
            "sql_insert_baseline_s": sql_insert_baseline_s,
            **{f"new_{k}": v for k, v in created.items()},
        }
    finally:
        _cleanup(city)
