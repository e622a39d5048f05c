"""Registration, password reset and SMS login tell nobody whether an ID number or mobile has an
account until an SMS code proves the mobile; each step is limited per address and per target."""

import datetime

import pytest
import time_machine

from portal import account_services, identity
from tests import factories
from tests.conftest import last_code

PASSWORD = "Qiche-Anquan-2026"


def registration(id_number, mobile, code=""):
    return {
        "real_name": "王小明",
        "id_number": id_number,
        "mobile": mobile,
        "password1": PASSWORD,
        "password2": PASSWORD,
        "code": code,
    }


def answer(response):
    """What the page tells the visitor: the notice or error beside the button, and form errors."""
    context = response.context
    errors = {k: [str(e) for e in v] for k, v in context["form"].errors.items()} if context.get("form") else {}
    return context.get("sms_notice"), context.get("sms_error"), errors


@pytest.mark.parametrize("url", ["/accounts/register/", "/accounts/password-reset/", "/accounts/login/sms/"])
def test_send_code_answers_alike_for_10_mobiles_with_and_10_without_an_account(has_client, url):
    known = [factories.UserFactory().mobile for _ in range(10)]
    unknown = [f"1370000{n:04d}" for n in range(10)]
    answers = {"known": set(), "unknown": set()}
    for kind, mobiles in (("known", known), ("unknown", unknown)):
        for n, mobile in enumerate(mobiles):
            data = {**registration("", mobile), "send_code": "1"}
            with time_machine.travel(datetime.datetime(2026, 11, 24, 2, n, tzinfo=datetime.UTC), tick=False):
                first = has_client.post(url, data, REMOTE_ADDR=f"10.20.{n}.1")
                again = has_client.post(url, data, REMOTE_ADDR=f"10.20.{n}.2")  # the 60-second rule
            answers[kind].add((answer(first)[:2], answer(again)[1]))
    assert len(answers["known"]) == len(answers["unknown"]) == 1
    assert answers["known"] == answers["unknown"]


def test_a_wrong_code_answers_alike_for_a_taken_and_a_free_id_number(has_client):
    taken = factories.UserFactory().id_number
    free = factories.make_id_number()
    answers = []
    for n, id_number in enumerate((taken, free)):
        mobile = f"1360000000{n}"
        has_client.post("/accounts/register/", {**registration(id_number, mobile), "send_code": "1"})
        wrong = "000000" if last_code(mobile) != "000000" else "111111"
        answers.append(answer(has_client.post("/accounts/register/", registration(id_number, mobile, wrong))))
    assert answers[0] == answers[1]
    assert "该身份证号码已注册" not in str(answers[0])


def test_only_a_proven_mobile_learns_that_an_id_number_is_taken(has_client):
    taken = factories.UserFactory().id_number
    has_client.post("/accounts/register/", {**registration(taken.lower(), "13600000009"), "send_code": "1"})
    response = has_client.post(
        "/accounts/register/", registration(taken.lower(), "13600000009", last_code("13600000009"))
    )
    assert "该身份证号码已注册" in str(answer(response)) and "窗口" in str(answer(response))


def test_sends_are_limited_per_address(has_client, monkeypatch):
    monkeypatch.setattr(account_services, "SEND_PER_IP", "5/h")
    notices = [
        answer(has_client.post("/accounts/password-reset/", {"mobile": f"1370001{n:04d}", "send_code": "1"}))
        for n in range(6)
    ]
    assert all(a[0] and not a[1] for a in notices[:5])
    assert "请求过于频繁" in notices[5][1]


def test_registration_attempts_are_limited_per_id_number_from_any_address(has_client, monkeypatch):
    monkeypatch.setattr(account_services, "SUBMIT_PER_TARGET", "5/h")
    target = factories.make_id_number()
    for n in range(5):
        response = has_client.post(
            "/accounts/register/", registration(target, f"1360001{n:04d}", "123456"), REMOTE_ADDR=f"10.30.{n}.1"
        )
        assert "请求过于频繁" not in str(answer(response))
    # Sixth try at the same ID number (full-width spelling, another address and mobile): refused.
    full_width = target.translate(str.maketrans("0123456789X", "０１２３４５６７８９Ｘ"))
    response = has_client.post(
        "/accounts/register/", registration(full_width, "13600019999", "123456"), REMOTE_ADDR="10.30.9.9"
    )
    assert "请求过于频繁" in str(answer(response))


def test_registration_attempts_are_limited_per_address_across_id_numbers(has_client, monkeypatch):
    monkeypatch.setattr(account_services, "SUBMIT_PER_IP", "5/h")
    ids = [identity.make_id_number("320803", datetime.date(1980, 1, 1), n) for n in range(6)]
    answers = [
        str(answer(has_client.post("/accounts/register/", registration(i, f"1360002{n:04d}", "123456"))))
        for n, i in enumerate(ids)
    ]
    assert not any("请求过于频繁" in a for a in answers[:5])
    assert "请求过于频繁" in answers[5]
