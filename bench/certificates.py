"""Certificates by post (issue 14): citizens submitting applications, and a clerk's queue.

(a) Submit: 64 concurrent clients (quick 4), each holding 8 citizens (quick 1) with a car and a
    live SMS code, submit a vehicle-licence replacement through gunicorn: the whole form POST
    (eligibility, the code, the case, its first timeline step and notice). Codes and sessions are
    made before the clock (sending codes and logging in are measured elsewhere: bench/accounts.py).
    Before the clock each slot submits once for a car of its own (warm workers, as in service).
    submit_rps = cases created per second over the rush.
(b) Queue: 100,000 open cases (quick 2,000) in Huai'an, seeded set-based (certificates.sql); a
    clerk's review queue page fetched one request at a time, beside the baseline's one-query view
    fetched the same way: queue_p95_ms and single_db_p95_ms.
Targets: submit_rps >= 0.25 x baseline_db_rps; queue_p95_ms <= 4 x single_db_p95_ms.
"""

import datetime
import random

from bench import common

NAME = "certificates"
PASSWORD = "Bench-pass-123"
CODE = "246810"


def _seed_citizens(n):
    from django.contrib.auth.hashers import make_password
    from django.utils import timezone

    from certificates.services import SMS_PURPOSE
    from portal import identity, verification
    from portal.models import City, SmsCode, User, Vehicle

    city = City.objects.get(code="has")
    password = make_password(PASSWORD)
    # Bench citizens stand for accounts that passed registry verification (docs/rules.md §1).
    verified_at = datetime.datetime.now(datetime.UTC)
    # Counted by this module's mobile block: ID numbers are encrypted, so no prefix match.
    base = User.objects.filter(mobile__startswith="1377").count()
    offset = random.randrange(10**6)
    users = [
        User(
            id_number=identity.make_id_number(
                "320892", datetime.date(1960, 1, 1) + datetime.timedelta(days=base + i), i % 1000
            ),
            mobile=f"1377{(offset + i) % 10**7:07d}",
            real_name=f"车主{i}",
            password=password,
            identity_verified_at=verified_at,
        )
        for i in range(n)
    ]
    User.objects.bulk_create(users)
    tag = common.unique_suffix()[:7].upper()
    Vehicle.objects.bulk_create(
        Vehicle(
            city=city,
            vin=f"C{tag}{i:09d}",
            plate_number=None,
            owner_id_number=identity.normalize_id_number(u.id_number),
            owner_name=u.real_name,
            status=Vehicle.Status.NORMAL,
            registered_on=datetime.date(2022, 3, 1),
            inspection_valid_until=datetime.date(2028, 3, 31),
        )
        for i, u in enumerate(users)
    )
    vehicles = list(Vehicle.objects.filter(vin__startswith=f"C{tag}").order_by("vin"))
    # A live code per citizen, as send_code() stores it (the SMS itself is not part of this bench).
    now = timezone.now()
    SmsCode.objects.bulk_create(
        SmsCode(
            mobile=u.mobile,
            purpose=SMS_PURPOSE,
            code_hash=verification._hash(u.mobile, SMS_PURPOSE, CODE),
            created_at=now,
            expires_at=now + datetime.timedelta(minutes=30),
        )
        for u in users
    )
    return users, vehicles


def _submit_rush(ctx, clients, per_client):
    from certificates.models import Application

    users, vehicles = _seed_citizens(clients * per_client + clients)
    cookies = [common.session_cookies(user) for user in users]
    host = ctx.host("has")

    def request(k):
        data = {
            "kind": "replace",
            "delivery": "post",
            "recipient_name": users[k].real_name,
            "recipient_phone": users[k].mobile,
            "address": "江苏省淮安市清江浦区健康东路 1 号",
            "code": CODE,
        }
        url = f"/certificates/apply/vehicle-licence/{vehicles[k].pk}/"
        return url, common.session_headers(host, cookies[k], "/certificates/"), data

    async def warm(client, n):
        # One submission of this slot's own, for a car of its own (not counted).
        url, headers, data = request(clients * per_client + n)
        r = await client.post(url, headers=headers, data=data)
        return None if r.status_code == 302 else str(r.status_code)

    def attempt(client, k):
        url, headers, data = request(k)
        return client.post(url, headers=headers, data=data)

    result, beside = common.beside_baseline(
        ctx,
        lambda: common.rush(
            ctx, list(range(clients * per_client)), attempt, lambda r: r.status_code == 302, clients=clients, warm=warm
        ),
    )
    created = Application.objects.filter(vehicle__in=vehicles[: clients * per_client]).count()
    return {
        "submit_rps": round(created / result.elapsed, 1) if result.elapsed else 0.0,
        "submit_p50_ms": round(common.percentile(result.latencies, 50) * 1000, 1),
        "submit_p99_ms": round(common.percentile(result.latencies, 99) * 1000, 1),
        "submitted": created,
        "submit_errors": len(result.failures),
        **beside,
    }


def _queue(ctx, cases, samples):
    from certificates import sql
    from portal.models import City
    from tests import factories

    city = City.objects.get(code="has")
    clerk = factories.clerk("has")
    owner = factories.UserFactory()
    seeded = sql.seed_open_cases(city=city, applicant=owner, count=cases, tag=common.unique_suffix()[:8].upper())
    jar = common.session_cookies(clerk)
    host = ctx.host("has")
    headers = {"Host": host, "Cookie": "; ".join(f"{k}={v}" for k, v in jar.items())}

    # Interleaved in rounds, so both see the same machine load.
    queue_lat, db_lat, errors = [], [], 0
    rounds = 5
    for _ in range(rounds):
        lat, err = common.one_at_a_time(
            ctx, lambda k: ("/admin/certificates/application/queue/", headers), samples // rounds, warm=5
        )
        queue_lat += lat
        errors += err
        lat, err = common.one_at_a_time(ctx, lambda k: ("/__bench__/db/?i=7", {}), samples // rounds, warm=5)
        db_lat += lat
        errors += err
    return {
        "queue_p95_ms": common.ms(queue_lat, 95),
        "queue_p50_ms": common.ms(queue_lat, 50),
        "single_db_p95_ms": common.ms(db_lat, 95),
        "single_db_p50_ms": common.ms(db_lat, 50),
        "queue_cases": seeded,
        "queue_errors": errors,
    }


def run(ctx):
    clients = 4 if ctx.quick else 64
    per_client = 1 if ctx.quick else 8
    submit = _submit_rush(ctx, clients, per_client)
    queue = _queue(ctx, 2_000 if ctx.quick else 100_000, 50 if ctx.quick else 500)
    first = {
        "submit_rps": submit.pop("submit_rps"),
        "queue_p95_ms": queue.pop("queue_p95_ms"),
        "single_db_p95_ms": queue.pop("single_db_p95_ms"),
        "baseline_db_rps": submit.pop("baseline_db_rps"),
    }
    ratios = {
        "submit_ratio": common.ratio(first["submit_rps"], first["baseline_db_rps"]),
        "queue_ratio": common.ratio(first["queue_p95_ms"], first["single_db_p95_ms"]),
    }
    return {**first, **submit, **queue, **ratios}
