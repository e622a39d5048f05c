"""Clerks work on their own city's records, on their own city's site; province admins on all."""

import pytest

from portal.models import User, Vehicle
from tests import factories


@pytest.fixture
def vehicles(has, szv):
    return {
        "has": factories.VehicleFactory(city=has, plate_number="苏H1A001", owner_id_number="11010519491231002X"),
        "szv": factories.VehicleFactory(city=szv, plate_number="苏E1A002"),
    }


@pytest.fixture
def province_admin(db):
    return User.objects.create_superuser("53010219200508011X", "13900000000", "省管理员", "Admin-pass-2026")


def admin_client(client, user, host):
    client.force_login(user)
    client.defaults["HTTP_HOST"] = host
    return client


def test_clerk_lists_only_their_city_vehicles_with_masked_id_numbers(client, clerk_has, vehicles):
    page = admin_client(client, clerk_has, "has.localhost").get("/admin/portal/vehicle/").content.decode()
    assert "苏H1A001" in page and "苏E1A002" not in page
    assert "11010519491231002X" not in page and "1101**********002X" in page


def test_clerk_is_refused_another_city_vehicle_change_page(client, clerk_has, vehicles):
    c = admin_client(client, clerk_has, "has.localhost")
    other = vehicles["szv"]
    response = c.get(f"/admin/portal/vehicle/{other.pk}/change/")
    assert response.status_code == 302  # "does not exist" for this clerk
    assert "苏E1A002" not in c.get(response.url).content.decode()
    response = c.post(f"/admin/portal/vehicle/{other.pk}/change/", {"plate_number": "苏H6Z666"})
    other.refresh_from_db()
    assert other.plate_number == "苏E1A002"
    assert c.get(f"/admin/portal/vehicle/{vehicles['has'].pk}/change/").status_code == 200


def test_clerk_may_edit_their_city_vehicle(client, clerk_has, vehicles):
    c = admin_client(client, clerk_has, "has.localhost")
    own = vehicles["has"]
    form = c.get(f"/admin/portal/vehicle/{own.pk}/change/").context["adminform"].form
    data = {k: ("" if v is None else v) for k, v in form.initial.items()}
    data.update(status=Vehicle.Status.OVERDUE_INSPECTION, city=own.city_id, plate_type=own.plate_type)
    for key in ("registered_on", "inspection_valid_until", "manufactured_on"):
        data[key] = data[key].isoformat() if data.get(key) else ""
    response = c.post(f"/admin/portal/vehicle/{own.pk}/change/", data)
    assert response.status_code == 302, response.context["adminform"].form.errors
    own.refresh_from_db()
    assert own.status == Vehicle.Status.OVERDUE_INSPECTION


def test_clerk_may_pick_only_their_city_on_new_rows(client, clerk_has, vehicles):
    form = admin_client(client, clerk_has, "has.localhost").get("/admin/portal/vehicle/add/").context["adminform"].form
    assert [c.code for c in form.fields["city"].queryset] == ["has"]


def test_clerk_is_refused_the_admin_on_another_city_site(client, clerk_has, vehicles):
    c = admin_client(client, clerk_has, "szv.localhost")
    response = c.get("/admin/")
    assert response.status_code == 302 and "/admin/login/" in response.url
    assert c.get("/admin/portal/vehicle/").status_code == 302
    bare = admin_client(client, clerk_has, "localhost").get("/admin/")
    assert bare.status_code == 302


def test_clerk_licences_are_scoped_too(client, clerk_szv, has, szv):
    factories.DrivingLicenceFactory(city=has, holder_name="淮安驾驶人")
    factories.DrivingLicenceFactory(city=szv, holder_name="苏州驾驶人")
    page = admin_client(client, clerk_szv, "szv.localhost").get("/admin/portal/drivinglicence/").content.decode()
    assert "苏州驾驶人" in page and "淮安驾驶人" not in page


def test_citizen_is_refused_the_admin(client, citizen, has):
    response = admin_client(client, citizen, "has.localhost").get("/admin/")
    assert response.status_code == 302 and "/admin/login/" in response.url


def test_province_admin_sees_every_city_on_any_site(client, province_admin, vehicles):
    for host in ("localhost", "has.localhost", "szv.localhost"):
        page = admin_client(client, province_admin, host).get("/admin/portal/vehicle/").content.decode()
        assert "苏H1A001" in page and "苏E1A002" in page
    assert client.get(f"/admin/portal/vehicle/{vehicles['szv'].pk}/change/").status_code == 200


