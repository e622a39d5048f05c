"""manage.py demo: realistic, idempotent, every printed login works."""

import io

import pytest
from django.core.management import call_command

from portal import hooks
from portal.management.commands import demo
from portal.models import ClerkProfile, DrivingLicence, MedicalInstitution, Office, User, Vehicle


def run_demo(*args):
    out = io.StringIO()
    call_command("demo", *args, stdout=out)
    return out.getvalue()


def counts():
    return [m.objects.count() for m in (User, Vehicle, DrivingLicence, Office, MedicalInstitution, ClerkProfile)]


@pytest.fixture
def loaded(has, szv):
    run_demo()


def test_demo_is_idempotent_and_once_skips(loaded):
    before = counts()
    run_demo()
    assert counts() == before
    output = run_demo("--once")
    assert "already loaded" in output
    assert counts() == before


def test_demo_has_the_promised_records(loaded):
    assert ClerkProfile.objects.filter(city__code="has").exists()
    assert ClerkProfile.objects.filter(city__code="szv").exists()
    assert User.objects.filter(is_superuser=True, role=User.Role.PROVINCE_ADMIN).exists()
    staff = User.objects.get(role=User.Role.HOSPITAL)
    assert staff.medical_institution.city.code == "has" and staff.medical_institution.is_active
    zhang = Vehicle.objects.owned_by(demo.ZHANG.id_number)
    assert zhang.filter(status=Vehicle.Status.OVERDUE_INSPECTION, plate_number__isnull=False).exists()
    new_car = Vehicle.objects.owned_by(demo.WANG.id_number).get(status=Vehicle.Status.NEW)
    assert new_car.plate_number is None and len(new_car.vin) == 17 and new_car.conformity_cert_number
    assert demo.vin(new_car.vin[:8] + new_car.vin[9:]) == new_car.vin
    assert DrivingLicence.objects.filter(points__gt=0).count() >= 2


def test_demo_inspection_stations_take_zhangs_overdue_car(loaded):
    from exams.models import InspectionSlot
    from exams.services import inspection

    overdue = Vehicle.objects.owned_by(demo.ZHANG.id_number).get(plate_number="苏HD5678")
    assert inspection.vehicle_state(overdue).may_book
    slot = inspection.open_slots(overdue.city, overdue)[0]
    booking = inspection.booking_create(
        city=overdue.city, vehicle_id=overdue.pk, slot_id=slot.pk, id_number=demo.ZHANG.id_number
    )
    assert booking.is_active and InspectionSlot.objects.get(pk=slot.pk).booked == 1


def test_other_apps_demo_loaders_are_called(has, szv, monkeypatch):
    calls = []
    monkeypatch.setattr(hooks, "demo_loaders", [lambda stdout: calls.append(stdout)])
    run_demo()
    assert len(calls) == 1
    run_demo("--once")
    assert len(calls) == 1


def test_every_printed_login_works(loaded, client):
    output = run_demo("--logins")
    assert demo.PASSWORD in output
    for login in demo.LOGINS:
        assert login.id_number in output and login.mobile in output
        for username in (login.id_number, login.mobile):
            client.logout()
            response = client.post(
                "/accounts/login/", {"username": username, "password": demo.PASSWORD}, HTTP_HOST="has.localhost"
            )
            assert response.status_code == 302, login


def test_demo_clerk_uses_the_admin_of_their_city(loaded, client):
    client.post(
        "/admin/login/?next=/admin/",
        {"username": demo.CLERK_HAS.mobile, "password": demo.PASSWORD},
        HTTP_HOST="has.localhost",
    )
    page = client.get("/admin/portal/vehicle/", HTTP_HOST="has.localhost").content.decode()
    assert "苏H8A123" in page and "苏E7K2Q8" not in page


def test_demo_citizen_sees_their_cars(loaded, client):
    client.post(
        "/accounts/login/", {"username": demo.ZHANG.mobile, "password": demo.PASSWORD}, HTTP_HOST="has.localhost"
    )
    page = client.get("/my/vehicles/", HTTP_HOST="has.localhost").content.decode()
    assert "苏H8A123" in page and "苏HD5678" in page and "逾期未检验" in page


def test_vin_check_digit_matches_a_known_vin():
    # ISO 3779 worked example: 1M8GDM9AXKP042788.
    assert demo.vin("1M8GDM9AKP042788") == "1M8GDM9AXKP042788"


# --- The front door around it ----------------------------------------------------------------------


def test_make_test_fails_when_pytest_collects_nothing():
    import os
    import subprocess
    import sys
    from pathlib import Path

    root = Path(__file__).resolve().parents[2]
    env = {k: v for k, v in os.environ.items() if k != "DJANGO_SETTINGS_MODULE"}
    result = subprocess.run(
        [
            sys.executable,
            str(root / "bin" / "testrun.py"),
            "-q",
            "-k",
            "no_test_has_this_name",
            "tests/portal/test_identity.py",
        ],
        cwd=root,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 5
    assert "collected no tests" in result.stderr
