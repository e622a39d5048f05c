"""Violations at scale: 10,000,000 records over 1,000,000 vehicles, and online handling.

Setup (seed_s): a dedicated bench city holds the vehicles and records, seeded by set-based
INSERT ... SELECT (violations/sql.py; the owners' and handlers' ID numbers are encrypted and
keyed in Python and sent as arrays, 50,000 rows a statement, which adds about 8 s per million
vehicles), deferred foreign-key checks off for the load; the records' secondary indexes are dropped for the load and built again after it
(building an index once is far cheaper than maintaining it row by row), then VACUUM ANALYZE.
Citizens own one vehicle each (about 10 records); a clerk of that city searches.

Timed, one request at a time and interleaved in 5 rounds with the baseline's one-query view
(single_db_*), so that all three see the same machine load: a citizen's "my violations" page,
and a clerk's search page (/admin/violations/violation/search/) by plate and by one day
(clerk_*). Then online handling at 64 clients (handle_rps): each request is a citizen
confirming one camera record with an SMS code (sent untimed before), which issues the decision,
records the point and writes the notice. Afterwards SQL checks that no record got two decisions.
"""

import datetime
import random
import time

from bench import common

NAME = "violations"
CITY_CODE = "zzvio"
PASSWORD = "Bench-pass-2026"


def _users(prefix: str, ids: list[str], mobile_base: int):
    """Citizens with these ID numbers (one password hash for all: PBKDF2 is not measured here)."""
    from django.contrib.auth.hashers import make_password

    from portal import identity
    from portal.models import User

    password = make_password(PASSWORD)
    # Bench citizens stand for accounts that passed registry verification (docs/rules.md §1).
    verified_at = datetime.datetime.now(datetime.UTC)
    User.objects.bulk_create(
        [
            User(
                id_number=id_number,
                mobile=f"1{mobile_base + k:010d}",
                real_name=f"{prefix}{k}",
                password=password,
                identity_verified_at=verified_at,
            )
            for k, id_number in enumerate(ids)
        ],
        batch_size=2000,
    )
    users = User.objects.filter(id_number_hash__in=[identity.id_key(i) for i in ids])
    return sorted(users, key=lambda u: u.id_number)


def _seed(city, vehicles: int, rows: int, handlers: int):
    from django.db import connection

    from violations import sql

    started = time.perf_counter()
    with connection.cursor() as cursor:
        first_vehicle = sql.bench_seed(cursor, city_id=city.pk, vehicles=vehicles, rows=rows, handlers=handlers)
    seed_s = time.perf_counter() - started
    return first_vehicle, seed_s


def _cleanup(city):
    from django.db import connection, transaction

    from notices.models import Delivery, Notice
    from portal.models import ClerkProfile
    from violations import sql

    with transaction.atomic(), connection.cursor() as cursor:
        Delivery.objects.filter(notice__city=city).delete()
        Notice.objects.filter(city=city).delete()
        ClerkProfile.objects.filter(city=city).delete()
        sql.bench_cleanup(cursor, city_id=city.pk)
    city.delete()
    with connection.cursor() as cursor:
        cursor.execute("VACUUM ANALYZE portal_vehicle, portal_drivinglicence")


