"""Unit accounts (重点对象管理, docs/rules.md §1.2): a unit sees only its own vehicles and drivers,
with their inspection dates, unsettled violations, licence status and points; a driving school
sees its students' exams; unit admins manage staff; clerks open units after checking the
licence and list the city's key vehicles; a monthly summary goes to each unit admin once."""

import datetime

import pytest
import time_machine
from django.utils import timezone
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from notices import own_kinds
from notices import services as notice_services
from notices.models import Notice
from portal import identity, unit_services
from portal.models import Unit, UnitMember
from tests import factories
from tests.conftest import city_client

pytestmark = pytest.mark.django_db
TODAY = datetime.date.today()


def make_unit(city, clerk, name, kind="dangerous", licence="苏交运管许可淮字320800001"):
    admin = factories.UserFactory()
    unit = unit_services.unit_open(
        clerk=clerk, city=city, name=name, kind=kind, licence_number=licence, admin_user=admin
    )
    return unit, admin


@pytest.fixture
def two_units(has, clerk_has):
    a, a_admin = make_unit(has, clerk_has, "淮安危货运输有限公司", licence="A-001")
    b, b_admin = make_unit(has, clerk_has, "淮安客运集团", kind="passenger", licence="B-001")
    a_car = factories.VehicleFactory(
        city=has, plate_number="苏HA0001", kind="truck", inspection_valid_until=TODAY - datetime.timedelta(days=3)
    )
    b_car = factories.VehicleFactory(
        city=has,
        plate_number="苏HB0001",
        kind="large_passenger",
        inspection_valid_until=TODAY + datetime.timedelta(days=90),
    )
    a_lic = factories.DrivingLicenceFactory(city=has, holder_name="甲司机", licence_class="A2", points=10)
    b_lic = factories.DrivingLicenceFactory(city=has, holder_name="乙司机", licence_class="A1")
    unit_services.unit_vehicle_add(a, clerk=clerk_has, plate_or_vin="苏HA0001")
    unit_services.unit_vehicle_add(b, clerk=clerk_has, plate_or_vin=b_car.vin)
    unit_services.unit_driver_add(a, clerk=clerk_has, file_number=a_lic.file_number)
    unit_services.unit_driver_add(b, clerk=clerk_has, file_number=b_lic.file_number)
    return {"a": a, "b": b, "a_admin": a_admin, "b_admin": b_admin, "a_car": a_car, "b_car": b_car}


def page_of(client, user):
    c = city_client(client, "has")
    c.force_login(user)
    return c.get("/unit/")


def test_a_unit_sees_only_its_own_vehicles_and_drivers(client, two_units):
    body = page_of(client, two_units["a_admin"]).content.decode()
    assert "苏HA0001" in body and "甲司机" in body
    assert "苏HB0001" not in body and "乙司机" not in body
    body = page_of(client, two_units["b_admin"]).content.decode()
    assert "苏HB0001" in body and "苏HA0001" not in body and "甲司机" not in body


def test_staff_of_a_cannot_reach_b(client, two_units):
    staff = factories.UserFactory()
    UnitMember.objects.create(unit=two_units["a"], user=staff)
    body = page_of(client, staff).content.decode()
    assert "苏HA0001" in body and "苏HB0001" not in body
    b_member = UnitMember.objects.get(user=two_units["b_admin"])
    c = city_client(client, "has")
    c.force_login(two_units["a_admin"])
    assert c.post(f"/unit/staff/{b_member.pk}/remove/").status_code == 404
    assert UnitMember.objects.filter(pk=b_member.pk).exists()


def test_not_a_member_gets_404(client, citizen):
    assert page_of(client, citizen).status_code == 404


def test_overdue_inspection_violations_and_points_are_shown(client, two_units):
    from tests.violations.conftest import code
    from violations import services

    services.violation_record(
        vehicle=two_units["a_car"],
        code=code("1625"),
        occurred_at=timezone.now() - datetime.timedelta(days=2),
        place="宁连路",
        fine=None,
        source="camera",
    )
    response = page_of(client, two_units["a_admin"])
    overdue = response.context["overdue"]
    assert overdue == {"inspection": 1, "violations": 1, "licences": 0, "points": 1}
    assert response.context["vehicles"][0]["unhandled"] == 1
    assert "宁连路" in response.content.decode()  # the violations section, from violations.selectors
    # Unit B's page shows none of it.
    assert page_of(client, two_units["b_admin"]).context["overdue"]["violations"] == 0


def test_inspection_due_today_is_not_overdue(client, has, clerk_has):
    unit, admin = make_unit(has, clerk_has, "边界运输", kind="transport", licence="T-1")
    factories.VehicleFactory(city=has, plate_number="苏HT0001", inspection_valid_until=TODAY)
    unit_services.unit_vehicle_add(unit, clerk=clerk_has, plate_or_vin="苏HT0001")
    assert page_of(client, admin).context["overdue"]["inspection"] == 0


def test_driving_school_sees_its_students_exams(client, has, clerk_has):
    from exams import services
    from exams.models import ExamPlan, ExamSite, LearnerRecord

    school, admin = make_unit(has, clerk_has, "淮安驾校", kind="school", licence="S-1")
    other_school, other_admin = make_unit(has, clerk_has, "别家驾校", kind="school", licence="S-2")
    site = ExamSite.objects.create(
        city=has, name="淮安考场", address="淮安", subjects=["1"], licence_classes=["C1"], daily_capacity=100
    )
    plan = ExamPlan.objects.create(
        city=has,
        site=site,
        subject="1",
        licence_classes=["C1"],
        date=TODAY + datetime.timedelta(days=20),
        starts_at=datetime.time(8),
        ends_at=datetime.time(10),
        capacity=10,
    )
    services.plan_publish(plan)
    student = factories.UserFactory(real_name="学员王五")
    LearnerRecord.objects.create(
        city=has,
        id_number=student.id_number,
        name=student.real_name,
        licence_class="C1",
        application_accepted_at=timezone.now() - datetime.timedelta(days=30),
        school=school,
    )
    services.request_create_online(city=has, plan_id=plan.pk, user=student)
    body = page_of(client, admin).content.decode()
    assert "学员王五" in body and student.id_number not in body
    assert "学员王五" not in page_of(client, other_admin).content.decode()


