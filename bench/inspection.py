"""Inspection booking under a rush (issue 19): `clients` concurrent citizens (64; quick 4), each
slot holding `per_client` logged-in owners (8; quick 1) of a car due for its on-site inspection,
book the same morning's slots at two stations over HTTP through gunicorn.

The morning's 6 slots hold three quarters of the owners, so the rush both fills slots and is
refused at full ones: every POST is a real booking decision (the conditional UPDATE of
docs/architecture.md "Scarce things under a rush"). Before the clock each client slot books one
car of its own into a slot of another day (not counted), so workers and database connections are
warm, as in bench/exams.py.

book_rps: booking POSTs decided per second over the rush (a place taken, or refused as full);
booked_rps: places taken per second; over_capacity: slots whose active bookings exceed their
capacity, or whose counter disagrees with their bookings, counted in SQL afterwards (must be 0).
"""

import asyncio
import datetime
import math
import random
import time

import httpx

from bench import common

NAME = "inspection"
PASSWORD = "Bench-pass-123"
MORNING = [(8, 30), (9, 30), (10, 30)]


def _seed(n_users, n_warm):
    from django.contrib.auth.hashers import make_password
    from django.utils import timezone

    from exams.models import InspectionSlot, InspectionStation
    from portal import identity
    from portal.models import City, User, Vehicle

    city = City.objects.get(code="has")
    tag = common.unique_suffix()
    stations = [
        InspectionStation.objects.create(
            city=city,
            name=f"bench-station-{tag}-{i}",
            address="淮安",
            lanes=4,
            vehicle_kinds=["small_passenger"],
            opens_at=datetime.time(8, 30),
            closes_at=datetime.time(17, 0),
            slot_capacity=10,
        )
        for i in range(2)
    ]
    day = timezone.localdate() + datetime.timedelta(days=3)
    per_slot = math.ceil(n_users * 3 / 4 / (len(stations) * len(MORNING)))
    slots = [
        InspectionSlot.objects.create(
            city=city,
            station=station,
            date=day,
            starts_at=datetime.time(h, m),
            ends_at=datetime.time(h + 1, m),
            capacity=per_slot,
        )
        for station in stations
        for h, m in MORNING
    ]
    warm_slot = InspectionSlot.objects.create(
        city=city,
        station=stations[0],
        date=day + datetime.timedelta(days=1),
        starts_at=datetime.time(8, 30),
        ends_at=datetime.time(9, 30),
        capacity=n_warm,
    )
    password = make_password(PASSWORD)  # one hash for all: seeding must not cost n x PBKDF2
    verified_at = datetime.datetime.now(datetime.UTC)

    # A region code and a mobile block of this module's own (other modules' users never collide).
    # ID numbers are encrypted (portal.idfields): the first free block is found by their keys.
    def numbers(base):
        return [
            identity.make_id_number("320893", datetime.date(1960, 1, 1) + datetime.timedelta(days=base + i), i % 1000)
            for i in range(n_users + n_warm)
        ]

    base = 0
    while User.objects.filter(id_number_hash__in=[identity.id_key(n) for n in numbers(base)]).exists():
        base += n_users + n_warm
    offset = random.randrange(10**6)
    users = [
        User(
            id_number=number,
            mobile=f"1377{(offset + i) % 10**7:07d}",
            real_name=f"车主{i}",
            password=password,
            identity_verified_at=verified_at,
        )
        for i, number in enumerate(numbers(base))
    ]
    User.objects.bulk_create(users)
    today = timezone.localdate()
    cars = Vehicle.objects.bulk_create(
        Vehicle(
            city=city,
            vin=f"LINSP{tag[:4].upper()}{i:08d}",
            plate_number=f"苏H{tag[:2].upper()}{i:05d}",
            owner_id_number=u.id_number,
            owner_name=u.real_name,
            kind=Vehicle.Kind.SMALL_PASSENGER,
            status=Vehicle.Status.NORMAL,
            # Past 10 years: an on-site inspection every year (docs/rules.md §6.1), due in a month.
            registered_on=datetime.date(2012, 5, 20),
            inspection_valid_until=today + datetime.timedelta(days=30),
        )
        for i, u in enumerate(users)
    )
    return slots, warm_slot, users, cars


