"""Random and hostile values in every accident quick-settlement form, URL and clerk decision: a
page with a message, a 404 or a 429, never a 500, and nothing half-written (hypothesis)."""

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests import factories
from tests.violations.accident_helpers import as_user, driver, join_case, start_case, start_data, upload
from violations.models import AccidentCase, AccidentParty, AccidentPhoto

pytestmark = pytest.mark.django_db

HOSTILE = [
    "",
    " ",
    "0",
    "-1",
    "yes",
    "no",
    "A",
    "B",
    "C",
    "rear_end",
    "both_lane_change",
    "full",
    "none",
    "9" * 40,
    "\x00",
    "' OR 1=1 --",
    "%(plate)s",
    "{place}",
    "A" * 5000,
    "𝟘𝟙𝟚",
    "2026-02-30T25:61",
    "<script>alert(1)</script>",
    "苏H",
]
TEXT = st.one_of(
    st.sampled_from(HOSTILE),
    st.text(alphabet=st.characters(blacklist_categories=("Cs",)), max_size=40),
    st.integers(min_value=-(2**80), max_value=2**80).map(str),
)
RUN = settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
START_FIELDS = [
    "no_injury",
    "drivable",
    "vehicle",
    "occurred_at",
    "place",
    "weather",
    "own_damage",
    "other_plate",
    "other_licence_number",
    "other_damage",
]


@pytest.fixture
def pair(has):
    return driver(has, "苏H1A101"), driver(has, "苏H2B202")


@RUN
@given(field=st.sampled_from(START_FIELDS), value=TEXT)
def test_the_start_form_never_fails(client, pair, field, value):
    a, b = pair
    as_user(client, a)
    before = AccidentCase.objects.count(), AccidentParty.objects.count(), AccidentPhoto.objects.count()
    data = start_data(a, b, **{field: value.replace("\x00", "")})
    response = client.post("/violations/accidents/new/", data)
    assert response.status_code in (200, 302)
    if response.status_code == 200:
        # Refused: nothing of the case was written.
        assert (AccidentCase.objects.count(), AccidentParty.objects.count(), AccidentPhoto.objects.count()) == before


@RUN
@given(data=st.binary(max_size=300))
def test_any_bytes_as_a_photo_are_refused_or_accepted_never_a_500(client, pair, data):
    a, b = pair
    as_user(client, a)
    response = client.post("/violations/accidents/new/", start_data(a, b, photo_damage_b=upload("x.jpg", data)))
    assert response.status_code in (200, 302)


@RUN
@given(code=TEXT, step=st.sampled_from(["join_code", "send_code", "confirm"]), sms=TEXT)
def test_the_join_page_never_fails(client, pair, settings, code, step, sms):
    settings.RUSH_LIMITS = {}
    a, b = pair
    as_user(client, b)
    data = {step: "1", "join_code": code.replace("\x00", ""), "code": sms.replace("\x00", "")}
    if step != "join_code":
        data.pop("join_code")
    response = client.post("/violations/accidents/join/", data)
    assert response.status_code in (200, 302)


@RUN
@given(action=st.sampled_from(["propose", "accept", "ask_clerk", "withdraw", "other"]), a_value=TEXT, b_value=TEXT)
def test_the_case_page_never_fails(client, pair, action, a_value, b_value):
    a, b = pair
    case = AccidentCase.objects.filter(parties__user=a, status="joined").first()
    if case is None:
        case = start_case(client, a, b)
        join_case(client, case, b)
    as_user(client, a)
    data = {action: "1", "situation": a_value, "fault_role": b_value, "version": b_value}
    response = client.post(f"/violations/accidents/{case.pk}/", {k: v.replace("\x00", "") for k, v in data.items()})
    assert response.status_code in (200, 302)


@RUN
@given(situation=TEXT, a_value=TEXT, b_value=TEXT, note=TEXT)
def test_the_clerks_decision_never_fails(client, pair, situation, a_value, b_value, note):
    a, b = pair
    case = AccidentCase.objects.filter(parties__user=a, status="awaiting_clerk").first()
    if case is None:
        case = start_case(client, a, b)
        join_case(client, case, b)
        as_user(client, a)
        client.post(f"/violations/accidents/{case.pk}/", {"ask_clerk": "1"})
    clerk = factories.clerk("has")
    as_user(client, clerk)
    data = {"decide": "1", "situation": situation, "a_responsibility": a_value, "b_responsibility": b_value}
    data["note"] = note
    response = client.post(
        f"/admin/violations/accidentcase/{case.pk}/change/", {k: v.replace("\x00", "") for k, v in data.items()}
    )
    assert response.status_code == 302


@RUN
@given(pk=st.integers(min_value=0, max_value=10**19), suffix=st.sampled_from(["", "document/", "document/pdf/"]))
def test_case_urls_with_any_id_are_404_for_a_stranger(client, pair, pk, suffix):
    a, _b = pair
    as_user(client, a)
    response = client.get(f"/violations/accidents/{pk}/{suffix}")
    assert response.status_code == 404
