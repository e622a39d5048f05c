"""Property-based: hostile values (NUL bytes, full-width digits, huge strings, any Unicode) thrown
at the registration, login, password-reset, SMS-login and identity forms and at the SMS receipt
callback never produce a 500, and never create an account without a code."""

import json
import time

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from portal import sms
from portal.models import User

FULL_WIDTH = str.maketrans("0123456789Xx", "０１２３４５６７８９Ｘｘ")
SETTINGS = settings(
    max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow]
)

hostile = st.one_of(
    st.text(max_size=40),
    st.text(alphabet=st.characters(blacklist_categories=("Cs",)), min_size=1, max_size=12),
    st.builds(lambda a, b: a + "\x00" + b, st.text(max_size=8), st.text(max_size=8)),
    st.from_regex(r"[0-9０-９xXｘＸ ]{14,20}", fullmatch=True),
    st.from_regex(r"(\+86|86)?1[3-9][0-9０-９\- ]{9,12}", fullmatch=True),
    st.sampled_from(
        [
            "32080319900517001X".translate(FULL_WIDTH),
            "13812345678".translate(FULL_WIDTH),
            "9" * 100_000,
            "𝟙𝟚𝟛𝟜𝟝𝟞",
            "١٣٨١٢٣٤٥٦٧٨",
            "<script>alert(1)</script>",
            "' OR 1=1 --",
            "\ufeff13812345678",
            "",
        ]
    ),
)
addresses = st.one_of(st.ip_addresses().map(str), hostile)
FORMS = {
    "/accounts/register/": ["real_name", "id_number", "mobile", "password1", "password2", "code"],
    "/accounts/login/": ["username", "password"],
    "/accounts/password-reset/": ["mobile", "code", "password1", "password2"],
    "/accounts/login/sms/": ["mobile", "code", "next"],
}


@pytest.fixture
def proxied(settings):
    # The proxy's header is attacker-controlled input as far as the portal's parsing goes.
    settings.CLIENT_IP_HEADER = "HTTP_X_FORWARDED_FOR"


@pytest.mark.parametrize("url", list(FORMS))
@SETTINGS
@given(values=st.lists(hostile, min_size=6, max_size=6), press_send=st.booleans(), ip=addresses)
def test_no_hostile_value_breaks_an_account_form(has_client, proxied, url, values, press_send, ip):
    data = dict(zip(FORMS[url], values, strict=False))
    if press_send:
        data["send_code"] = "1"
    response = has_client.post(url, data, HTTP_X_FORWARDED_FOR=ip)
    assert response.status_code in (200, 302)
    if url == "/accounts/register/":
        assert not User.objects.exists()  # no code was ever sent for these: nothing is created


@pytest.fixture
def unverified_client(has_client):
    from tests import factories

    user = factories.UserFactory(identity_verified_at=None)
    factories.VehicleFactory(owner_id_number=user.id_number, owner_mobile="13500001111")
    has_client.force_login(user)
    return has_client


@SETTINGS
@given(values=st.lists(hostile, min_size=3, max_size=3), press_send=st.booleans())
def test_no_hostile_value_breaks_identity_verification(unverified_client, values, press_send):
    data = dict(zip(["target", "code", "next"], values, strict=True))
    if press_send:
        data["send_code"] = "1"
    response = unverified_client.post("/accounts/verify/", data)
    assert response.status_code == 200 and "135****1111" in response.content.decode()


json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | hostile,
    lambda children: st.lists(children, max_size=3) | st.dictionaries(hostile, children, max_size=3),
    max_leaves=8,
)


@pytest.fixture
def gateway(settings):
    settings.SMS_HTTP_APP_ID = "open122-test"
    settings.SMS_HTTP_SECRET = "test-secret"


@SETTINGS
@given(body=st.one_of(st.binary(max_size=200), json_values.map(lambda v: json.dumps(v).encode())))
def test_no_body_breaks_the_receipt_callback(client, db, gateway, body):
    response = client.post("/accounts/sms/receipt/", body, content_type="application/json", HTTP_HOST="localhost")
    assert response.status_code in (200, 400, 403, 409)


@SETTINGS
@given(message_id=hostile, status=hostile, nonce=hostile, extra=st.dictionaries(hostile, hostile, max_size=2))
def test_no_signed_receipt_breaks_the_callback(client, db, gateway, message_id, status, nonce, extra):
    """Signed correctly, so every field reaches the handler."""
    fields = {
        **extra,
        "app_id": "open122-test",
        "message_id": message_id,
        "status": status,
        "timestamp": str(int(time.time())),
        "nonce": nonce,
    }
    fields.pop("signature", None)
    fields["signature"] = sms.sign({k: str(v) for k, v in fields.items()})
    response = client.post(
        "/accounts/sms/receipt/", json.dumps(fields), content_type="application/json", HTTP_HOST="localhost"
    )
    assert response.status_code in (200, 403, 409)


@pytest.mark.parametrize("depth", [10, 100_000])
def test_deeply_nested_json_is_a_bad_request_on_the_receipt_callback(client, db, gateway, depth):
    # Past the parser's recursion limit json.loads raises RecursionError, not ValueError.
    body = ("[" * depth + "]" * depth).encode()
    response = client.post("/accounts/sms/receipt/", body, content_type="application/json", HTTP_HOST="localhost")
    assert response.status_code == 400
