"""Registration, login and password reset through HTTP, including every bad input."""

import pytest
from django.contrib.auth import get_user_model

from portal import identity
from tests import factories
from tests.conftest import PASSWORD, last_code

User = get_user_model()
NEW_PASSWORD = "Qiche-Anquan-2026"


def register_data(**overrides):
    data = {
        "real_name": "王小明",
        "id_number": identity.make_id_number("320812", __import__("datetime").date(1988, 8, 8), 123),
        "mobile": "13912345678",
        "password1": NEW_PASSWORD,
        "password2": NEW_PASSWORD,
        "code": "",
    }
    data.update(overrides)
    return data


def send_code(client, url, data):
    return client.post(url, {**data, "send_code": "1"})


@pytest.fixture
def register(has_client):
    def post(**overrides):
        data = register_data(**overrides)
        send_code(has_client, "/accounts/register/", data)
        data["code"] = overrides.get("code") or last_code(data["mobile"])
        return has_client.post("/accounts/register/", data), data

    return post


def body(response):
    return response.content.decode()


def test_register_page_is_chinese_by_default(has_client):
    response = has_client.get("/accounts/register/")
    assert response.status_code == 200
    assert "实名注册" in body(response) and "发送验证码" in body(response)


def test_send_code_keeps_what_was_typed_and_sends_one_sms(has_client, sms_outbox):
    data = register_data()
    response = send_code(has_client, "/accounts/register/", data)
    assert response.status_code == 200
    page = body(response)
    assert "王小明" in page and data["id_number"] in page and NEW_PASSWORD in page
    assert "验证码已发送" in page
    assert [m["mobile"] for m in sms_outbox] == ["13912345678"]
    # Pressing the button shows no "required" errors for the fields not yet filled in.
    assert "必填" not in page


def test_send_code_with_bad_mobile_says_so_and_sends_nothing(has_client, sms_outbox):
    response = send_code(has_client, "/accounts/register/", register_data(mobile="15412345678"))
    assert response.status_code == 200
    assert "请输入可接收短信的中国大陆手机号" in body(response)
    assert "王小明" in body(response)
    assert sms_outbox == []


def test_second_send_within_60_seconds_is_refused_with_the_wait(has_client, sms_outbox):
    data = register_data()
    send_code(has_client, "/accounts/register/", data)
    response = send_code(has_client, "/accounts/register/", data)
    assert "秒后再获取验证码" in body(response)
    assert len(sms_outbox) == 1


def test_registration_creates_the_account_and_sends_to_login(register):
    response, data = register(id_number="11010519491231002x")
    assert response.status_code == 302 and response.url == "/accounts/login/"
    user = User.objects.get(mobile="13912345678")
    assert user.id_number == "11010519491231002X"  # lower-case x stored upper-case
    assert user.real_name == "王小明" and user.role == User.Role.CITIZEN
    assert user.check_password(NEW_PASSWORD)


@pytest.mark.parametrize(
    "id_number, message",
    [
        ("110105194912310021", "校验位不正确"),
        ("110105194902300021", "不是真实存在的日期"),
        ("110105209912310021", "出生日期不可能"),
        ("110105491231002", "15位身份证号码已停止使用"),
        ("11010519491231002A", "18位"),
        ("abc", "18位"),
    ],
)
def test_bad_id_numbers_are_refused_with_a_message(has_client, id_number, message):
    data = register_data(id_number=id_number, code="123456")
    response = has_client.post("/accounts/register/", data)
    assert response.status_code == 200
    assert message in body(response)
    assert "王小明" in body(response)
    assert not User.objects.exists()


def test_password_rules_and_mismatch_are_explained(has_client):
    response = has_client.post(
        "/accounts/register/", register_data(password1="12345678", password2="12345678", code="123456")
    )
    assert "全是数字" in body(response) or "全部为数字" in body(response)
    response = has_client.post("/accounts/register/", register_data(password2="Other-pass-999", code="123456"))
    assert "两次输入的密码不一致" in body(response)
    assert not User.objects.exists()