def test_unit_admin_adds_and_removes_staff(client, two_units):
    newcomer = factories.UserFactory(real_name="新员工")
    c = city_client(client, "has")
    c.force_login(two_units["a_admin"])
    c.post("/unit/staff/", {"real_name": "别人", "mobile": newcomer.mobile})
    assert not UnitMember.objects.filter(user=newcomer).exists()  # the name must match the account
    c.post("/unit/staff/", {"real_name": "新员工", "mobile": newcomer.mobile})
    member = UnitMember.objects.get(user=newcomer)
    assert member.unit == two_units["a"] and not member.is_admin
    assert UnitMember.history.filter(id=member.pk).first().history_user_id == two_units["a_admin"].pk
    # A staff member who is not an administrator cannot add or remove anyone.
    c.force_login(newcomer)
    c.post("/unit/staff/", {"real_name": "甲", "mobile": factories.UserFactory().mobile})
    assert UnitMember.objects.filter(unit=two_units["a"]).count() == 2
    c.force_login(two_units["a_admin"])
    assert c.post(f"/unit/staff/{member.pk}/remove/").status_code == 302
    assert not UnitMember.objects.filter(user=newcomer).exists()


def test_clerk_opens_a_unit_after_checking_the_licence(client, has, clerk_has):
    admin = factories.UserFactory()
    c = city_client(client, "has")
    c.force_login(clerk_has)
    data = {
        "city": has.pk,
        "name": "淮安物流",
        "kind": "transport",
        "licence_number": "L-9",
        "admin_mobile": admin.mobile,
    }
    assert c.post("/admin/portal/unit/add/", data).status_code == 200  # licence not confirmed as seen
    assert not Unit.objects.exists()
    assert c.post("/admin/portal/unit/add/", {**data, "licence_seen": "on"}).status_code == 302
    unit = Unit.objects.get()
    assert unit.licence_checked_by == clerk_has and unit.licence_checked_at is not None
    assert UnitMember.objects.get(unit=unit).user == admin
    assert Unit.history.filter(id=unit.pk).first().history_user_id == clerk_has.pk


def test_clerk_links_only_vehicles_of_their_city(has, szv, clerk_has, clerk_szv):
    unit, _admin = make_unit(has, clerk_has, "淮安物流", kind="transport", licence="L-10")
    factories.VehicleFactory(city=szv, plate_number="苏E00001")
    with pytest.raises(unit_services.UnitError):
        unit_services.unit_vehicle_add(unit, clerk=clerk_has, plate_or_vin="苏E00001")
    with pytest.raises(unit_services.UnitError):
        unit_services.unit_vehicle_add(unit, clerk=clerk_szv, plate_or_vin="苏E00001")


def test_clerks_key_vehicle_list(client, two_units, clerk_has, clerk_szv):
    c = city_client(client, "has")
    c.force_login(clerk_has)
    body = c.get("/admin/portal/unit/key-vehicles/").content.decode()
    assert "苏HA0001" in body and "苏HB0001" not in body  # overdue vs in date
    szv = city_client(client, "szv")
    szv.force_login(clerk_szv)
    assert "苏HA0001" not in szv.get("/admin/portal/unit/key-vehicles/").content.decode()


def test_monthly_summary_once_per_month_to_each_admin(two_units):
    with time_machine.travel(datetime.datetime(2027, 3, 1, 8, tzinfo=datetime.UTC), tick=False):
        assert notice_services.unit_summaries() == 2
        assert notice_services.unit_summaries() == 0
    with time_machine.travel(datetime.datetime(2027, 4, 1, 8, tzinfo=datetime.UTC), tick=False):
        assert notice_services.unit_summaries() == 2
    notice = Notice.objects.filter(
        kind=own_kinds.UNIT_MONTHLY, id_number_hash=identity.id_key(two_units["a_admin"].id_number)
    ).first()
    assert notice.context["unit"] == "淮安危货运输有限公司" and notice.context["vehicles"] == 1


TEXT = st.one_of(st.sampled_from(["", "\x00", "13912345678", "A" * 100, "甲"]), st.text(max_size=30))


@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(name=TEXT, mobile=TEXT, admin=st.booleans(), pk=st.integers(min_value=0, max_value=10**19), link=TEXT)
def test_hostile_input_never_500(client, two_units, clerk_has, name, mobile, admin, pk, link):
    c = city_client(client, "has")
    c.raise_request_exception = True
    c.force_login(two_units["a_admin"])
    data = {"real_name": name, "mobile": mobile, **({"is_admin": "on"} if admin else {})}
    assert c.post("/unit/staff/", data).status_code == 302
    assert c.post(f"/unit/staff/{pk}/remove/").status_code == 404
    c.force_login(clerk_has)
    url = f"/admin/portal/unit/{two_units['a'].pk}/links/"
    for action in ("add", "remove_vehicle", "remove_driver", "x"):
        response = c.post(url, {"action": action, "plate_or_vin": name, "file_number": mobile, "link": link})
        assert response.status_code in (200, 302)
    assert UnitMember.objects.filter(unit=two_units["a"], user=two_units["a_admin"]).exists()
