"""Shared builders of the accident quick-settlement tests (two drivers with licences, insured
cars, photos) and the page steps each test repeats."""

import datetime
import io

from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone
from PIL import Image

from certificates.models import CompulsoryInsurance
from portal import sms
from tests import factories
from tests.conftest import last_code

_policies = iter(range(10**6))


def png(size=(16, 12), color="white") -> bytes:
    out = io.BytesIO()
    Image.new("RGB", size, color).save(out, "PNG")
    return out.getvalue()


def upload(name="photo.png", data=None):
    return SimpleUploadedFile(name, data if data is not None else png(), content_type="image/png")


def driver(city, plate, insurer="中国人民财产保险股份有限公司", insured=True, **user):
    """A registry-verified citizen with a valid C1 licence and an insured car."""
    person = factories.UserFactory(**user)
    factories.DrivingLicenceFactory(
        city=city, id_number=person.id_number, holder_name=person.real_name, mobile=person.mobile
    )
    vehicle = factories.VehicleFactory(
        city=city,
        owner_id_number=person.id_number,
        owner_name=person.real_name,
        owner_mobile=person.mobile,
        plate_number=plate,
    )
    if insured:
        today = timezone.localdate()
        CompulsoryInsurance.objects.create(
            vehicle=vehicle,
            policy_number=f"PDZA2026{next(_policies):08d}{vehicle.pk}"[:32],
            insurer=insurer,
            valid_from=today - datetime.timedelta(days=100),
            valid_until=today + datetime.timedelta(days=265),
        )
    person.vehicle = vehicle
    return person


def started_case(a, city, vehicle, *, other_plate: str, other_licence_number: str):
    """A case `a` started through the service an hour ago with `vehicle`, naming the other party
    by plate and licence (no injury, both cars drivable, the three photos)."""
    from violations.services import accidents

    photo = [(png(), "image/png")]
    return accidents.accident_start(
        user=a,
        city=city,
        vehicle=vehicle,
        occurred_at=timezone.now() - datetime.timedelta(hours=1),
        place="淮海东路",
        weather="sunny",
        no_injury=True,
        drivable=True,
        own_damage="车尾",
        other_plate=other_plate,
        other_licence_number=other_licence_number,
        other_damage="车头",
        photos={"scene": photo, "damage_a": photo, "damage_b": photo},
    )


def start_data(a, b, **overrides) -> dict:
    when = timezone.localtime() - datetime.timedelta(minutes=30)
    data = {
        "no_injury": "yes",
        "drivable": "yes",
        "vehicle": str(a.vehicle.pk),
        "occurred_at": when.strftime("%Y-%m-%dT%H:%M"),
        "place": "淮安市清江浦区淮海东路与健康西路交叉口",
        "weather": "sunny",
        "own_damage": "后保险杠",
        "other_plate": b.vehicle.plate_number,
        "other_licence_number": b.id_number,
        "other_damage": "前保险杠",
        "photo_scene": upload("scene.png"),
        "photo_damage_a": upload("a.png"),
        "photo_damage_b": upload("b.png"),
    }
    data.update(overrides)
    return data


def as_user(client, user):
    client.logout()
    client.force_login(user)
    client.defaults["HTTP_HOST"] = "has.localhost"
    return client


def start_case(client, a, b, **overrides):
    from violations.models import AccidentCase

    as_user(client, a)
    response = client.post("/violations/accidents/new/", start_data(a, b, **overrides))
    assert response.status_code == 302, response.content.decode()[:3000]
    return AccidentCase.objects.filter(parties__user=a).order_by("-pk").first()


def join_case(client, case, b):
    as_user(client, b)
    client.post("/violations/accidents/join/", {"join_code": case.join_code})
    sent = client.post("/violations/accidents/join/", {"send_code": "1"})
    if not any(m["mobile"] == b.mobile for m in sms.outbox):
        return sent  # refused before any code: the page says why
    return client.post("/violations/accidents/join/", {"confirm": "1", "code": last_code(b.mobile)})