def test_wrong_code_counts_down_and_creates_nothing(has_client, sms_outbox):
    data = register_data()
    send_code(has_client, "/accounts/register/", data)
    wrong = "000000" if last_code(data["mobile"]) != "000000" else "111111"
    response = has_client.post("/accounts/register/", {**data, "code": wrong})
    assert "验证码错误，还可尝试4次" in body(response)
    assert "王小明" in body(response)
    assert not User.objects.exists()


def test_code_without_sending_first_is_refused(has_client):
    response = has_client.post("/accounts/register/", register_data(code="123456"))
    assert "验证码已过期或未发送" in body(response)


def test_duplicate_id_number_is_refused_without_revealing_the_account(register, citizen):
    response, _data = register(id_number=citizen.id_number.lower())
    page = body(response)
    assert response.status_code == 200
    assert "该身份证号码已注册" in page
    assert citizen.masked_mobile not in page and citizen.real_name not in page
    assert User.objects.count() == 1


def test_send_code_to_a_registered_mobile_looks_the_same_and_tells_only_its_owner(has_client, citizen, sms_outbox):
    response = send_code(has_client, "/accounts/register/", register_data(mobile=citizen.mobile))
    # The page says what it says for a new mobile; the owner's phone gets a notice, not a code.
    assert "验证码已发送" in body(response) and "已被其他账号使用" not in body(response)
    assert [m["mobile"] for m in sms_outbox] == [citizen.mobile]
    assert "已有账号" in sms_outbox[0]["text"] and not __import__("re").search(r"\d{6}", sms_outbox[0]["text"])


def test_absurd_input_never_breaks_the_page(has_client):
    data = register_data(real_name="x" * 500, id_number="<script>" * 10, mobile="1" * 40, code="𝟙𝟚𝟛")
    nul = register_data(real_name="王\x00", id_number="1101\x00", mobile="139\x00", code="\x00")
    for payload in (data, {**data, "send_code": "1"}, {}, nul, {**nul, "send_code": "1"}):
        response = has_client.post("/accounts/register/", payload)
        assert response.status_code == 200
    for url in ("/accounts/login/", "/accounts/password-reset/"):
        for payload in (
            {"username": "\x00" * 5, "password": "x", "mobile": "\x00"},
            {"username": "9" * 300, "mobile": "1" * 300, "send_code": "1"},
        ):
            assert has_client.post(url, payload).status_code == 200


# --- Login -----------------------------------------------------------------------------------


@pytest.mark.parametrize("login", ["id", "id_lower", "mobile"])
def test_login_by_id_number_or_mobile(has_client, login):
    user = factories.UserFactory(id_number="11010519491231002X")
    value = {"id": user.id_number, "id_lower": user.id_number.lower(), "mobile": user.mobile}[login]
    response = has_client.post("/accounts/login/", {"username": value, "password": PASSWORD})
    assert response.status_code == 302
    assert has_client.get("/").context["user"] == user


def test_wrong_password_gives_a_message_and_keeps_the_login(has_client, citizen):
    response = has_client.post("/accounts/login/", {"username": citizen.mobile, "password": "nope-nope"})
    assert response.status_code == 200
    assert "身份证号码/手机号码或密码错误" in body(response)
    assert citizen.mobile in body(response)


def test_five_failed_logins_slow_down_that_address_only_never_the_owner(has_client, citizen):
    for _ in range(5):
        has_client.post(
            "/accounts/login/", {"username": citizen.id_number, "password": "wrong-password"}, REMOTE_ADDR="10.6.6.6"
        )
    # The guessing address waits, whichever identifier it types, even with the right password ...
    response = has_client.post(
        "/accounts/login/", {"username": citizen.mobile, "password": PASSWORD}, REMOTE_ADDR="10.6.6.6"
    )
    assert response.status_code == 200
    assert "登录该账号失败次数过多" in body(response) and "短信验证码登录" in body(response)
    # ... while the owner, from their own address, logs in as usual (ASVS V2.2.1: no lock-out).
    response = has_client.post(
        "/accounts/login/", {"username": citizen.mobile, "password": PASSWORD}, REMOTE_ADDR="10.9.9.9"
    )
    assert response.status_code == 302


