"""Random and hostile values in every plates form and URL parameter: a page with a message or a
404, never a 500 (property-based, hypothesis)."""

import os

import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

pytestmark = pytest.mark.django_db

HOSTILE = [
    "",
    " ",
    "0",
    "-1",
    "1.5",
    "1e308",
    "NaN",
    str(2**63),
    str(-(2**63) - 1),
    "9" * 40,
    "苏HA000A",
    "苏HA000A\x00",
    "\x00",
    "' OR 1=1 --",
    "%(number)s",
    "{number}",
    "A" * 5000,
    "ß",
    "𝟘𝟙𝟚",
    "١٢٣٤٥٦",
    "<script>alert(1)</script>",
]
# Any text the test client can send (no lone surrogates, which are not encodable at all).
TEXT = st.one_of(
    st.sampled_from(HOSTILE),
    st.text(alphabet=st.characters(blacklist_categories=("Cs",)), max_size=40),
    st.integers(min_value=-(2**80), max_value=2**80).map(str),
)
ROW_ID = st.one_of(st.integers(min_value=0, max_value=10**18 - 1), st.sampled_from([1, 2, 10**17]))
RUN = settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])


def no_server_error(response):
    assert response.status_code < 500, response.status_code


@pytest.fixture
def hostile_client(citizen_client):
    citizen_client.raise_request_exception = True  # an exception fails the test with its trace
    return citizen_client


@RUN
@given(vin=TEXT, cert=TEXT, accept=TEXT)
def test_start_form(hostile_client, pool, vin, cert, accept):
    from django.urls import reverse

    no_server_error(hostile_client.post(reverse("plates:start"), {"accept": accept, "vin": vin, "cert_number": cert}))


@RUN
@given(action=st.one_of(st.sampled_from(["send", "check"]), TEXT), code=TEXT, pk=ROW_ID)
def test_verify_form_and_its_url(hostile_client, selection, action, code, pk):
    from plates.models import Selection

    Selection.objects.filter(pk=selection.pk).update(sms_verified_at=None)
    for target in (selection.pk, pk):
        no_server_error(hostile_client.post(f"/plates/s/{target}/verify/", {"action": action, "code": code}))


@RUN
@given(batch=TEXT, number=TEXT, avoid_four=TEXT, pk=ROW_ID)
def test_draw_and_backup_forms(hostile_client, selection, batch, number, avoid_four, pk):
    for target in (selection.pk, pk):
        no_server_error(hostile_client.post(f"/plates/s/{target}/draw/", {"avoid_four": avoid_four}))
        no_server_error(hostile_client.post(f"/plates/s/{target}/backup/", {"batch": batch, "number": number}))


@RUN
@given(
    fields=st.dictionaries(
        st.sampled_from(["c0_prefix", "c0_0", "c0_1", "c0_2", "c0_3", "c0_4", "c1_0", "c4_4", "c9_0"]),
        TEXT,
        max_size=8,
    ),
    pick=st.one_of(st.none(), TEXT),
    pk=ROW_ID,
)
def test_compose_form_and_the_pick(hostile_client, selection, fields, pick, pk):
    data = dict(fields)
    if pick is not None:
        data["number"] = pick
    for target in (selection.pk, pk):
        no_server_error(hostile_client.post(f"/plates/s/{target}/compose/", data))


@RUN
@given(mode=TEXT, text=TEXT, avoid_four=TEXT, pk=ROW_ID)
def test_find_parameters(hostile_client, selection, mode, text, avoid_four, pk):
    from django.core.cache import cache

    cache.clear()  # the per-minute search limit would otherwise answer every later example
    for target in (selection.pk, pk):
        no_server_error(
            hostile_client.get(f"/plates/s/{target}/find/", {"mode": mode, "text": text, "avoid_four": avoid_four})
        )


@RUN
@given(action=st.one_of(st.sampled_from(["confirm", "send"]), TEXT), number_id=TEXT, code=TEXT, pk=ROW_ID)
def test_confirm_form(hostile_client, selection, action, number_id, code, pk):
    for target in (selection.pk, pk):
        no_server_error(
            hostile_client.post(
                f"/plates/s/{target}/confirm/", {"action": action, "number_id": number_id, "code": code}
            )
        )


@RUN
@given(confirm=TEXT, pk=ROW_ID, name=TEXT)
@example(confirm="", pk=0, name="/")  # a name with no file name in it (once found by hypothesis)
def test_hold_pages_and_forms(hostile_client, citizen, has, pool, settings, tmp_path, confirm, pk, name):
    from django.core.files.uploadedfile import SimpleUploadedFile
    from django.utils import timezone

    from plates.models import Ban, Hold
    from tests.plates.conftest import confirmed_hold, new_vehicle, set_city, verified_selection

    settings.MEDIA_ROOT = tmp_path
    Ban.objects.filter(lifted_at__isnull=True).update(lifted_at=timezone.now())  # from an earlier "yes"
    hold = Hold.objects.filter(citizen=citizen, status="held").first()
    if hold is None:
        set_city(has, "plate_second_sms", False)
        hold = confirmed_hold(verified_selection(citizen, new_vehicle(citizen, has)))
    Hold.objects.filter(pk=hold.pk).update(flagged=True)
    for target in (hold.pk, pk):
        no_server_error(hostile_client.get(f"/plates/hold/{target}/"))
        no_server_error(hostile_client.get(f"/plates/hold/{target}/voucher.pdf"))
        # A file name as a browser sends it: the last path part, never "", "." or ".." (the test
        # client itself refuses those); the hostile text goes as the form's other value below.
        filename = os.path.basename(name[:100].replace("\x00", ""))
        upload = SimpleUploadedFile(filename if filename not in ("", ".", "..") else "x", b"%PDF-1.4")
        no_server_error(hostile_client.post(f"/plates/hold/{target}/invoice/", {"invoice": upload}))
        no_server_error(hostile_client.post(f"/plates/hold/{target}/invoice/", {"invoice": name}))
    # Last, as it ends the hold: a hostile confirmation value gives it up only when it is "yes".
    no_server_error(hostile_client.post(f"/plates/hold/{pk}/abandon/", {"confirm": confirm}))
    no_server_error(hostile_client.post(f"/plates/hold/{hold.pk}/abandon/", {"confirm": confirm}))


@RUN
@given(path=st.one_of(TEXT, st.integers(min_value=-(2**70), max_value=2**70).map(str)))
def test_url_parameters_beyond_any_row_id(hostile_client, selection, path):
    from urllib.parse import quote

    segment = quote(path.replace("\x00", ""), safe="") or "0"
    for url in (
        f"/plates/s/{segment}/",
        f"/plates/s/{segment}/compose/",
        f"/plates/hold/{segment}/",
        "/plates/blocks/",
    ):
        no_server_error(hostile_client.get(url))
