"""Plate rush: many citizens preselect at once from Huai'an's 50,000-number pool through gunicorn,
a third of them after the same 20 "lucky" numbers.

Setup (not timed): seed the pool (one INSERT ... SELECT), users and new vehicles; every client
logs in, confirms its vehicle, fetches the start SMS code (bench settings put SMS texts in Redis,
bench.common.last_sms_code) and draws its 5 random batches. Before the timed rush, as many other
citizens go through the same rush untimed (a warm-up, below). Timed: the claims (moving a number
of each batch to the backups; the lucky third first tries the lucky numbers in self-composed
rounds of 5) and the final confirmation, each a real POST. Afterwards SQL checks that no number
went to two vehicles and no vehicle got two numbers.

City settings for the run (per-city [LOCAL] values, set for Huai'an only): no second SMS at
confirmation (one code per citizen, as on 12123), no 8-second wait between self-composed rounds
(the rush, not the wait, is measured) and no suspicious-source flag (every simulated citizen
comes from 127.0.0.1).
"""

import asyncio
import datetime
import random
import re
import statistics
import time

from bench import common

NAME = "plates"
PASSWORD = "Bench-pass-2026"
LUCKY = 20
_BATCH_RE = re.compile(r'data-batch="(\d+)"')
_NUMBER_RE = re.compile(r'name="number" value="([^"]+)"')
_BACKUP_RE = re.compile(r'name="number_id" value="(\d+)"')
_SELECTION_RE = re.compile(r"/plates/s/(\d+)/")


def _seed_pool(city, serial_from, serial_to):
    import datetime

    from django.utils import timezone

    from plates import services
    from plates.models import NumberBlock

    # Seeded as announced the full 3 days ago (a block never opens sooner, docs/rules.md §2).
    now = timezone.now()
    block = NumberBlock.objects.create(
        city=city,
        plate_type="02",
        prefix=city.plate_prefix,
        serial_from=serial_from,
        serial_to=serial_to,
        size=services.block_size("02", serial_from, serial_to),
        status=NumberBlock.Status.ANNOUNCED,
        announced_at=now - datetime.timedelta(days=3),
        opens_at=now,
    )
    services.block_open(block)
    return block


def _seed_big_pool(size: int):
    """Nanjing large-NEV numbers (5 digits + energy letter) with generate_series: 1,000,000 at most."""
    from django.db import connection

    from plates.models import NumberBlock, PlateNumber
    from portal.models import City

    city = City.objects.get(code="nkg")
    block = NumberBlock.objects.create(
        city=city, plate_type="51", prefix="苏A", serial_from="00000D", serial_to="99999D", size=size, status="open"
    )
    serial = "lpad(mod(i, 100000)::text, 5, '0') || substr('ABCDEFGHJK', i / 100000 + 1, 1)"
    with connection.cursor() as cursor:
        cursor.execute(
            f"INSERT INTO {PlateNumber._meta.db_table} (city_id, block_id, plate_type, number, serial, status, sort_key)"
            f" SELECT %s, %s, '51', '苏A' || {serial}, {serial}, 'available', random() FROM generate_series(0, %s) AS i",
            [city.pk, block.pk, size - 1],
        )
        cursor.execute(f"ANALYZE {PlateNumber._meta.db_table}")
    return city


def _draw_ms(city_id: int, plate_type: str, n: int = 300) -> float:
    from plates import selectors

    for _ in range(20):
        selectors.draw_numbers(city_id, plate_type, 10)
    samples = []
    for _ in range(n):
        t0 = time.perf_counter()
        selectors.draw_numbers(city_id, plate_type, 10)
        samples.append((time.perf_counter() - t0) * 1000)
    return round(statistics.median(samples), 3)