def test_a_password_reset_by_sms_lifts_the_slow_down(has_client, citizen):
    for _ in range(5):
        has_client.post("/accounts/login/", {"username": citizen.mobile, "password": "wrong-password"})
    url = "/accounts/password-reset/"
    has_client.post(url, {"mobile": citizen.mobile, "send_code": "1"})
    has_client.post(
        url,
        {
            "mobile": citizen.mobile,
            "code": last_code(citizen.mobile),
            "password1": NEW_PASSWORD,
            "password2": NEW_PASSWORD,
        },
    )
    response = has_client.post("/accounts/login/", {"username": citizen.mobile, "password": NEW_PASSWORD})
    assert response.status_code == 302


# --- Password reset ----------------------------------------------------------------------------


def test_password_reset_by_sms(has_client, citizen):
    url = "/accounts/password-reset/"
    data = {"mobile": citizen.mobile, "password1": NEW_PASSWORD, "password2": NEW_PASSWORD, "code": ""}
    response = has_client.post(url, {**data, "send_code": "1"})
    assert "如果该手机号码已注册" in body(response)
    response = has_client.post(url, {**data, "code": last_code(citizen.mobile)})
    assert response.status_code == 302
    citizen.refresh_from_db()
    assert citizen.check_password(NEW_PASSWORD)
    login = has_client.post("/accounts/login/", {"username": citizen.mobile, "password": NEW_PASSWORD})
    assert login.status_code == 302


def test_reset_for_an_unknown_mobile_looks_the_same_and_sends_nothing(has_client, citizen, sms_outbox):
    answers = []
    for mobile in ("13700001111", citizen.mobile):
        sent = has_client.post("/accounts/password-reset/", {"mobile": mobile, "send_code": "1"})
        assert "如果该手机号码已注册" in body(sent)
        guess = "000000" if mobile != citizen.mobile or last_code(citizen.mobile) != "000000" else "111111"
        tried = has_client.post(
            "/accounts/password-reset/",
            {"mobile": mobile, "code": guess, "password1": NEW_PASSWORD, "password2": NEW_PASSWORD},
        )
        answers.append(tried.context["form"].errors.as_data()["code"][0].message)
    assert [m["mobile"] for m in sms_outbox] == [citizen.mobile]
    # A wrong code gets the same answer for a mobile with and without an account.
    assert answers[0] == answers[1] == "验证码错误，还可尝试4次。"


def test_reset_with_a_wrong_code_keeps_the_old_password(has_client, citizen):
    url = "/accounts/password-reset/"
    has_client.post(url, {"mobile": citizen.mobile, "send_code": "1"})
    wrong = "000000" if last_code(citizen.mobile) != "000000" else "111111"
    response = has_client.post(
        url, {"mobile": citizen.mobile, "code": wrong, "password1": NEW_PASSWORD, "password2": NEW_PASSWORD}
    )
    assert "验证码错误" in body(response)
    citizen.refresh_from_db()
    assert citizen.check_password(PASSWORD)


def test_registration_code_cannot_reset_a_password(has_client, citizen):
    # Codes are bound to their purpose.
    from portal import verification

    verification.send_code(citizen.mobile, "register")
    code = last_code(citizen.mobile)
    response = has_client.post(
        "/accounts/password-reset/",
        {"mobile": citizen.mobile, "code": code, "password1": NEW_PASSWORD, "password2": NEW_PASSWORD},
    )
    assert "验证码已过期或未发送" in body(response)


@pytest.mark.django_db(transaction=True)
def test_16_registrations_of_one_id_number_at_once_create_one_account():
    """The unique constraint decides; the losers get the duplicate message, never an error page."""
    from portal import account_services, verification
    from tests.races import race

    factories.city("has")
    id_number = factories.make_id_number()
    mobiles = [f"1357000{n:04d}" for n in range(16)]
    for mobile in mobiles:
        verification.send_code(mobile, account_services.PURPOSE_REGISTER)
    codes = {mobile: last_code(mobile) for mobile in mobiles}

    def register(i):
        try:
            account_services.register_citizen(
                real_name="抢注", id_number=id_number, mobile=mobiles[i], password=NEW_PASSWORD, code=codes[mobiles[i]]
            )
            return "created"
        except account_services.AccountError as exc:
            return exc.field

    # Any other exception (an IntegrityError leaking out would be a 500 on the page) is an outcome
    # that is neither "created" nor a field, and fails the counts.
    results = race(register, 16).outcomes
    assert results.count("created") == 1
    assert results.count("id_number") == 15
    assert User.objects.filter(id_number_hash=identity.id_key(id_number)).count() == 1