def run(ctx):
    from django.db import connection

    from portal import identity, verification
    from portal.models import City, ClerkProfile, User
    from violations.models import Violation
    from violations.views import HANDLE_PURPOSE

    quick = ctx.quick
    vehicles, rows = (2_000, 20_000) if quick else (1_000_000, 10_000_000)
    handlers = 16 if quick else 1_024
    clients = 4 if quick else 64
    samples = 40 if quick else 200
    leftover = City.objects.filter(code=CITY_CODE).first()
    if leftover is not None:
        _cleanup(leftover)
    city = City.objects.create(
        code=CITY_CODE,
        name="违法基准市",
        name_en="Violations bench",
        division_code="329998",
        plate_prefixes="苏V",
        # Active: a clerk works in the admin of their own city's site (portal.admin_site).
        is_active=True,
        ordering=998,
    )
    try:
        first_vehicle, seed_s = _seed(city, vehicles, rows, handlers)
        host = ctx.host("has")
        clerk_host = ctx.host(CITY_CODE)
        rng = random.Random(122)

        # Citizens: owners of random seeded vehicles (their records are visible to them).
        owner_ids = sorted({f"329903{rng.randrange(1, vehicles - handlers):012d}" for _ in range(50)})
        citizens = _users("车主", owner_ids, 7_000_000_000)
        citizen_jars = [common.session_cookies(u) for u in citizens]
        clerk = User.objects.create_user(
            f"329904{rng.randrange(10**11):012d}", "19900000001", "基准民警", password=PASSWORD, role=User.Role.CLERK
        )
        User.objects.filter(pk=clerk.pk).update(is_staff=True)
        clerk.refresh_from_db()
        ClerkProfile.objects.create(user=clerk, city=city)
        clerk_jar = common.session_cookies(clerk)
        plates = [f"苏V{rng.randrange(1, vehicles):07d}" for _ in range(samples)]
        today = datetime.date.today()
        days = [today - datetime.timedelta(days=1 + rng.randrange(700)) for _ in range(samples)]

        def citizen_get(k):
            return "/violations/", common.session_headers(host, citizen_jars[k % len(citizen_jars)], "/violations/")

        def clerk_get(k):
            if k % 2:
                day = days[k % samples]
                path = f"/admin/violations/violation/search/?occurred_from={day}&occurred_to={day}"
            else:
                path = f"/admin/violations/violation/search/?q={plates[k % samples]}"
            return path, common.session_headers(clerk_host, clerk_jar, "/admin/")

        # Interleaved in rounds, so that the three see the same machine load.
        single, citizen, clerk_lat, page_errors = [], [], [], 0
        rounds = 5
        for r in range(rounds):
            for latencies, request in (
                (single, lambda k: (f"/__bench__/db/?i={k}", {"Host": host})),
                (citizen, citizen_get),
                (clerk_lat, clerk_get),
            ):
                got, errors = common.one_at_a_time(
                    ctx, lambda k, f=request, r=r: f(r * samples + k), samples // rounds, warm=5
                )
                latencies += got
                page_errors += errors

        # Online handling: handlers own one vehicle with one unhandled 1-point camera record each.
        handler_ids = [f"329903{vehicles - handlers + k + 1:012d}" for k in range(handlers)]
        handler_users = _users("驾驶人", handler_ids, 8_000_000_000)
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT v.owner_id_number_hash, r.id FROM violations_violation r "
                "JOIN portal_vehicle v ON v.id = r.vehicle_id "
                "WHERE r.city_id = %s AND r.status = 'unhandled' AND v.owner_id_number_hash = ANY(%s)",
                [city.pk, [identity.id_key(i) for i in handler_ids]],
            )
            record_of = dict(cursor.fetchall())
        # Each code is read as soon as it is sent (the harness runs the SMS task inline): codes
        # live 5 minutes, so the sends stay just ahead of the timed handling that uses them.
        jobs = []
        for user in handler_users:
            verification.send_code(user.mobile, HANDLE_PURPOSE)
            code = common.last_sms_code(user.mobile)
            jobs.append((common.session_cookies(user), record_of[identity.id_key(user.id_number)], code))

        async def warm(client, n):
            await client.get("/__bench__/db/", headers={"Host": host})

        def attempt(client, job):
            jar, record, code = job
            return client.post(
                "/violations/handle/",
                data={"ids": str(record), "confirm": "1", "code": code},
                headers=common.session_headers(host, jar, "/violations/handle/"),
            )

        def accepted(r):
            return r.status_code == 302 and "/decision/" in r.headers.get("location", "")

        handled, beside = common.beside_baseline(
            ctx, lambda: common.rush(ctx, jobs, attempt, accepted, clients=clients, warm=warm)
        )
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT count(*) FROM (SELECT violation_id FROM violations_decision d JOIN violations_violation r "
                "ON r.id = d.violation_id WHERE r.city_id = %s GROUP BY violation_id HAVING count(*) > 1) x",
                [city.pk],
            )
            doubled = cursor.fetchone()[0]
        decided = Violation.objects.filter(city=city, status="decided").count()
        for sample in handled.failures[:3]:
            print(f"[bench violations] handle failure sample: {sample}", flush=True)
        single_p95 = common.ms(single, 95)
        handle_rps = round(len(handled.latencies) / handled.elapsed, 1) if handled.elapsed else 0.0
        return {
            "rows": rows,
            "vehicles": vehicles,
            "seed_s": round(seed_s, 1),
            "citizen_p50_ms": common.ms(citizen, 50),
            "citizen_p95_ms": common.ms(citizen, 95),
            "clerk_p50_ms": common.ms(clerk_lat, 50),
            "clerk_p95_ms": common.ms(clerk_lat, 95),
            "single_db_p50_ms": common.ms(single, 50),
            "single_db_p95_ms": single_p95,
            "handle_rps": handle_rps,
            "handle_p95_ms": common.ms(handled.latencies, 95),
            "handled": len(handled.latencies),
            "handle_errors": len(handled.failures),
            "decided": decided,
            "double_decisions": doubled,
            "page_errors": page_errors,
            **beside,
            "citizen_ratio": round(common.ms(citizen, 95) / single_p95, 2) if single_p95 else None,
            "clerk_ratio": round(common.ms(clerk_lat, 95) / single_p95, 2) if single_p95 else None,
            "handle_ratio": common.ratio(handle_rps, beside["baseline_db_rps"]),
        }
    finally:
        _cleanup(city)