def _rush(ctx, clients, per_client):
    from django.db import connection

    from exams.models import InspectionBooking

    n = clients * per_client
    slots, warm_slot, users, cars = _seed(n, clients)
    host = ctx.host("has")
    # Sessions straight into the store the workers read (as bench/exams.py: logging in and the
    # proof of work are measured elsewhere, not here).
    cookies = [common.session_cookies(user, antibot_pass=True) for user in users]
    latencies, failures = [], []

    def headers_for(k):
        jar = cookies[k]
        return {
            "Host": host,
            "Cookie": "; ".join(f"{name}={value}" for name, value in jar.items()),
            "X-CSRFToken": jar.get("csrftoken", ""),
            "Referer": f"http://{host}/inspection/",
            common.IP_HEADER: common.address(k + 1),
        }

    async def citizen(slot_n):
        async with httpx.AsyncClient(base_url=ctx.base_url, timeout=common.TIMEOUT) as client:
            await client.get("/inspection/", headers={"Host": host})
            k = n + slot_n
            warm = await client.post(
                f"/inspection/vehicles/{cars[k].pk}/book/", data={"slot": warm_slot.pk}, headers=headers_for(k)
            )
            if warm.status_code != 302 or "/bookings/" not in warm.headers.get("location", ""):
                failures.append(f"warm-up: {warm.status_code} {warm.headers.get('location')}")
            await start.wait()
            for k in range(slot_n * per_client, (slot_n + 1) * per_client):
                slot = slots[k % len(slots)]
                t0 = time.perf_counter()
                try:
                    r = await client.post(
                        f"/inspection/vehicles/{cars[k].pk}/book/", data={"slot": slot.pk}, headers=headers_for(k)
                    )
                    ok = r.status_code == 302
                except httpx.HTTPError as exc:
                    ok, r = False, exc
                (latencies.append(time.perf_counter() - t0) if ok else failures.append(repr(r)[:120]))

    start = None
    clock = {}

    async def rush():
        nonlocal start
        start = asyncio.Barrier(clients + 1)
        tasks = [asyncio.create_task(citizen(c)) for c in range(clients)]
        await start.wait()
        clock["started"] = time.perf_counter()
        await asyncio.gather(*tasks)
        clock["elapsed"] = time.perf_counter() - clock["started"]

    _, beside = common.beside_baseline(ctx, lambda: asyncio.run(rush()))
    elapsed = clock["elapsed"]
    slot_ids = [s.pk for s in slots]
    booked = InspectionBooking.objects.filter(slot_id__in=slot_ids, status="booked").count()
    with connection.cursor() as cur:
        cur.execute(
            """
            SELECT count(*) FROM exams_inspectionslot s
             WHERE s.id = ANY(%s)
               AND ((SELECT count(*) FROM exams_inspectionbooking b WHERE b.slot_id = s.id AND b.status = 'booked')
                    > s.capacity
                 OR (SELECT count(*) FROM exams_inspectionbooking b WHERE b.slot_id = s.id AND b.status = 'booked')
                    <> s.booked)
            """,
            [slot_ids],
        )
        over = cur.fetchone()[0]
    capacity = sum(s.capacity for s in slots)
    decided = len(latencies)
    return {
        "book_rps": round(decided / elapsed, 1) if elapsed else 0.0,
        "booked_rps": round(booked / elapsed, 1) if elapsed else 0.0,
        "p50_ms": round(common.percentile(latencies, 50) * 1000, 1),
        "p99_ms": round(common.percentile(latencies, 99) * 1000, 1),
        "requests": n,
        "capacity": capacity,
        "booked": booked,
        "expected_booked": min(capacity, n),
        "errors": len(failures),
        "over_capacity": over,
        **beside,
    }


def run(ctx):
    clients = 4 if ctx.quick else 64
    per_client = 1 if ctx.quick else 8
    rush = _rush(ctx, clients, per_client)
    return {
        **rush,
        "clients": clients,
        "rps_ratio": common.ratio(rush["book_rps"], rush["baseline_db_rps"]),
    }
