"""Demo data for unit accounts (docs/rules.md §1.2), loaded by `manage.py demo` after the
platform's part: a dangerous-goods carrier in Huai'an with an administrator login, two tankers
(one overdue for inspection) and two drivers, and a driving school."""

import datetime

from django.utils import timezone

from portal import identity, unit_services
from portal.models import City, DrivingLicence, Unit, User, Vehicle

PASSWORD = "Demo-2026-pass"
UNIT_ADMIN = ("何伟", datetime.date(1980, 5, 6), 671, "13812340041")
SCHOOL_ADMIN = ("严华", datetime.date(1983, 9, 12), 682, "13812340042")


def _login(name, birth, seq, mobile) -> User:
    id_number = identity.make_id_number("320812", birth, seq)
    user = User.objects.filter(id_number_hash=identity.id_key(id_number)).first()
    return user or User.objects.create_user(id_number, mobile, name, PASSWORD)


def load(stdout):
    city = City.objects.filter(code="has").first()
    clerk = User.objects.filter(role=User.Role.CLERK, clerk_profile__city=city).first()
    if city is None or clerk is None or Unit.objects.filter(licence_number="苏交运管许可淮字320800100001").exists():
        return
    today = timezone.localdate()
    carrier = unit_services.unit_open(
        clerk=clerk,
        city=city,
        name="淮安安达危险货物运输有限公司",
        kind=Unit.Kind.DANGEROUS,
        licence_number="苏交运管许可淮字320800100001",
        admin_user=_login(*UNIT_ADMIN),
    )
    for n, until in ((1, today - datetime.timedelta(days=12)), (2, today + datetime.timedelta(days=150))):
        Vehicle.objects.update_or_create(
            vin=f"LZZ5ELND0N{n:07d}",
            defaults={
                "city": city,
                "plate_number": f"苏HD{n:04d}",
                "plate_type": "01",
                "owner_id_number": identity.make_id_number("320812", datetime.date(1975, 1, 1), 700),
                "owner_name": carrier.name,
                "kind": Vehicle.Kind.TRUCK,
                "is_commercial": True,
                "brand": "中国重汽",
                "model_name": "ZZ5257GYYN",
                "status": Vehicle.Status.OVERDUE_INSPECTION if n == 1 else Vehicle.Status.NORMAL,
                "registered_on": today - datetime.timedelta(days=4 * 365),
                "inspection_valid_until": until,
            },
        )
        unit_services.unit_vehicle_add(carrier, clerk=clerk, plate_or_vin=f"LZZ5ELND0N{n:07d}")
    for n, (name, points) in enumerate((("孙强", 0), ("钱勇", 9)), start=1):
        driver_id = identity.make_id_number("320812", datetime.date(1985, n, 3), 710 + n)
        DrivingLicence.objects.update_or_create(
            file_number=f"32080090{n:04d}",
            defaults={
                "city": city,
                "id_number": identity.normalize_id_number(driver_id),
                "holder_name": name,
                "licence_class": "A2",
                "first_issued_on": today - datetime.timedelta(days=12 * 365),
                "valid_from": today - datetime.timedelta(days=2 * 365),
                "valid_until": today + datetime.timedelta(days=8 * 365),
                "points": points,
                "cycle_start": today - datetime.timedelta(days=100),
            },
        )
        unit_services.unit_driver_add(carrier, clerk=clerk, file_number=f"32080090{n:04d}")
    unit_services.unit_open(
        clerk=clerk,
        city=city,
        name="淮安通达机动车驾驶员培训学校",
        kind=Unit.Kind.SCHOOL,
        licence_number="苏交驾培许可淮字320800200001",
        admin_user=_login(*SCHOOL_ADMIN),
    )
    stdout.write(
        f"Units: {UNIT_ADMIN[0]} (mobile {UNIT_ADMIN[3]}, password {PASSWORD}) administers a dangerous-goods "
        f"carrier at /unit/; {SCHOOL_ADMIN[0]} (mobile {SCHOOL_ADMIN[3]}) a driving school. The Huai'an clerk's "
        "key-vehicle list is in the admin under Units.\n"
    )
