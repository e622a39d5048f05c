"""Demo data of accident quick settlement (docs/rules.md §5.7), loaded by `manage.py demo`:
a second Huai'an driver, 赵磊, and two cases with 张伟: one settled by agreement, one waiting in
the Huai'an clerk's queue. Built through violations.services.accidents (idempotent)."""

import datetime
import io

from django.utils import timezone
from PIL import Image, ImageDraw

from portal import identity
from portal.models import City, DrivingLicence, User, Vehicle
from violations.models_accident import AccidentCase
from violations.services import accidents

ZHAO_ID = identity.make_id_number("320811", datetime.date(1990, 5, 6), 517)
ZHAO_MOBILE = "13812340005"
ZHANG_ID = identity.make_id_number("320812", datetime.date(1988, 6, 15), 131)


def _photo(label: str) -> tuple[bytes, str]:
    image = Image.new("RGB", (320, 200), (210, 214, 220))
    ImageDraw.Draw(image).text((12, 90), label, fill=(40, 40, 40))
    out = io.BytesIO()
    image.save(out, "JPEG", quality=70)
    return out.getvalue(), "image/jpeg"


def _zhao(city) -> User:
    from portal.management.commands.demo import PASSWORD

    user = User.objects.filter(id_number_hash=identity.id_key(ZHAO_ID)).first()
    if user is None:
        user = User.objects.create_user(
            ZHAO_ID, ZHAO_MOBILE, "赵磊", PASSWORD, identity_verified_at=timezone.now(), identity_verified_how="counter"
        )
    Vehicle.objects.update_or_create(
        vin="LFV2A21K6M4123456",
        defaults={
            "city": city,
            "plate_number": "苏H6K789",
            "owner_id_number": ZHAO_ID,
            "owner_name": "赵磊",
            "owner_mobile": ZHAO_MOBILE,
            "brand": "大众",
            "model_name": "速腾 FV7141",
            "status": Vehicle.Status.NORMAL,
            "registered_on": timezone.localdate() - datetime.timedelta(days=700),
            "inspection_valid_until": timezone.localdate() + datetime.timedelta(days=400),
        },
    )
    today = timezone.localdate()
    DrivingLicence.objects.update_or_create(
        file_number="320800517517",
        defaults={
            "city": city,
            "id_number": ZHAO_ID,
            "holder_name": "赵磊",
            "mobile": ZHAO_MOBILE,
            "first_issued_on": datetime.date(2012, 5, 6),
            "valid_from": datetime.date(2018, 5, 6),
            "valid_until": datetime.date(2028, 5, 6),
            "cycle_start": today.replace(month=5, day=6)
            if today >= today.replace(month=5, day=6)
            else today.replace(year=today.year - 1, month=5, day=6),
        },
    )
    return user


def _insure(vehicle, insurer):
    # Demo only: the compulsory-insurance feed (certificates' data) for the two cars of the cases,
    # with the policy-number scheme certificates/demo.py uses, so its own loader finds the rows.
    from certificates.models import CompulsoryInsurance

    today = timezone.localdate()
    CompulsoryInsurance.objects.get_or_create(
        policy_number=f"PDZA2026{vehicle.pk:010d}",
        defaults={
            "vehicle": vehicle,
            "insurer": insurer,
            "valid_from": today - datetime.timedelta(days=200),
            "valid_until": today + datetime.timedelta(days=165),
        },
    )


def _case(city, a, b, a_car, b_car, hours_ago, place, a_damage, b_damage):
    photos = {kind: [_photo(f"{place} {kind}")] for kind in ("scene", "damage_a", "damage_b")}
    case = accidents.accident_start(
        user=a,
        city=city,
        vehicle=a_car,
        occurred_at=timezone.now() - datetime.timedelta(hours=hours_ago),
        place=place,
        weather="cloudy",
        no_injury=True,
        drivable=True,
        own_damage=a_damage,
        other_plate=b_car.plate_number,
        other_licence_number=b.id_number,
        other_damage=b_damage,
        photos=photos,
    )
    return accidents.accident_join(case, user=b)


def load(stdout):
    city = City.objects.filter(code="has").first()
    zhang = User.objects.filter(id_number_hash=identity.id_key(ZHANG_ID)).first()
    if city is None or zhang is None or AccidentCase.objects.filter(city=city).exists():
        return
    zhao = _zhao(city)
    zhang_car = Vehicle.objects.get(plate_number="苏H8A123")
    zhao_car = Vehicle.objects.get(plate_number="苏H6K789")
    _insure(zhang_car, "中国人民财产保险")
    _insure(zhao_car, "中国太平洋财产保险")
    agreed = _case(
        city, zhang, zhao, zhang_car, zhao_car, 5, "淮安市清江浦区翔宇大道与淮海南路交叉口", "后保险杠", "前保险杠"
    )
    agreed = accidents.accident_propose(agreed, user=zhang, situation="rear_end", fault_role="B")
    accidents.accident_accept(agreed, user=zhao, version=agreed.proposal_version)
    waiting = _case(city, zhao, zhang, zhao_car, zhang_car, 2, "淮安市淮阴区长江东路", "右后门", "左前翼子板")
    accidents.accident_ask_clerk(waiting, user=zhao)
    accidents.insurer_notices_send()
    stdout.write(
        "violations: accident cases of 张伟 and 赵磊 (ID "
        f"{ZHAO_ID}, mobile {ZHAO_MOBILE}, same password): one agreed, one waiting for the Huai'an clerk"
    )
