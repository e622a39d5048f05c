"""An ID number is not enough to see a person's records: the account is verified by an SMS code
to the mobile on file in the registry, or by a clerk at a counter (docs/rules.md §1)."""

import pytest
from django.utils import timezone

from portal import identity
from portal.models import User
from tests import factories
from tests.conftest import PASSWORD, last_code

OWNER_MOBILE = "13511112222"
IMPOSTOR_MOBILE = "13633334444"
NEW_PASSWORD = "Qiche-Anquan-2026"


@pytest.fixture
def victim_id(has):
    """A person the registry knows: a car and a licence, their mobile on file."""
    id_number = factories.make_id_number()
    factories.VehicleFactory(owner_id_number=id_number, plate_number="苏H7V777", owner_mobile=OWNER_MOBILE)
    factories.DrivingLicenceFactory(id_number=id_number, points=6, mobile=OWNER_MOBILE)
    return id_number


def register(client, id_number, mobile):
    data = {
        "real_name": "冒名者",
        "id_number": id_number,
        "mobile": mobile,
        "password1": NEW_PASSWORD,
        "password2": NEW_PASSWORD,
    }
    client.post("/accounts/register/", {**data, "send_code": "1"})
    response = client.post("/accounts/register/", {**data, "code": last_code(mobile)})
    assert response.status_code == 302, response.content.decode()[:200]
    return User.objects.get(mobile=mobile)


def test_an_impostor_with_only_the_id_number_sees_nothing_and_cannot_verify(has_client, victim_id, sms_outbox):
    impostor = register(has_client, victim_id, IMPOSTOR_MOBILE)
    assert not impostor.registry_verified and impostor.identity_verified_at is None
    has_client.force_login(impostor)
    for url in ("/my/vehicles/", "/my/licence/"):
        response = has_client.get(url)
        assert response.status_code == 302 and response.url == "/accounts/verify/"
    page = has_client.get("/accounts/verify/").content.decode()
    assert "135****2222" in page and OWNER_MOBILE not in page and "苏H7V777" not in page
    assert "核验身份证号码属于您本人后" in has_client.get("/").content.decode()
    # The code goes to the owner's phone, not the impostor's; guessing it fails 5 times, then stops.
    has_client.post("/accounts/verify/", {"target": "0", "send_code": "1"})
    assert sms_outbox[-1]["mobile"] == OWNER_MOBILE
    real = last_code(OWNER_MOBILE)
    for guess in [g for g in ("000000", "111111", "222222", "333333", "444444", "555555") if g != real][:5]:
        has_client.post("/accounts/verify/", {"target": "0", "code": guess})
    response = has_client.post("/accounts/verify/", {"target": "0", "code": real})
    assert "验证码错误次数过多" in response.content.decode()
    impostor.refresh_from_db()
    assert not impostor.registry_verified
    assert has_client.get("/my/vehicles/").status_code == 302


def test_registering_with_the_mobile_on_file_verifies_at_once(has_client, victim_id):
    owner = register(has_client, victim_id.lower(), OWNER_MOBILE)
    assert owner.identity_verified_how == "registry_sms" and owner.registry_verified
    has_client.force_login(owner)
    assert "苏H7V777" in has_client.get("/my/vehicles/").content.decode()


def test_an_owner_with_a_new_mobile_verifies_by_a_code_to_the_one_on_file(has_client, victim_id):
    owner = register(has_client, victim_id, IMPOSTOR_MOBILE)  # their new number, unknown to the registry
    has_client.force_login(owner)
    has_client.post("/accounts/verify/", {"target": "0", "send_code": "1"})
    response = has_client.post("/accounts/verify/", {"target": "0", "code": last_code(OWNER_MOBILE)})
    assert response.status_code == 302
    owner.refresh_from_db()
    assert owner.identity_verified_how == "registry_sms"
    assert "苏H7V777" in has_client.get("/my/vehicles/").content.decode()


def test_records_that_appear_later_with_another_mobile_hide_until_verified(has_client):
    user = register(has_client, factories.make_id_number(), IMPOSTOR_MOBILE)
    assert user.registry_verified  # no records: nothing to protect yet
    factories.VehicleFactory(owner_id_number=user.id_number, plate_number="苏H8N888", owner_mobile=OWNER_MOBILE)
    assert not User.objects.get(pk=user.pk).registry_verified
    has_client.force_login(user)
    assert has_client.get("/my/vehicles/").status_code == 302