def _seed_people(city, count: int):
    from django.contrib.auth.hashers import make_password

    from portal import identity
    from portal.models import User, Vehicle

    run = random.randint(100, 999)
    password = make_password(PASSWORD)
    # Bench citizens stand for accounts that passed registry verification (docs/rules.md §1).
    verified_at = datetime.datetime.now(datetime.UTC)
    people = []
    for i in range(count):
        birth = datetime.date(1970, 1, 1) + datetime.timedelta(days=run * 3 + i // 1000)
        people.append(
            User(
                id_number=identity.make_id_number("320812", birth, i % 1000),
                mobile=f"198{run}{i:05d}",
                real_name=f"压测{i}",
                password=password,
                identity_verified_at=verified_at,
            )
        )
    User.objects.bulk_create(people)
    vehicles = [
        Vehicle(
            city=city,
            vin=f"LBENCH{run}{i:08d}",
            conformity_cert_number=f"BENCH{run}{i:07d}",
            owner_id_number=p.id_number,
            owner_name=p.real_name,
            plate_type="02",
            status=Vehicle.Status.NEW,
            brand="比亚迪",
            model_name="秦PLUS",
        )
        for i, p in enumerate(people)
    ]
    Vehicle.objects.bulk_create(vehicles)
    return list(zip(people, vehicles, strict=True))


def _double_allocations() -> dict:
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT"
            " (SELECT count(*) FROM (SELECT number_id FROM plates_hold WHERE status IN ('held', 'registered')"
            "   GROUP BY number_id HAVING count(*) > 1) a),"
            " (SELECT count(*) FROM (SELECT vehicle_id FROM plates_hold WHERE status IN ('held', 'registered')"
            "   GROUP BY vehicle_id HAVING count(*) > 1) b),"
            " (SELECT count(*) FROM (SELECT claimed_selection_id FROM plates_platenumber WHERE status = 'backup'"
            "   AND claimed_selection_id IS NOT NULL GROUP BY claimed_selection_id, number HAVING count(*) > 1) c),"
            " (SELECT count(*) FROM plates_hold WHERE status = 'held'),"
            " (SELECT count(*) FROM plates_platenumber WHERE status = 'held')"
        )
        dup_numbers, dup_vehicles, dup_claims, holds, held_numbers = cursor.fetchone()
    return {
        "double_allocations": dup_numbers + dup_vehicles + dup_claims + abs(holds - held_numbers),
        "holds": holds,
    }


class Client:
    """One simulated citizen: an httpx client with its cookies, selection and batches."""

    def __init__(self, ctx, person, vehicle, lucky, address="127.0.0.1"):
        import httpx

        self.ctx, self.person, self.vehicle, self.lucky = ctx, person, vehicle, lucky
        self.host = ctx.host("has")
        self.http = httpx.AsyncClient(
            base_url=ctx.base_url,
            timeout=common.TIMEOUT,
            headers={"Host": self.host, common.IP_HEADER: address},
        )
        self.csrf = ""
        self.selection = None
        self.batches: list[tuple[str, list[str]]] = []

    async def post(self, url, data):
        return await self.http.post(url, data={"csrfmiddlewaretoken": self.csrf, **data})

    async def setup(self, gate):
        # Password hashing makes logins CPU-heavy: a few at a time, before any clock runs.
        async with gate:
            await common.login(self.http, self.host, self.person.id_number, PASSWORD)
        page = await self.http.get("/plates/")
        self.csrf = common.csrf_token(page.text)
        # The proof of work before the selection, solved as a browser would (portal.antibot).
        payload = await asyncio.to_thread(common.solve_antibot, page.text)
        response = await self.post(
            "/plates/",
            {
                "accept": "on",
                "vin": self.vehicle.vin,
                "cert_number": self.vehicle.conformity_cert_number,
                "altcha": payload,
            },
        )
        self.selection = _SELECTION_RE.search(response.headers["location"]).group(1)
        base = f"/plates/s/{self.selection}"
        await self.post(f"{base}/verify/", {"action": "send"})
        code = await asyncio.to_thread(common.last_sms_code, self.person.mobile)
        response = await self.post(f"{base}/verify/", {"action": "check", "code": code})
        if response.status_code != 302:
            raise RuntimeError("SMS check failed for a bench citizen")

    async def draw(self):
        # Batches live 90 s, so they are drawn after every client is ready, just before the rush.
        base = f"/plates/s/{self.selection}"
        for _ in range(5):
            await self.post(f"{base}/draw/", {})
            page = await self.http.get(f"{base}/")
            self.batches.append((_BATCH_RE.search(page.text).group(1), _NUMBER_RE.findall(page.text)))

    async def rush(self, lucky_numbers, timings):
        base = f"/plates/s/{self.selection}"

        async def timed(url, data):
            t0 = time.perf_counter()
            response = await self.post(url, data)
            timings.append((url.rsplit("/", 2)[-2], time.perf_counter() - t0))
            return response

        if self.lucky:
            # Self-composed rounds of 5 lucky candidates in this citizen's priority order.
            order = random.sample(lucky_numbers, len(lucky_numbers))
            for start in range(0, len(order), 5):
                data = {}
                for i, number in enumerate(order[start : start + 5]):
                    data[f"c{i}_prefix"] = number[:2]
                    data.update({f"c{i}_{p}": ch for p, ch in enumerate(number[2:])})
                response = await timed(f"{base}/compose/", data)
                if response.headers.get("location", "").endswith(f"{base}/"):
                    break  # claimed one: the page sends the citizen back to the selection
        for batch_id, numbers in self.batches:
            await timed(f"{base}/backup/", {"batch": batch_id, "number": random.choice(numbers)})
        page = await self.http.get(f"{base}/confirm/")
        backups = _BACKUP_RE.findall(page.text)
        if backups:
            await timed(f"{base}/confirm/", {"action": "confirm", "number_id": random.choice(backups)})

    async def close(self):
        await self.http.aclose()


