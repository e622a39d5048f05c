"""Accounts and "my" pages (issue 2), through gunicorn.

(a) Registration rush: `clients` new citizens (64; quick 4), 16 at a time, register, each the real
    three steps: form page, "send code" (the code lands in Redis), submit with the code.
(b) Login: the same citizens log in with their mobile (one PBKDF2 check each).
(c) My vehicles: logged-in citizens, each with two vehicles and a licence in the registry,
    reload /my/vehicles/ for the measurement duration.
"""

import datetime

import httpx

from bench import common

NAME = "accounts"
PASSWORD = "Bench-pass-2026"


def _people(n):
    from portal import identity
    from portal.models import User

    base = User.objects.count() + 50_000
    people = []
    for i in range(n):
        birth = datetime.date(1970, 1, 1) + datetime.timedelta(days=(base + i) % 15000)
        people.append(
            {
                "id_number": identity.make_id_number("320811", birth, (base + i) % 1000),
                "mobile": f"186{(base + i) % 10**8:08d}",
                "real_name": "压测" + "甲乙丙丁戊己庚辛壬癸"[i % 10] + "子丑寅卯辰巳午未申酉戌亥"[i // 10 % 12],
            }
        )
    return people


def _seed_registry(people):
    from portal.models import City, DrivingLicence, Vehicle

    city = City.objects.get(code="has")
    suffix = common.unique_suffix().upper()
    vehicles, licences = [], []
    for i, p in enumerate(people):
        for k in range(2):
            vehicles.append(
                Vehicle(
                    city=city,
                    vin=f"B{suffix}{i:06d}{k:02d}"[:17],
                    owner_id_number=p["id_number"],
                    owner_name=p["real_name"],
                    owner_mobile=p["mobile"],  # on file: the registration verifies the account
                    plate_number=None,
                    status=Vehicle.Status.NORMAL,
                    inspection_valid_until=datetime.date.today() + datetime.timedelta(days=300),
                )
            )
        licences.append(
            DrivingLicence(
                city=city,
                id_number=p["id_number"],
                file_number=f"B{suffix}{i:03d}"[:12],
                holder_name=p["real_name"],
                mobile=p["mobile"],
                first_issued_on=datetime.date(2015, 1, 1),
                valid_from=datetime.date(2021, 1, 1),
                cycle_start=datetime.date(2026, 1, 1),
                points=2,
            )
        )
    Vehicle.objects.bulk_create(vehicles)
    DrivingLicence.objects.bulk_create(licences)


def run(ctx):
    clients = 4 if ctx.quick else 64
    people = _people(clients)
    _seed_registry(people)
    host = ctx.host("has")

    def register(client, n, i):
        p = people[i]
        data = {**p, "password1": PASSWORD, "password2": PASSWORD}
        sent = common.form_post(client, "/accounts/register/", host, {**data, "send_code": "1"})
        if sent.status_code != 200 or "sms-notice" not in sent.text:
            return False
        done = common.form_post(
            client, "/accounts/register/", host, {**data, "code": common.last_sms_code(p["mobile"])}
        )
        return done.status_code == 302

    # Each registration and login costs one PBKDF2 hash (about half a CPU-second here): more than
    # 16 at once on two cores only queues them past the client's 30 s timeout.
    registration = common.run_threads(ctx, register, concurrency=min(clients, 16), iterations=clients)

    sessions = [httpx.Client(base_url=ctx.base_url, timeout=common.TIMEOUT) for _ in people]

    def login(client, n, i):
        common.login_sync(sessions[i], host, people[i]["mobile"], PASSWORD)
        return True

    logins = common.run_threads(ctx, login, concurrency=min(clients, 8), iterations=clients)

    def my_vehicles(client, n, i):
        response = sessions[n % len(sessions)].get("/my/vehicles/", headers={"Host": host})
        return response.status_code == 200 and "vehicle-row" in response.text

    try:
        pages = common.run_threads(ctx, my_vehicles, concurrency=min(clients, ctx.concurrency), duration=ctx.duration)
    finally:
        for session in sessions:
            session.close()
    for sample in (registration.error_samples + logins.error_samples + pages.error_samples)[:3]:
        print(f"accounts: error sample {sample}", flush=True)
    return {
        "register_per_s": round(registration.rps, 1),
        "register_p99_ms": round(registration.p(99), 1),
        "register_errors": registration.errors,
        "login_per_s": round(logins.rps, 1),
        "login_errors": logins.errors,
        "my_vehicles_rps": round(pages.rps, 1),
        "my_vehicles_p50_ms": round(pages.p(50), 1),
        "my_vehicles_p99_ms": round(pages.p(99), 1),
        "my_vehicles_errors": pages.errors,
    }
