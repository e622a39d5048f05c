"""Failed password logins slow the guesser down and ask for an SMS code; they never lock the owner
out (ASVS 4.0.3 V2.2.1), and an SMS code to the owner's mobile always gets in."""

import pytest

from portal import login_throttle
from tests import factories
from tests.conftest import PASSWORD, last_code


def login(client, username, password, ip):
    return client.post("/accounts/login/", {"username": username, "password": password}, REMOTE_ADDR=ip)


def sms_login(client, mobile, ip, next_url=""):
    client.post("/accounts/login/sms/", {"mobile": mobile, "send_code": "1"}, REMOTE_ADDR=ip)
    return client.post(
        "/accounts/login/sms/", {"mobile": mobile, "code": last_code(mobile), "next": next_url}, REMOTE_ADDR=ip
    )


def test_20_wrong_passwords_from_20_addresses_ask_for_sms_which_lets_the_owner_in(has_client, citizen):
    for n in range(20):
        login(has_client, citizen.id_number, "wrong-password", f"10.40.{n}.1")
    # The password alone no longer opens the account, from anywhere ...
    response = login(has_client, citizen.mobile, PASSWORD, "10.99.0.1")
    assert response.status_code == 200 and "需要短信验证码登录" in response.content.decode()
    # ... but a code to the owner's mobile does.
    response = sms_login(has_client, citizen.mobile, "10.99.0.1")
    assert response.status_code == 302
    assert has_client.get("/").context["user"] == citizen


def test_a_nat_full_of_failed_logins_still_lets_its_people_in_by_sms(has_client, monkeypatch):
    monkeypatch.setattr(login_throttle, "PER_IP", "10/h")
    for n in range(10):
        login(has_client, f"1391000{n:04d}", "wrong-password", "10.50.0.1")
    neighbour = factories.UserFactory()
    response = login(has_client, neighbour.mobile, PASSWORD, "10.50.0.1")
    assert response.status_code == 200 and "需要短信验证码登录" in response.content.decode()
    assert sms_login(has_client, neighbour.mobile, "10.50.0.1").status_code == 302
    # Other addresses are not affected at all.
    has_client.logout()
    assert login(has_client, neighbour.mobile, PASSWORD, "10.51.0.1").status_code == 302


def test_a_clerk_whose_password_is_under_attack_reaches_the_admin_by_sms(client, has):
    clerk = factories.clerk("has")
    client.defaults["HTTP_HOST"] = "has.localhost"
    for n in range(20):
        client.post(
            "/admin/login/", {"username": clerk.id_number, "password": "wrong-password"}, REMOTE_ADDR=f"10.60.{n}.1"
        )
    response = client.post(
        "/admin/login/", {"username": clerk.id_number, "password": PASSWORD}, REMOTE_ADDR="10.61.0.1"
    )
    assert response.status_code == 200 and "需要短信验证码登录" in response.content.decode()
    assert sms_login(client, clerk.mobile, "10.61.0.1", next_url="/admin/").url == "/admin/"
    assert client.get("/admin/").status_code == 200


def test_sms_login_for_a_mobile_without_an_account_looks_the_same_and_never_logs_in(has_client, sms_outbox):
    has_client.post("/accounts/login/sms/", {"mobile": "13700002222", "send_code": "1"})
    assert sms_outbox == []
    for guess in ("000000", "123456", "999999"):
        response = has_client.post("/accounts/login/sms/", {"mobile": "13700002222", "code": guess})
        assert response.status_code == 200 and "验证码错误" in response.content.decode()
    assert "_auth_user_id" not in has_client.session


def test_sms_login_does_not_follow_a_next_url_to_another_site(has_client, citizen):
    response = sms_login(has_client, citizen.mobile, "10.70.0.1", next_url="https://evil.example/")
    assert response.status_code == 302 and response.url == "/"


@pytest.mark.parametrize("typed", ["full_width_id", "full_width_mobile"])
def test_full_width_logins_reach_the_same_account_and_the_same_counters(has_client, citizen, typed):
    wide = str.maketrans("0123456789X", "０１２３４５６７８９Ｘ")
    value = {"full_width_id": citizen.id_number, "full_width_mobile": citizen.mobile}[typed].translate(wide)
    for _ in range(5):
        login(has_client, value, "wrong-password", "10.80.0.1")
    # The ASCII spelling from the same address is slowed down too: one account, one counter.
    response = login(has_client, citizen.id_number, PASSWORD, "10.80.0.1")
    assert "登录该账号失败次数过多" in response.content.decode()
    assert login(has_client, value, PASSWORD, "10.80.0.2").status_code == 302
