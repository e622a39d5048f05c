"""Property-based: no path segment, filter or callback body makes a portal page answer 500.

Covers the shared <code:> converter (payment result, receipt, cashier, postal tracking, the
calendar feed, notice receipts), admin filters, and the signed callbacks with any field values,
including non-ASCII signatures, NUL bytes, huge timestamps and deeply nested JSON.
"""

import json
from urllib.parse import quote

import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from notices import push
from portal.payments import gateways
from portal.postal import carriers
from tests import factories

FUZZ = settings(max_examples=40, deadline=None, suppress_health_check=list(HealthCheck))
SEGMENT = st.one_of(
    st.text(min_size=1, max_size=80),
    st.sampled_from(["\x00", "a\x00b", "2026\x001", "0" * 200, "签名", "%00", "..", "1e309"]),
)
PAGES = [
    "/pay/result/{}/",
    "/pay/receipt/{}/",
    "/pay/receipt/{}/pdf/",
    "/pay/sandbox/cashier/{}/",
    "/postal/track/{}/",
    "/postal/sandbox/{}/",
    "/notices/calendar/{}.ics",
]


@pytest.fixture
def signed_in(client, has):
    client.defaults["HTTP_HOST"] = "has.localhost"
    client.force_login(factories.UserFactory())
    return client


@FUZZ
@given(segment=SEGMENT, page=st.sampled_from(PAGES))
def test_any_path_segment_is_at_most_a_404(signed_in, segment, page):
    response = signed_in.get(page.format(quote(segment, safe="")))
    assert response.status_code in (200, 302, 404), response.status_code


@FUZZ
@given(field=st.sampled_from(["status__exact", "city__id__exact", "q", "o", "purpose", "p"]), value=SEGMENT)
def test_any_admin_filter_is_answered_without_an_error(client, has, field, value):
    client.defaults["HTTP_HOST"] = "has.localhost"
    client.force_login(factories.UserFactory(is_staff=True, is_superuser=True))
    for model in ("portal/payment", "portal/refund", "portal/shipment", "portal/vehicle"):
        response = client.get(f"/admin/{model}/", {field: value})
        assert response.status_code in (200, 302), (model, response.status_code)


@FUZZ
@given(
    fields=st.dictionaries(
        st.sampled_from(["out_trade_no", "trade_no", "total_amount", "trade_status", "notify_id", "gateway", "x"]),
        st.one_of(SEGMENT, st.sampled_from(["TRADE_SUCCESS", "TRADE_CLOSED", "NaN", "sNaN", "1e309", "-0"])),
    ),
    signature=st.one_of(st.none(), st.text(max_size=70), st.sampled_from(["签名", "\x00"])),
)
@example(fields={"out_trade_no": "2026\x001", "trade_status": "TRADE_SUCCESS", "total_amount": "1"}, signature=None)
@example(fields={"out_trade_no": "1", "total_amount": "1e309", "trade_status": "TRADE_SUCCESS"}, signature=None)
@example(fields={"out_trade_no": "1"}, signature="签名")
@example(fields={"out_trade_no": "1", "total_amount": "sNaN", "trade_status": "TRADE_SUCCESS"}, signature=None)
def test_payment_notifications_with_any_fields_are_refused_or_accepted_never_a_500(client, has, fields, signature):
    data = dict(fields)
    # Signed with the sandbox secret, so the fields themselves reach the service; or any signature.
    data["sign"] = gateways.sign(data, "dev-payment-secret") if signature is None else signature
    response = client.post("/pay/notify/", data, HTTP_HOST="has.localhost")
    assert response.status_code in (200, 400)


def _nested(depth: int) -> str:
    return "[" * depth + "]" * depth


@FUZZ
@given(
    body=st.one_of(
        st.builds(_nested, st.integers(min_value=1, max_value=100_000)),
        st.recursive(
            st.one_of(st.none(), st.booleans(), st.integers(), st.text(max_size=20)),
            lambda children: (
                st.lists(children, max_size=3) | st.dictionaries(st.text(max_size=10), children, max_size=3)
            ),
            max_leaves=20,
        ).map(lambda v: json.dumps({"events": [v] if not isinstance(v, list) else v})),
        st.text(max_size=200),
    ),
    signed=st.booleans(),
    signature=st.sampled_from(["签名", "\x00", "", "00"]),
)
def test_postal_webhooks_with_any_body_never_give_a_500(client, has, body, signed, signature):
    raw = body.encode("utf-8", "surrogatepass")
    header = carriers.body_signature(raw, "dev-postal-secret") if signed else signature
    response = client.generic(
        "POST",
        "/postal/webhook/",
        raw,
        content_type="application/json",
        HTTP_X_CARRIER_SIGNATURE=header,
        HTTP_HOST="has.localhost",
    )
    assert response.status_code in (200, 400)


@FUZZ
@given(
    channel=st.sampled_from(["push", "sms", "x", "签"]),
    message_id=SEGMENT,
    status=st.sampled_from(["delivered", "failed", "\x00"]),
    ts=st.one_of(st.integers(), st.sampled_from(["1e309", "-1", "NaN", "99999999999999999999999999"])),
    signed=st.booleans(),
    signature=st.sampled_from(["签名", "\x00", ""]),
)
def test_notice_receipts_with_any_fields_never_give_a_500(
    client, has, channel, message_id, status, ts, signed, signature
):
    sig = push.sign(channel, message_id, status, str(ts)) if signed else signature
    data = {"message_id": message_id, "status": status, "ts": str(ts), "sig": sig}
    response = client.post(f"/notices/receipt/{quote(channel, safe='')}/", data, HTTP_HOST="has.localhost")
    assert response.status_code in (200, 400, 403, 404)
