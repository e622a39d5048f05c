"""Hand-written SQL of the violations app: set-based bulk seeding for `make bench` only.

Why not the ORM: ten million records are written by one INSERT ... SELECT generate_series per
table (minutes instead of hours of per-object saves), with the table's secondary indexes dropped
for the load and built once afterwards. Nothing here runs in a request.

ID numbers are stored encrypted with their keyed hash beside them (portal.idfields, docs/rules.md
§1), neither of which SQL can compute without the keys: the owners' and handlers' numbers are
encrypted and hashed in Python and handed to the INSERT as two arrays, a batch at a time.
"""

from portal import identity, idfields

# Rows per INSERT when ID numbers come from Python (two arrays of this length per statement).
_BATCH = 50_000

_VEHICLES = """
INSERT INTO portal_vehicle (city_id, vin, conformity_cert_number, engine_number, plate_number, plate_type,
    owner_id_number, owner_id_number_hash, owner_name, kind, is_commercial, is_van, seats, brand, model_name,
    manufactured_on, registered_on, inspection_valid_until, status)
SELECT %(city)s, 'VIOB' || lpad(i::text, 13, '0'), '', 'EV' || lpad(i::text, 10, '0'), '苏V' || lpad(i::text, 7, '0'),
       '02', e.enc, e.hash, '车主', 'small_passenger', false, false, 5, '', '', NULL,
       current_date - 1000, current_date + 400, 'normal'
FROM unnest(%(enc)s::text[], %(hash)s::text[]) WITH ORDINALITY AS e(enc, hash, k)
CROSS JOIN LATERAL (SELECT %(lo)s + e.k - 1 AS i) AS x
ORDER BY e.k
"""

# Records spread over every vehicle but the handlers' (the last `handlers` vehicles), two years
# back, with the statuses a live table has: most paid, some decided, unhandled, objected, deleted.
_RECORDS = """
INSERT INTO violations_violation (city_id, vehicle_id, plate_number, code_id, occurred_at, place, fine, points,
    source, status, entered_at, notify_by, notified_at, deleted_reason, entered_by_id)
SELECT %(city)s, %(first)s + v, '苏V' || lpad((v + 1)::text, 7, '0'), (%(codes)s::bigint[])[1 + c],
       t, '基准路口' || (g %% 977), (%(fines)s::numeric[])[1 + c], (%(points)s::int[])[1 + c],
       CASE WHEN r < 0.9 THEN 'camera' ELSE 'onsite' END,
       CASE WHEN s < 0.85 THEN 'paid' WHEN s < 0.92 THEN 'decided' WHEN s < 0.98 THEN 'unhandled'
            WHEN s < 0.99 THEN 'objected' ELSE 'deleted' END,
       t + interval '1 day', (t + interval '6 days')::date, t + interval '1 day',
       CASE WHEN s >= 0.99 THEN '号牌识别错误' ELSE '' END, NULL
FROM (SELECT g, (g %% %(spread)s) AS v, (g %% %(ncodes)s) AS c, random() AS r, random() AS s,
             now() - interval '2 days' - (random() * interval '730 days') AS t
      FROM generate_series(1, %(rows)s) AS g) AS x
"""

# One unhandled 1-point camera record for each handler's vehicle (online handling at 64 clients).
_HANDLER_RECORDS = """
INSERT INTO violations_violation (city_id, vehicle_id, plate_number, code_id, occurred_at, place, fine, points,
    source, status, entered_at, notify_by, notified_at, deleted_reason, entered_by_id)
SELECT %(city)s, %(first)s + v, '苏V' || lpad((v + 1)::text, 7, '0'), %(code)s, now() - interval '1 day',
       '基准路口', 100, 1, 'camera', 'unhandled', now() - interval '1 hour', current_date + 5, now(), '', NULL
FROM generate_series(%(from)s, %(to)s) AS v
"""

_HANDLER_LICENCES = """
INSERT INTO portal_drivinglicence (city_id, id_number, id_number_hash, file_number, holder_name, licence_class,
    first_issued_on, valid_from, valid_until, points, cycle_start, status)
SELECT %(city)s, e.enc, e.hash, 'V' || lpad(i::text, 11, '0'), '驾驶人', 'C1',
       current_date - 3650, current_date - 1000, current_date + 2000, 0, current_date - 100, 'normal'
FROM unnest(%(enc)s::text[], %(hash)s::text[]) WITH ORDINALITY AS e(enc, hash, k)
CROSS JOIN LATERAL (SELECT %(lo)s + e.k - 1 AS i) AS x
ORDER BY e.k
"""


def bench_id_number(i: int) -> str:
    """The seeded owner of vehicle number i (1-based) and holder of licence number i."""
    return f"329903{i:012d}"


