"""`manage.py demo [--once] [--logins]`: load a realistic demo (idempotent), then every app's.

The platform part: offices, clerks of Huai'an (has) and Suzhou (szv), a province administrator,
an authorised hospital in Huai'an with a staff login, and citizens with vehicles (one overdue
for inspection, one new car without a plate for plate preselection) and licences with points.
Dates are relative to today so that the demo stays meaningful. Then each function registered
with portal.hooks.register_demo runs. Every login is printed at the end.
"""

import datetime
from dataclasses import dataclass

from django.core.management.base import BaseCommand
from django.db import transaction
from django.utils import timezone

from portal import hooks, identity
from portal.models import City, ClerkProfile, DrivingLicence, MedicalInstitution, Office, User, Vehicle

PASSWORD = "Demo-2026-pass"


@dataclass(frozen=True)
class DemoLogin:
    role: str
    name: str
    id_number: str
    mobile: str
    where: str


def _id(region, birth, seq):
    return identity.make_id_number(region, datetime.date(*birth), seq)


PROVINCE_ADMIN = DemoLogin(
    "province administrator", "周建国", _id("320102", (1975, 4, 2), 15), "13901580001", "/admin/ on any site"
)
CLERK_HAS = DemoLogin("clerk, Huai'an", "刘敏", _id("320812", (1986, 9, 23), 42), "13905230001", "{has}admin/")
CLERK_SZV = DemoLogin("clerk, Suzhou", "沈晓峰", _id("320505", (1983, 1, 8), 77), "13905120001", "{szv}admin/")
HOSPITAL = DemoLogin("hospital staff, Huai'an", "孙丽", _id("320812", (1979, 11, 30), 28), "13905230002", "{has}")
ZHANG = DemoLogin(
    "citizen: two cars (one overdue), C1 licence, 3 points",
    "张伟",
    _id("320812", (1988, 6, 15), 131),
    "13812340001",
    "{has}",
)
WANG = DemoLogin(
    "citizen: new car without plate (preselection), C1",
    "王芳",
    _id("320803", (1995, 2, 28), 262),
    "13812340002",
    "{has}",
)
LI = DemoLogin(
    "citizen of Suzhou: one car, A2 licence, 9 points",
    "李强",
    _id("320505", (1979, 12, 3), 315),
    "13812340003",
    "{szv}",
)
CHEN = DemoLogin(
    "citizen: C2 licence with 12 points, no car",
    "陈静",
    _id("320804", (1992, 7, 19), 448),
    "15861230004",
    "{has}",
)


def _where(template: str) -> str:
    """The site a demo login works on, with the port `make run` serves (PORT, default 8000)."""
    import os

    domain = os.environ.get("PORTAL_DOMAIN", "localhost")
    port = os.environ.get("PORT", "8000")
    return template.format(**{code: f"http://{code}.{domain}:{port}/" for code in ("has", "szv")})


LOGINS = [PROVINCE_ADMIN, CLERK_HAS, CLERK_SZV, HOSPITAL, ZHANG, WANG, LI, CHEN]

_VIN_VALUES = {
    **{str(d): d for d in range(10)},
    **dict(zip("ABCDEFGH", range(1, 9), strict=True)),
    **dict(zip("JKLMN", range(1, 6), strict=True)),
    "P": 7,
    "R": 9,
    **dict(zip("STUVWXYZ", range(2, 10), strict=True)),
}
_VIN_WEIGHTS = [8, 7, 6, 5, 4, 3, 2, 10, 0, 9, 8, 7, 6, 5, 4, 3, 2]


def vin(body: str) -> str:
    """A 17-character VIN with a correct check digit (ISO 3779 position 9) from 16 characters."""
    draft = body[:8] + "0" + body[8:]
    total = sum(_VIN_VALUES[c] * w for c, w in zip(draft, _VIN_WEIGHTS, strict=True))
    check = "X" if total % 11 == 10 else str(total % 11)
    return body[:8] + check + body[8:]


def _anniversary(first: datetime.date, today: datetime.date) -> datetime.date:
    """Start of the current 12-month points cycle (counted from the first licence date)."""

    def on(year):
        try:
            return first.replace(year=year)
        except ValueError:
            return first.replace(year=year, day=28)

    start = on(today.year)
    return start if start <= today else on(today.year - 1)


