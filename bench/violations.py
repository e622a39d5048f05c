"""Violations at scale: 10,000,000 records over 1,000,000 vehicles, and online handling.

Setup (seed_s): a dedicated bench city holds the vehicles and records, seeded by set-based
INSERT ... SELECT generate_series (violations/sql.py); the table's secondary indexes are dropped
for the load and built again after it (building an index once is far cheaper than maintaining
it row by row), then VACUUM ANALYZE. Citizens own one vehicle each (about 10 records); a clerk
of that city searches the admin.

Timed, one request at a time (as the baseline's one-query view, single_db_*, is measured here
too): a citizen's "my violations" page, and a clerk's admin search by plate and by date range
(clerk_*). Then online handling at 64 clients (handle_rps): each request is a citizen
confirming one camera record with an SMS code (sent untimed before), which issues the decision,
records the point and writes the notice. Afterwards SQL checks that no record got two decisions.
"""

import asyncio
import datetime
import random
import time

import httpx

from bench import common

NAME = "violations"
CITY_CODE = "zzvio"
PASSWORD = "Bench-pass-2026"


def _session_cookies(user) -> dict:
    from django.conf import settings
    from django.contrib.auth import BACKEND_SESSION_KEY, HASH_SESSION_KEY, SESSION_KEY
    from django.contrib.sessions.backends.cached_db import SessionStore
    from django.utils.crypto import get_random_string

    from portal.auth_backends import remember_user

    session = SessionStore()
    session[SESSION_KEY] = str(user.pk)
    session[BACKEND_SESSION_KEY] = settings.AUTHENTICATION_BACKENDS[0]
    session[HASH_SESSION_KEY] = user.get_session_auth_hash()
    session.create()
    remember_user(user)
    return {settings.SESSION_COOKIE_NAME: session.session_key, "csrftoken": get_random_string(32)}


def _headers(host, jar, referer="/violations/"):
    return {
        "Host": host,
        "Cookie": "; ".join(f"{k}={v}" for k, v in jar.items()),
        "X-CSRFToken": jar.get("csrftoken", ""),
        "Referer": f"http://{host}{referer}",
    }


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


def _one_at_a_time(ctx, paths_and_headers, n):
    """n GETs, one after another, on one keep-alive connection: latencies in seconds."""
    latencies, errors = [], 0
    with httpx.Client(base_url=ctx.base_url, timeout=common.TIMEOUT) as client:
        for k in range(min(20, n)):  # warm the connection and the worker's caches
            path, headers = paths_and_headers(k)
            client.get(path, headers=headers)
        for k in range(n):
            path, headers = paths_and_headers(k)
            t0 = time.perf_counter()
            response = client.get(path, headers=headers)
            if response.status_code == 200:
                latencies.append(time.perf_counter() - t0)
            else:
                errors += 1
    return latencies, errors