def counter(client, clerk, user, action, data):
    client.force_login(clerk)
    client.defaults["HTTP_HOST"] = "has.localhost"
    return client.post(f"/admin/portal/user/{user.pk}/{action}/", data)


def test_a_clerk_gives_a_taken_account_back_to_its_holder_with_a_recorded_reason(client, victim_id, clerk_has):
    impostor = User.objects.create_user(victim_id, IMPOSTOR_MOBILE, "冒名者", NEW_PASSWORD)
    impostor_client = type(client)(HTTP_HOST="has.localhost")
    impostor_client.force_login(impostor)
    response = counter(client, clerk_has, impostor, "recover", {"mobile": OWNER_MOBILE, "reason": ""})
    assert response.status_code == 200 and User.objects.get(pk=impostor.pk).mobile == IMPOSTOR_MOBILE
    response = counter(
        client, clerk_has, impostor, "recover", {"mobile": OWNER_MOBILE, "reason": "身份证原件已查验，窗口3"}
    )
    assert response.status_code == 302
    account = User.objects.get(pk=impostor.pk)
    assert account.mobile == OWNER_MOBILE and not account.has_usable_password()
    assert account.identity_verified_how == "counter" and account.registry_verified
    last = account.history.order_by("-history_date").first()
    assert last.history_user == clerk_has and last.identity_note == "身份证原件已查验，窗口3"
    # The impostor is out; the holder sets a password by SMS and logs in.
    assert impostor_client.get("/my/vehicles/").status_code == 302
    holder = type(client)(HTTP_HOST="has.localhost")
    holder.post("/accounts/password-reset/", {"mobile": OWNER_MOBILE, "send_code": "1"})
    holder.post(
        "/accounts/password-reset/",
        {"mobile": OWNER_MOBILE, "code": last_code(OWNER_MOBILE), "password1": PASSWORD, "password2": PASSWORD},
    )
    assert holder.post("/accounts/login/", {"username": OWNER_MOBILE, "password": PASSWORD}).status_code == 302
    assert "苏H7V777" in holder.get("/my/vehicles/").content.decode()


def test_a_clerk_verifies_at_the_counter_but_cannot_touch_a_staff_account(client, victim_id, clerk_has, clerk_szv):
    person = User.objects.create_user(victim_id, IMPOSTOR_MOBILE, "本人", NEW_PASSWORD)
    assert counter(client, clerk_has, person, "verify-identity", {"reason": "户口簿与身份证已查验"}).status_code == 302
    person.refresh_from_db()
    assert person.identity_verified_how == "counter" and person.history.first().history_user == clerk_has
    response = counter(client, clerk_has, clerk_szv, "recover", {"mobile": "13599990000", "reason": "x"})
    assert response.status_code == 403
    assert User.objects.get(pk=clerk_szv.pk).mobile == clerk_szv.mobile


def test_the_clerks_registry_forms_check_and_normalise_id_numbers(client, has, clerk_has):
    client.force_login(clerk_has)
    client.defaults["HTTP_HOST"] = "has.localhost"
    good = identity.make_id_number("320803", timezone.localdate().replace(year=1985), 7)
    base = {
        "city": has.pk,
        "holder_name": "张三",
        "licence_class": "C1",
        "first_issued_on": "2010-01-01",
        "valid_from": "2020-01-01",
        "points": "0",
        "cycle_start": "2026-01-01",
        "status": "normal",
    }
    bad_check = good[:17] + ("1" if good[17] != "1" else "2")
    response = client.post("/admin/portal/drivinglicence/add/", {**base, "id_number": bad_check, "file_number": "A1"})
    assert response.status_code == 200 and "校验位不正确" in response.content.decode()
    wide = good.lower().translate(str.maketrans("0123456789x", "０１２３４５６７８９ｘ"))
    response = client.post("/admin/portal/drivinglicence/add/", {**base, "id_number": wide, "file_number": "A2"})
    assert response.status_code == 302
    from portal.models import DrivingLicence

    assert DrivingLicence.objects.get(file_number="A2").id_number == good


def test_the_admins_access_denied_page_masks_the_clerks_id_number(client, clerk_has, szv):
    client.force_login(clerk_has)
    page = client.get("/admin/login/", HTTP_HOST="szv.localhost").content.decode()
    assert clerk_has.id_number not in page and clerk_has.masked_id_number in page