class Command(BaseCommand):
    help = "Load the demo data (idempotent). --once does nothing when it is already loaded."

    def add_arguments(self, parser):
        parser.add_argument("--once", action="store_true", help="skip when the demo is already loaded")
        parser.add_argument("--logins", action="store_true", help="only print the demo logins")

    def handle(self, *args, once=False, logins=False, **options):
        if not logins:
            if once and User.objects.filter(id_number_hash=identity.id_key(PROVINCE_ADMIN.id_number)).exists():
                self.stdout.write("Demo data already loaded (run `manage.py demo` without --once to refresh it).")
            else:
                self.load()
                for loader in hooks.demo_loaders:
                    loader(self.stdout)
                self.stdout.write(self.style.SUCCESS("Demo data loaded."))
        self.print_logins()

    def print_logins(self):
        self.stdout.write("")
        self.stdout.write(f"Demo logins (log in with the ID number or the mobile; password for all: {PASSWORD})")
        for login in LOGINS:
            self.stdout.write(f"  {login.name:<4} {login.role}")
            self.stdout.write(f"        ID {login.id_number}  mobile {login.mobile}  at {_where(login.where)}")

    @transaction.atomic
    def load(self):
        today = timezone.localdate()
        has, szv = City.objects.get(code="has"), City.objects.get(code="szv")
        has_office, _ = Office.objects.update_or_create(
            city=has,
            name="淮安市公安局交通警察支队车辆管理所",
            defaults={"address": "淮安市清江浦区枚乘东路9号", "phone": "0517-83600122"},
        )
        Office.objects.update_or_create(
            city=has,
            name="淮安市公安局交通警察支队淮安区大队",
            defaults={"address": "淮安市淮安区翔宇大道1号", "phone": "0517-85910122"},
        )
        szv_office, _ = Office.objects.update_or_create(
            city=szv,
            name="苏州市公安局交通警察支队车辆管理所",
            defaults={"address": "苏州市姑苏区劳动路1100号", "phone": "0512-68600122"},
        )
        hospital, _ = MedicalInstitution.objects.update_or_create(
            licence_number="PDY00031232080015A1001",
            defaults={
                "city": has,
                "name": "淮安市第一人民医院",
                "address": "淮安市淮阴区北京西路1号",
                "may_certify_c5": True,
                "is_active": True,
            },
        )

        self._user(PROVINCE_ADMIN, role=User.Role.PROVINCE_ADMIN, is_staff=True, is_superuser=True)
        for login, city, office in ((CLERK_HAS, has, has_office), (CLERK_SZV, szv, szv_office)):
            clerk = self._user(login, role=User.Role.CLERK, is_staff=True)
            ClerkProfile.objects.update_or_create(user=clerk, defaults={"city": city, "office": office})
        self._user(HOSPITAL, role=User.Role.HOSPITAL, medical_institution=hospital)
        for citizen in (ZHANG, WANG, LI, CHEN):
            self._user(citizen, role=User.Role.CITIZEN)

        def car(city, owner, body, **fields):
            fields.setdefault("registered_on", today - datetime.timedelta(days=3 * 365))
            defaults = {
                "city": city,
                "owner_id_number": identity.normalize_id_number(owner.id_number),
                "owner_name": owner.name,
                # The mobile on file: demo citizens' accounts are verified against it (docs/rules.md §1).
                "owner_mobile": owner.mobile,
                "conformity_cert_number": "WAC" + body[-9:] + "001",
                **fields,
            }
            Vehicle.objects.update_or_create(vin=vin(body), defaults=defaults)

        car(
            has,
            ZHANG,
            "LSVAU2180N218001",
            plate_number="苏H8A123",
            brand="大众",
            model_name="朗逸 SVW7151",
            plate_type="02",
            status=Vehicle.Status.NORMAL,
            manufactured_on=today - datetime.timedelta(days=3 * 365 + 40),
            inspection_valid_until=today + datetime.timedelta(days=150),
        )
        car(
            has,
            ZHANG,
            "LGBH52E06H310456",
            plate_number="苏HD5678",
            brand="日产",
            model_name="轩逸 DFL7160",
            plate_type="02",
            status=Vehicle.Status.OVERDUE_INSPECTION,
            registered_on=today - datetime.timedelta(days=9 * 365),
            inspection_valid_until=today - datetime.timedelta(days=75),
        )
        car(
            has,
            WANG,
            "L6T7844S6RN01234",
            plate_number=None,
            brand="吉利",
            model_name="帝豪 MR7152B09",
            plate_type="02",
            status=Vehicle.Status.NEW,
            registered_on=None,
            inspection_valid_until=None,
            manufactured_on=today - datetime.timedelta(days=30),
        )
        car(
            szv,
            LI,
            "LHGCV1658M803377",
            plate_number="苏E7K2Q8",
            brand="本田",
            model_name="雅阁 HG7203",
            plate_type="02",
            status=Vehicle.Status.NORMAL,
            registered_on=today - datetime.timedelta(days=2 * 365),
            inspection_valid_until=today + datetime.timedelta(days=2 * 365 - 30),
        )

        def licence(
            city, holder, file_number, licence_class, first_issued, points, status=DrivingLicence.Status.NORMAL
        ):
            valid_from = (
                first_issued.replace(year=first_issued.year + 6)
                if first_issued.year + 6 <= today.year
                else first_issued
            )
            DrivingLicence.objects.update_or_create(
                file_number=file_number,
                defaults={
                    "city": city,
                    "id_number": identity.normalize_id_number(holder.id_number),
                    "holder_name": holder.name,
                    "mobile": holder.mobile,
                    "licence_class": licence_class,
                    "first_issued_on": first_issued,
                    "valid_from": valid_from,
                    "valid_until": valid_from.replace(year=valid_from.year + 10),
                    "points": points,
                    "cycle_start": _anniversary(first_issued, today),
                    "status": status,
                },
            )

        licence(has, ZHANG, "320800123401", "C1", datetime.date(2012, 4, 18), 3)
        licence(has, WANG, "320800123402", "C1", datetime.date(2019, 9, 6), 0)
        licence(szv, LI, "320500567803", "A2", datetime.date(2005, 3, 21), 9)
        licence(has, CHEN, "320800123404", "C2", datetime.date(2016, 11, 2), 12, DrivingLicence.Status.FULL_SCORE)

    def _user(self, login: DemoLogin, **fields) -> User:
        user = User.objects.filter(id_number_hash=identity.id_key(login.id_number)).first()
        if user is None:
            user = User(id_number=login.id_number)
        user.mobile, user.real_name = login.mobile, login.name
        for key, value in fields.items():
            setattr(user, key, value)
        user.set_password(PASSWORD)
        user.save()
        return user