def _ms(latencies, p):
    return round(common.percentile(latencies, p) * 1000, 2)


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
        citizen_jars = [_session_cookies(u) for u in citizens]
        clerk = User.objects.create_user(
            f"329904{rng.randrange(10**11):012d}", "19900000001", "基准民警", password=PASSWORD, role=User.Role.CLERK
        )
        User.objects.filter(pk=clerk.pk).update(is_staff=True)
        clerk.refresh_from_db()
        ClerkProfile.objects.create(user=clerk, city=city)
        clerk_jar = _session_cookies(clerk)
        plates = [f"苏V{rng.randrange(1, vehicles):07d}" for _ in range(samples)]
        today = datetime.date.today()

        def citizen_get(k):
            return "/violations/", _headers(host, citizen_jars[k % len(citizen_jars)])

        def clerk_get(k):
            if k % 2:
                day = today - datetime.timedelta(days=1 + rng.randrange(700))
                path = f"/admin/violations/violation/?occurred_from={day}&occurred_to={day}"
            else:
                path = f"/admin/violations/violation/?q={plates[k]}"
            return path, _headers(clerk_host, clerk_jar, "/admin/")

        single, single_errors = _one_at_a_time(ctx, lambda k: (f"/__bench__/db/?i={k}", {"Host": host}), samples)
        citizen, citizen_errors = _one_at_a_time(ctx, citizen_get, samples)
        clerk_lat, clerk_errors = _one_at_a_time(ctx, clerk_get, samples)

        # Online handling: handlers own one vehicle with one unhandled 1-point camera record each.
        handler_ids = [f"329903{vehicles - handlers + k + 1:012d}" for k in range(handlers)]
        handler_users = _users("驾驶人", handler_ids, 8_000_000_000)
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT v.owner_id_number, r.id FROM violations_violation r JOIN portal_vehicle v ON v.id = r.vehicle_id "
                "WHERE r.city_id = %s AND r.status = 'unhandled' AND v.owner_id_number = ANY(%s)",
                [city.pk, handler_ids],
            )
            record_of = dict(cursor.fetchall())
        # Each code is read as soon as it is sent (the harness runs the SMS task inline): codes
        # live 5 minutes, so the sends stay just ahead of the timed handling that uses them.
        jobs = []
        for user in handler_users:
            verification.send_code(user.mobile, HANDLE_PURPOSE)
            code = common.last_sms_code(user.mobile)
            jobs.append((_session_cookies(user), record_of[identity.id_key(user.id_number)], code))

        latencies, failures = [], []

        async def slot(n, start):
            async with httpx.AsyncClient(base_url=ctx.base_url, timeout=common.TIMEOUT) as client:
                await client.get("/__bench__/db/", headers={"Host": host})
                await start.wait()
                for k in range(n, len(jobs), clients):
                    jar, record, code = jobs[k]
                    t0 = time.perf_counter()
                    try:
                        r = await client.post(
                            "/violations/handle/",
                            data={"ids": str(record), "confirm": "1", "code": code},
                            headers=_headers(host, jar, "/violations/handle/"),
                        )
                        ok = r.status_code == 302 and "/decision/" in r.headers.get("location", "")
                    except httpx.HTTPError as exc:
                        ok, r = False, exc
                    if ok:
                        latencies.append(time.perf_counter() - t0)
                    else:
                        failures.append(repr(r)[:120])

        clock = {}

        async def rush():
            start = asyncio.Barrier(clients + 1)
            tasks = [asyncio.create_task(slot(n, start)) for n in range(clients)]
            await start.wait()
            clock["started"] = time.perf_counter()
            await asyncio.gather(*tasks)
            clock["elapsed"] = time.perf_counter() - clock["started"]

        asyncio.run(rush())
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT count(*) FROM (SELECT violation_id FROM violations_decision d JOIN violations_violation r "
                "ON r.id = d.violation_id WHERE r.city_id = %s GROUP BY violation_id HAVING count(*) > 1) x",
                [city.pk],
            )
            doubled = cursor.fetchone()[0]
        decided = Violation.objects.filter(city=city, status="decided").count()
        for sample in failures[:3]:
            print(f"[bench violations] handle failure sample: {sample}", flush=True)
        single_p95 = _ms(single, 95)
        db_rps = ctx.baseline.get("db_rps")
        handle_rps = round(len(latencies) / clock["elapsed"], 1) if clock.get("elapsed") else 0.0
        return {
            "rows": rows,
            "vehicles": vehicles,
            "seed_s": round(seed_s, 1),
            "citizen_p50_ms": _ms(citizen, 50),
            "citizen_p95_ms": _ms(citizen, 95),
            "clerk_p50_ms": _ms(clerk_lat, 50),
            "clerk_p95_ms": _ms(clerk_lat, 95),
            "single_db_p50_ms": _ms(single, 50),
            "single_db_p95_ms": single_p95,
            "handle_rps": handle_rps,
            "handle_p95_ms": _ms(latencies, 95),
            "handled": len(latencies),
            "handle_errors": len(failures),
            "decided": decided,
            "double_decisions": doubled,
            "page_errors": single_errors + citizen_errors + clerk_errors,
            "baseline_db_rps": db_rps,
            "citizen_ratio": round(_ms(citizen, 95) / single_p95, 2) if single_p95 else None,
            "clerk_ratio": round(_ms(clerk_lat, 95) / single_p95, 2) if single_p95 else None,
            "handle_ratio": round(handle_rps / db_rps, 3) if db_rps else None,
        }
    finally:
        _cleanup(city)