def _insert_people(cursor, statement: str, params: dict, first: int, last: int) -> None:
    """Run `statement` for numbers first..last in batches, with the encrypted ID numbers (`enc`)
    and their look-up keys (`hash`) of bench_id_number(i) as arrays."""
    for lo in range(first, last + 1, _BATCH):
        numbers = [bench_id_number(i) for i in range(lo, min(lo + _BATCH, last + 1))]
        cursor.execute(
            statement,
            {
                **params,
                "lo": lo,
                "enc": [idfields.encrypt_id(n) for n in numbers],
                "hash": [identity.id_key(n) for n in numbers],
            },
        )


def _superuser(cursor) -> bool:
    cursor.execute("SELECT rolsuper FROM pg_roles WHERE rolname = current_user")
    row = cursor.fetchone()
    return bool(row and row[0])


def bench_seed(cursor, *, city_id: int, vehicles: int, rows: int, handlers: int) -> int:
    """Seed the bench city; returns the first vehicle id (ids of one INSERT are consecutive)."""
    cursor.execute("SELECT setseed(0.122)")
    if _superuser(cursor):
        # Django's foreign keys are DEFERRABLE INITIALLY DEFERRED: each inserted row queues a
        # check that runs at the end of the statement (a million for the vehicles, ten million
        # for the records), costing more than the load itself; the ids are correct by
        # construction. Only a superuser may switch them off; otherwise the load is just slower.
        cursor.execute("SET session_replication_role = replica")
    _insert_people(cursor, _VEHICLES, {"city": city_id}, 1, vehicles)
    cursor.execute("SELECT min(id), max(id), count(*) FROM portal_vehicle WHERE city_id = %s", [city_id])
    first, last, count = cursor.fetchone()
    if last - first + 1 != count:
        raise RuntimeError("seeded vehicle ids are not consecutive")
    cursor.execute("SELECT id, fine_max, points FROM violations_violationcode WHERE online_allowed ORDER BY code")
    codes = cursor.fetchall()
    cursor.execute(
        "SELECT indexname, indexdef FROM pg_indexes WHERE tablename = 'violations_violation' "
        "AND indexname <> 'violations_violation_pkey'"
    )
    indexes = cursor.fetchall()
    for name, _definition in indexes:
        cursor.execute(f'DROP INDEX "{name}"')
    try:
        cursor.execute(
            _RECORDS,
            {
                "city": city_id,
                "first": first,
                "spread": vehicles - handlers,
                "codes": [c[0] for c in codes],
                "fines": [c[1] for c in codes],
                "points": [c[2] for c in codes],
                "ncodes": len(codes),
                "rows": rows,
            },
        )
        cursor.execute("SELECT id FROM violations_violationcode WHERE code = '1344'")
        params = {"city": city_id, "first": first, "from": vehicles - handlers, "to": vehicles - 1}
        cursor.execute(_HANDLER_RECORDS, {**params, "code": cursor.fetchone()[0]})
        # Licence v + 1 is held by the owner of vehicle v + 1 (bench_id_number).
        _insert_people(cursor, _HANDLER_LICENCES, {"city": city_id}, vehicles - handlers + 1, vehicles)
    finally:
        cursor.execute("SET session_replication_role = DEFAULT")
        cursor.execute("SET maintenance_work_mem = '512MB'")
        for _name, definition in indexes:
            cursor.execute(definition)
        cursor.execute("RESET maintenance_work_mem")
    # Settled as a live table is: hint bits and visibility map set, statistics fresh (else
    # autovacuum does it for ten million new rows in the middle of the timed requests).
    cursor.execute("VACUUM ANALYZE portal_vehicle, portal_drivinglicence, violations_violation")
    return first


def bench_cleanup(cursor, *, city_id: int) -> None:
    """Remove what bench_seed and the timed handling wrote. The bench database holds no other
    violation records (it is made from the migrations for each run), so the violation tables
    are truncated rather than ten million rows deleted one by one."""
    cursor.execute(
        "TRUNCATE violations_violation, violations_decision, violations_objection, violations_objectionphoto, "
        "violations_historicalviolation, violations_historicaldecision"
    )
    cursor.execute("DELETE FROM portal_historicaldrivinglicence WHERE city_id = %s", [city_id])
    cursor.execute("DELETE FROM portal_drivinglicence WHERE city_id = %s", [city_id])
    # Deleting a million vehicles queues one deferred foreign-key check per row and referencing
    # table (minutes at commit); the tables of violations that reference them were emptied just
    # above, and nothing else refers to the bench city's vehicles. Needs a superuser.
    if _superuser(cursor):
        cursor.execute("SET LOCAL session_replication_role = replica")
    cursor.execute("DELETE FROM portal_vehicle WHERE city_id = %s", [city_id])