# --- The logged-in user is cached between requests; every change to the account is seen at once
def test_a_deactivated_account_is_logged_out_on_its_next_request(citizen_client, citizen):
    assert citizen_client.get("/my/vehicles/").status_code == 200  # the user is now cached
    citizen.is_active = False
    citizen.save()

    response = citizen_client.get("/my/vehicles/")

    assert response.status_code == 302 and "/accounts/login/" in response.url


def test_a_password_change_elsewhere_ends_the_other_sessions(citizen_client, citizen):
    assert citizen_client.get("/my/vehicles/").status_code == 200
    citizen.set_password(NEW_PASSWORD)
    citizen.save()

    response = citizen_client.get("/my/vehicles/")

    assert response.status_code == 302 and "/accounts/login/" in response.url


def test_a_changed_name_shows_on_the_next_page(citizen_client, citizen):
    citizen_client.get("/my/vehicles/")
    citizen.real_name = "李新名"
    citizen.save()

    assert "李新名" in citizen_client.get("/my/vehicles/").content.decode()


def test_logging_in_caches_the_user_for_the_next_page(has_client, citizen):
    from django.core.cache import cache

    from portal.auth_backends import _user_key

    has_client.post("/accounts/login/", {"username": citizen.id_number, "password": PASSWORD})
    cached = cache.get(_user_key(citizen.pk))

    assert cached is not None and cached.pk == citizen.pk and cached.last_login is not None


# --- Full-width digits (NFKC): one person, one spelling --------------------------------------------
WIDE = str.maketrans("0123456789Xx", "０１２３４５６７８９Ｘｘ")


def test_a_full_width_id_number_of_an_existing_account_is_the_same_number(register, citizen):
    response, _data = register(id_number=citizen.id_number.translate(WIDE), mobile="13912340001")
    assert "该身份证号码已注册" in body(response)
    assert User.objects.count() == 1


def test_a_full_width_mobile_of_an_existing_account_is_the_same_mobile(has_client, citizen, sms_outbox):
    wide_mobile = citizen.mobile[:3] + citizen.mobile[3:].translate(WIDE)
    send_code(has_client, "/accounts/register/", register_data(mobile=wide_mobile))
    # The owner of the (one) mobile is told it has an account; no code exists to register a second.
    assert [m["mobile"] for m in sms_outbox] == [citizen.mobile] and "已有账号" in sms_outbox[0]["text"]
    response = has_client.post("/accounts/register/", register_data(mobile=wide_mobile, code="123456"))
    assert "验证码错误" in body(response)
    assert User.objects.count() == 1


def test_a_full_width_registration_is_stored_in_ascii(register):
    id_number = identity.make_id_number("320812", __import__("datetime").date(1979, 1, 2), 55)
    response, _data = register(id_number=id_number.translate(WIDE), mobile="13912340002")
    assert response.status_code == 302
    user = User.objects.get()
    assert user.id_number == id_number and user.mobile == "13912340002"


def test_the_resend_countdown_reads_in_the_pages_language(has_client, sms_outbox):
    page = body(send_code(has_client, "/accounts/register/", register_data()))
    assert 'data-template="__SECONDS__秒后可重发"' in page  # was "Resend in %%(s)s s", shown as "Resend in %60 s"
    has_client.cookies["django_language"] = "en"
    try:
        page = body(send_code(has_client, "/accounts/password-reset/", {"mobile": "13912345679"}))
    finally:
        # The middleware leaves English active in this thread; later tests expect the default.
        from django.utils import translation

        translation.activate("zh-hans")
    assert 'data-template="Resend in __SECONDS__ s"' in page
