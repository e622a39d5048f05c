"""My vehicles and my licence: linked by ID number, masked, login required, city sites only."""

import datetime

import pytest
import time_machine

from portal.models import DrivingLicence, Vehicle
from tests import factories


def test_my_vehicles_needs_login(has_client):
    response = has_client.get("/my/vehicles/")
    assert response.status_code == 302 and response.url.startswith("/accounts/login/")


def test_my_vehicles_shows_what_is_registered_to_my_id_number(citizen_client, citizen, szv):
    mine = factories.VehicleFactory(
        owner_id_number=citizen.id_number, plate_number="苏H12345", inspection_valid_until=datetime.date(2028, 3, 31)
    )
    elsewhere = factories.VehicleFactory(owner_id_number=citizen.id_number, city=szv, plate_number="苏E0A123")
    new_car = factories.VehicleFactory(
        owner_id_number=citizen.id_number,
        plate_number=None,
        vin="LFV2A21K8R3123456",
        status=Vehicle.Status.NEW,
        inspection_valid_until=None,
    )
    someone_else = factories.VehicleFactory(plate_number="苏H99999")
    page = citizen_client.get("/my/vehicles/").content.decode()
    assert mine.plate_number in page and elsewhere.plate_number in page
    assert someone_else.plate_number not in page
    assert "2028-03-31" in page and "小型汽车" in page and "正常" in page and "苏州市" in page
    assert "尚未核发号牌" in page and "123456" in page and new_car.vin not in page
    assert citizen.id_number not in page and citizen.masked_id_number in page


def test_overdue_inspection_is_shown(citizen_client, citizen):
    factories.VehicleFactory(
        owner_id_number=citizen.id_number,
        plate_number="苏H0D001",
        inspection_valid_until=datetime.date(2025, 3, 31),
        status=Vehicle.Status.OVERDUE_INSPECTION,
    )
    page = citizen_client.get("/my/vehicles/").content.decode()
    assert "逾期未检验" in page and "text-danger" in page


def test_a_citizen_without_vehicles_is_told_so(citizen_client):
    assert "没有机动车记录" in citizen_client.get("/my/vehicles/").content.decode()


def test_a_newly_registered_citizen_sees_records_created_before_registration(has_client):
    from tests.conftest import last_code

    id_number = factories.make_id_number()
    # The registry holds the registering mobile for this person: the registration code proved it.
    factories.VehicleFactory(owner_id_number=id_number, plate_number="苏H5B678", owner_mobile="13566667777")
    factories.DrivingLicenceFactory(id_number=id_number, points=3)
    data = {
        "real_name": "李四",
        "id_number": id_number.lower(),
        "mobile": "13566667777",
        "password1": "Qiche-Anquan-2026",
        "password2": "Qiche-Anquan-2026",
    }
    has_client.post("/accounts/register/", {**data, "send_code": "1"})
    has_client.post("/accounts/register/", {**data, "code": last_code("13566667777")})
    has_client.post("/accounts/login/", {"username": "13566667777", "password": "Qiche-Anquan-2026"})
    assert "苏H5B678" in has_client.get("/my/vehicles/").content.decode()
    assert 'data-testid="licence-points" class="fw-bold">3<' in has_client.get("/my/licence/").content.decode()


def test_my_licence_shows_class_expiry_points_and_cycle(citizen_client, citizen):
    factories.DrivingLicenceFactory(
        id_number=citizen.id_number,
        licence_class="C1",
        points=6,
        valid_until=datetime.date(2031, 6, 1),
        cycle_start=datetime.date(2024, 2, 29),
    )
    factories.DrivingLicenceFactory(licence_class="A2", points=9)
    with time_machine.travel(datetime.datetime(2026, 11, 24, tzinfo=datetime.UTC), tick=False):
        page = citizen_client.get("/my/licence/").content.decode()
    assert "C1" in page and "2031-06-01" in page and "正常" in page
    assert ">6<" in page and "2024-02-29 至 2025-02-28" in page
    # Only the citizen's own licence is listed (the class cell; a bare "A2" may occur in a CSRF token).
    assert 'data-testid="licence-class">A2<' not in page
    assert page.count('data-testid="licence-class"') == 1
    assert citizen.id_number not in page


def test_long_term_and_full_score_licences(citizen_client, citizen):
    factories.DrivingLicenceFactory(
        id_number=citizen.id_number, valid_until=None, points=12, status=DrivingLicence.Status.FULL_SCORE
    )
    page = citizen_client.get("/my/licence/").content.decode()
    assert "长期" in page and "累积记分满12分" in page


@pytest.mark.parametrize("path", ["/my/vehicles/", "/my/licence/"])
def test_my_pages_in_english(citizen_client, path):
    citizen_client.post("/i18n/setlang/", {"language": "en", "next": "/"})
    page = citizen_client.get(path).content.decode()
    assert "My vehicles" in page and "My driving licence" in page