async def _drive(ctx, pairs, lucky_numbers):
    clients = [
        Client(ctx, person, vehicle, lucky=(i % 3 == 0), address=common.address(person.pk))
        for i, (person, vehicle) in enumerate(pairs)
    ]
    try:
        gate = asyncio.Semaphore(8)
        await asyncio.gather(*(c.setup(gate) for c in clients))
        await asyncio.gather(*(c.draw() for c in clients))
        timings: list[float] = []
        started = time.perf_counter()
        await asyncio.gather(*(c.rush(lucky_numbers, timings) for c in clients))
        elapsed = time.perf_counter() - started
    finally:
        await asyncio.gather(*(c.close() for c in clients))
    return timings, elapsed


def run(ctx) -> dict:
    from plates import selectors
    from portal.models import City, CitySetting

    quick = ctx.quick
    clients = 4 if quick else 64
    has = City.objects.get(code="has")
    for key, value in [
        ("plate_second_sms", False),
        ("plate_compose_interval_seconds", 0),
        ("plate_suspicious_selections_per_hour", 10**6),
    ]:
        CitySetting.objects.update_or_create(city=has, key=key, defaults={"value": value})
    # 50,000: five letters x 10,000 serials (A0000-E9999); quick: 2,000.
    _seed_pool(has, "A0000", "A1999" if quick else "E9999")
    draw_ms_50k = _draw_ms(has.pk, "02")
    big = _seed_big_pool(20_000 if quick else 1_000_000)
    draw_ms_1m = _draw_ms(big.pk, "51")

    drawn = selectors.draw_numbers(has.pk, "02", 2 * LUCKY)
    warm_lucky, lucky_numbers = drawn[:LUCKY], drawn[LUCKY:]
    people = _seed_people(has, 2 * clients)
    # The warm-up: the timed rush should meet what a block opening meets in production, a server
    # that has been up for hours, where every gunicorn process has compiled its templates and
    # every database connection has prepared its statements. Cold, the first request of each
    # kind costs a process 8-40 ms of CPU, and the first claim and confirmation on each of the
    # 32 connections pays PostgreSQL's planning: together a fifth of this short rush's CPU.
    asyncio.run(_drive(ctx, people[clients:], warm_lucky))
    common.wait_for_notices()
    warm_holds = _double_allocations()["holds"]
    (timings, elapsed), beside = common.beside_baseline(
        ctx, lambda: asyncio.run(_drive(ctx, people[:clients], lucky_numbers))
    )
    by_kind = {}
    for kind, seconds in timings:
        by_kind.setdefault(kind, []).append(seconds)
    timings = [seconds for _, seconds in timings]
    checks = _double_allocations()
    claim_rps = round(len(timings) / elapsed, 1) if elapsed else 0.0
    p99_ms = round(common.percentile(timings, 99) * 1000, 2)
    return {
        "clients": clients,
        "claim_rps": claim_rps,
        "holds": checks["holds"] - warm_holds,
        "p50_ms": round(common.percentile(timings, 50) * 1000, 2),
        "p99_ms": p99_ms,
        "double_allocations": checks["double_allocations"],
        "draw_ms_50k": draw_ms_50k,
        "draw_ms_1m": draw_ms_1m,
        **beside,
        "claim_vs_baseline": common.ratio(claim_rps, beside["baseline_db_rps"]),
        "p99_ratio": common.ratio(p99_ms, beside["baseline_db_p99_ms"]),
        "rush_s": round(elapsed, 2),
        **{f"{kind}_n": len(values) for kind, values in sorted(by_kind.items())},
        **{
            f"{kind}_p50_ms": round(common.percentile(values, 50) * 1000, 1) for kind, values in sorted(by_kind.items())
        },
    }