def test_admin_search_by_id_number_accepts_lower_case_x(client, province_admin, vehicles):
    c = admin_client(client, province_admin, "localhost")
    page = c.get("/admin/portal/vehicle/", {"q": "11010519491231002x"}).content.decode()
    assert "苏H1A001" in page and "苏E1A002" not in page


def test_clerk_logs_in_to_the_admin_with_their_mobile(client, clerk_has, has):
    client.defaults["HTTP_HOST"] = "has.localhost"
    response = client.post("/admin/login/?next=/admin/", {"username": clerk_has.mobile, "password": "Secret-pass-123"})
    assert response.status_code == 302
    assert client.get("/admin/").status_code == 200


def test_province_admin_creates_a_clerk_who_can_log_in(client, province_admin, has):
    c = admin_client(client, province_admin, "localhost")
    data = {
        "real_name": "新民警",
        "id_number": "11010519491231002x",
        "mobile": "13700000001",
        "new_password": "Jingwu-2026-pass",
        "role": "clerk",
        "is_active": "on",
        "is_staff": "on",
        "clerk_profile-TOTAL_FORMS": "1",
        "clerk_profile-INITIAL_FORMS": "0",
        "clerk_profile-MIN_NUM_FORMS": "0",
        "clerk_profile-MAX_NUM_FORMS": "1",
        "clerk_profile-0-city": str(has.pk),
        "clerk_profile-0-office": "",
    }
    response = c.post("/admin/portal/user/add/", data)
    assert response.status_code == 302, response.context["adminform"].form.errors
    clerk = User.objects.get(mobile="13700000001")
    assert clerk.id_number == "11010519491231002X" and clerk.clerk_profile.city == has
    assert clerk.check_password("Jingwu-2026-pass")


def test_admin_user_form_refuses_a_bad_id_number(client, province_admin):
    c = admin_client(client, province_admin, "localhost")
    response = c.post(
        "/admin/portal/user/add/",
        {
            "real_name": "某",
            "id_number": "110105194912310021",
            "mobile": "15412345678",
            "role": "citizen",
            "clerk_profile-TOTAL_FORMS": "0",
            "clerk_profile-INITIAL_FORMS": "0",
        },
    )
    assert response.status_code == 200
    page = response.content.decode()
    assert "校验位不正确" in page and "请输入可接收短信的中国大陆手机号码" in page and "请为新账号设置密码" in page


def test_admin_login_is_limited_like_the_portal_login(client, clerk_has):
    client.defaults["HTTP_HOST"] = "has.localhost"
    for _ in range(5):
        client.post("/admin/login/", {"username": clerk_has.mobile, "password": "wrong-password"})
    response = client.post("/admin/login/", {"username": clerk_has.mobile, "password": "Secret-pass-123"})
    assert response.status_code == 200
    assert "登录该账号失败次数过多" in response.content.decode()
    # The guessing address waits; the clerk at another address is not locked out.
    response = client.post(
        "/admin/login/", {"username": clerk_has.mobile, "password": "Secret-pass-123"}, REMOTE_ADDR="10.7.7.7"
    )
    assert response.status_code == 302


def test_admin_login_refuses_citizens(client, citizen, has):
    client.defaults["HTTP_HOST"] = "has.localhost"
    response = client.post("/admin/login/", {"username": citizen.mobile, "password": "Secret-pass-123"})
    assert response.status_code == 200
    assert "_auth_user_id" not in client.session


def test_province_admin_sees_sms_codes_masked_and_clerks_do_not(client, province_admin, clerk_has):
    from portal import verification

    verification.send_code("13812345678", "register")
    page = admin_client(client, province_admin, "localhost").get("/admin/portal/smscode/").content.decode()
    assert "138****5678" in page and "13812345678" not in page
    assert admin_client(client, clerk_has, "has.localhost").get("/admin/portal/smscode/").status_code == 403


def test_an_sms_waiting_in_the_outbox_shows_neither_its_code_nor_the_full_mobile(client, province_admin, monkeypatch):
    from portal import verification
    from portal.models import SmsCode

    monkeypatch.setattr(verification, "_after_commit", lambda fn: None)  # still pending
    row = verification.send_code("13812345678", "register")
    text = SmsCode.objects.get(pk=row.pk).text
    code = __import__("re").search(r"\d{6}", text).group(0)
    c = admin_client(client, province_admin, "localhost")
    page = c.get(f"/admin/portal/smscode/{row.pk}/change/").content.decode()
    assert code not in page and "13812345678" not in page and "138****5678" in page
    listing = c.get("/admin/portal/smscode/?q=１３８１２３４５６７８").content.decode()
    assert "138****5678" in listing and "待发送" in listing
