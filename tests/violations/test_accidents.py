"""Accident quick settlement (docs/rules.md §5.7): who may settle online, the join code and SMS,
agreement and determination, the clerk's queue, the lapse, insurers, and what each party sees."""

import datetime
import json

import pytest
import time_machine
from django.utils import timezone, translation

from notices.models import Notice
from portal import identity
from tests import factories
from tests.violations.accident_helpers import as_user, driver, join_case, png, start_case, start_data, upload
from violations import insurers, pdf_accident
from violations.models import AccidentCase, AccidentParty, InsurerNotice
from violations.services import accidents

pytestmark = pytest.mark.django_db


@pytest.fixture
def a(has):
    return driver(has, "苏H1A001")


@pytest.fixture
def b(has):
    return driver(has, "苏H2B002", insurer="中国平安财产保险股份有限公司")


@pytest.fixture(autouse=True)
def _fresh_sandbox():
    insurers.sandbox_received.clear()
    yield
    insurers.sandbox_received.clear()


def _page(client, case):
    return client.get(f"/violations/accidents/{case.pk}/").content.decode()


def _agree(client, case, a, b, situation="rear_end", fault="A"):
    as_user(client, a)
    client.post(f"/violations/accidents/{case.pk}/", {"propose": "1", "situation": situation, "fault_role": fault})
    case.refresh_from_db()
    as_user(client, b)
    return client.post(f"/violations/accidents/{case.pk}/", {"accept": "1", "version": case.proposal_version})


# --- Who may settle online -------------------------------------------------------------------
@pytest.mark.parametrize(
    ("no_injury", "drivable", "says"),
    [("no", "yes", "120"), ("yes", "no", "122"), ("no", "no", "122")],
)
def test_an_injury_or_an_undrivable_vehicle_is_refused_with_a_call_to_122(client, a, b, no_injury, drivable, says):
    as_user(client, a)
    response = client.post("/violations/accidents/new/", start_data(a, b, no_injury=no_injury, drivable=drivable))
    assert response.status_code == 200
    assert says in response.content.decode()
    assert not AccidentCase.objects.exists()


def test_the_refusal_comes_even_when_the_rest_of_the_form_is_empty(client, a):
    as_user(client, a)
    response = client.post("/violations/accidents/new/", {"no_injury": "no"})
    assert "122" in response.content.decode() and not AccidentCase.objects.exists()


def test_a_time_in_the_future_or_past_the_window_is_refused_and_the_form_keeps_what_was_typed(client, a, b):
    as_user(client, a)
    future = (timezone.localtime() + datetime.timedelta(hours=1)).strftime("%Y-%m-%dT%H:%M")
    response = client.post("/violations/accidents/new/", start_data(a, b, occurred_at=future))
    body = response.content.decode()
    assert response.status_code == 200 and "淮海东路与健康西路" in body and not AccidentCase.objects.exists()
    old = (timezone.localtime() - datetime.timedelta(hours=25)).strftime("%Y-%m-%dT%H:%M")
    response = client.post("/violations/accidents/new/", start_data(a, b, occurred_at=old))
    assert response.status_code == 200 and not AccidentCase.objects.exists()
    within = (timezone.localtime() - datetime.timedelta(hours=23, minutes=50)).strftime("%Y-%m-%dT%H:%M")
    response = client.post("/violations/accidents/new/", start_data(a, b, occurred_at=within))
    assert response.status_code == 302 and AccidentCase.objects.count() == 1


def test_photos_are_checked_by_content_and_each_kind_is_required(client, a, b):
    as_user(client, a)
    fake = upload("scene.png", b"<html>not a picture</html>")
    response = client.post("/violations/accidents/new/", start_data(a, b, photo_scene=fake))
    assert response.status_code == 200 and not AccidentCase.objects.exists()
    data = start_data(a, b)
    del data["photo_damage_b"]
    assert client.post("/violations/accidents/new/", data).status_code == 200
    assert not AccidentCase.objects.exists()


def test_an_uninsured_vehicle_is_a_case_for_the_police(client, has, b):
    uninsured = driver(has, "苏H3C003", insured=False)
    as_user(client, uninsured)
    response = client.post("/violations/accidents/new/", start_data(uninsured, b))
    assert "122" in response.content.decode() and not AccidentCase.objects.exists()


def test_a_vehicle_not_ones_own_cannot_be_chosen(client, a, b):
    as_user(client, a)
    response = client.post("/violations/accidents/new/", start_data(a, b, vehicle=str(b.vehicle.pk)))
    assert response.status_code == 200 and not AccidentCase.objects.exists()


# --- The whole way to an agreement -------------------------------------------------------------
def test_a_starts_b_joins_with_the_code_and_sms_both_agree_and_the_insurers_are_told(client, a, b, sms_outbox):
    case = start_case(client, a, b)
    assert case.status == "open" and len(case.join_code) == 8
    assert case.photos.count() == 3
    assert case.join_code in _page(client, case)

    response = join_case(client, case, b)
    assert response.status_code == 302
    case.refresh_from_db()
    assert case.status == "joined"
    party_b = case.party("B")
    assert party_b.user == b and party_b.vehicle == b.vehicle and party_b.insurer == "中国平安财产保险股份有限公司"
    assert Notice.objects.filter(
        kind="violations.accident_joined", id_number_hash=identity.id_key(a.id_number)
    ).exists()

    response = _agree(client, case, a, b)
    assert response.status_code == 302
    case.refresh_from_db()
    assert case.status == "agreed"
    assert (case.a_responsibility, case.b_responsibility) == ("full", "none")
    assert case.document_number.startswith("XS")

    document = client.get(f"/violations/accidents/{case.pk}/document/").content.decode()
    assert "道路交通事故自行协商协议书" in document or "自行协商协议书" in document
    assert case.document_number in document
    pdf = client.get(f"/violations/accidents/{case.pk}/document/pdf/")
    assert pdf.status_code == 200 and pdf.content[:4] == b"%PDF"
    with translation.override("en"):
        english = pdf_accident.document_text(case)
    assert english["title"] == "Road traffic accident self-negotiated agreement"
    assert "full responsibility" in str(english["parties"])
    assert pdf_accident.document_pdf(case, "en")[:4] == b"%PDF"

    # Both insurers got one signed report each (the sandbox verified the signature).
    accidents.insurer_notices_send()
    notices = InsurerNotice.objects.filter(case=case)
    assert sorted(n.state for n in notices) == ["sent", "sent"]
    received = {r["message"]["insured"]["insurer"]: r["message"] for r in insurers.sandbox_received}
    assert set(received) == {"中国人民财产保险股份有限公司", "中国平安财产保险股份有限公司"}
    assert received["中国人民财产保险股份有限公司"]["insured"]["responsibility"] == "full"
    body = json.dumps(received, ensure_ascii=False)
    for secret in (a.id_number, b.id_number, a.mobile, b.mobile):
        assert secret not in body
    # A second sweep sends nothing again.
    assert accidents.insurer_notices_send() == {"sent": 0, "failed": 0}
    assert len(insurers.sandbox_received) == 2
    assert Notice.objects.filter(kind="violations.accident_agreed").count() == 2
    # Every transition left a history row.
    reasons = list(case.history.order_by("history_date").values_list("history_change_reason", flat=True))
    assert reasons[0] == "started by party A"
    assert any("joined" in (r or "") for r in reasons) and any("agreement made" in (r or "") for r in reasons)


def test_the_sandbox_refuses_a_forged_signature():
    with pytest.raises(insurers.InsurerError):
        insurers.SandboxInsurer().receive(b'{"reference": "x"}', "0" * 64)


def test_only_the_other_party_accepts_and_only_the_proposal_they_saw(client, a, b):
    case = start_case(client, a, b)
    join_case(client, case, b)
    as_user(client, a)
    client.post(f"/violations/accidents/{case.pk}/", {"propose": "1", "situation": "reversing", "fault_role": "B"})
    case.refresh_from_db()
    # The proposer cannot accept their own proposal.
    client.post(f"/violations/accidents/{case.pk}/", {"accept": "1", "version": case.proposal_version})
    case.refresh_from_db()
    assert case.status == "joined"
    # B accepts a stale version after A changed the proposal: refused.
    stale = case.proposal_version
    client.post(f"/violations/accidents/{case.pk}/", {"propose": "1", "situation": "both_lane_change"})
    as_user(client, b)
    client.post(f"/violations/accidents/{case.pk}/", {"accept": "1", "version": stale})
    case.refresh_from_db()
    assert case.status == "joined"
    client.post(f"/violations/accidents/{case.pk}/", {"accept": "1", "version": case.proposal_version})
    case.refresh_from_db()
    assert case.status == "agreed" and (case.a_responsibility, case.b_responsibility) == ("equal", "equal")


# --- Joining -------------------------------------------------------------------------------------
def test_a_stranger_with_the_code_cannot_join_and_sees_why(client, has, a, b):
    case = start_case(client, a, b)
    stranger = driver(has, "苏H4D004")
    as_user(client, stranger)
    client.post("/violations/accidents/join/", {"join_code": case.join_code})
    page = client.get("/violations/accidents/join/").content.decode()
    assert "不是您的" in page
    assert client.post("/violations/accidents/join/", {"send_code": "1"}).status_code == 200
    case.refresh_from_db()
    assert case.status == "open" and case.party("B").user is None


def test_b_whose_plate_was_mistyped_is_refused(client, has, a, b):
    case = start_case(client, a, b, other_plate="苏H9Z999")
    response = join_case(client, case, b)
    assert "苏H9Z999" in response.content.decode() and "122" in response.content.decode()
    case.refresh_from_db()
    assert case.status == "open"


def test_a_wrong_sms_code_does_not_join(client, a, b):
    case = start_case(client, a, b)
    as_user(client, b)
    client.post("/violations/accidents/join/", {"join_code": case.join_code.lower()})
    client.post("/violations/accidents/join/", {"send_code": "1"})
    client.post("/violations/accidents/join/", {"confirm": "1", "code": "000000"})
    case.refresh_from_db()
    assert case.status == "open"


def test_an_unknown_code_says_so_and_typing_codes_is_limited(client, a, settings):
    settings.RUSH_LIMITS = {**settings.RUSH_LIMITS, "violations.accident_join": ("3/h", "30/h")}
    as_user(client, a)
    response = client.post("/violations/accidents/join/", {"join_code": "ZZZZZZZZ"})
    assert "没有使用此快处码" in response.content.decode()
    statuses = [client.post("/violations/accidents/join/", {"join_code": "ZZZZZZZ2"}).status_code for _ in range(3)]
    assert statuses[-1] == 429


def test_the_case_lapses_when_the_other_party_never_confirms(client, a, b):
    case = start_case(client, a, b)
    with time_machine.travel(timezone.now() + datetime.timedelta(hours=23, minutes=59)):
        assert accidents.accidents_lapse() == 0
    with time_machine.travel(timezone.now() + datetime.timedelta(hours=24, minutes=1)):
        assert accidents.accidents_lapse() == 1
        assert accidents.accidents_lapse() == 0  # idempotent
        response = join_case(client, case, b)
        assert response.status_code == 200
    case.refresh_from_db()
    assert case.status == "lapsed" and case.party("B").user is None
    assert Notice.objects.filter(
        kind="violations.accident_lapsed", id_number_hash=identity.id_key(a.id_number)
    ).exists()
    assert case.history.filter(history_change_reason__startswith="lapsed").exists()


def test_a_may_withdraw_only_before_b_joins(client, a, b):
    case = start_case(client, a, b)
    as_user(client, a)
    client.post(f"/violations/accidents/{case.pk}/", {"withdraw": "1"})
    case.refresh_from_db()
    assert case.status == "withdrawn"


# --- The clerk -------------------------------------------------------------------------------------
def test_a_clerk_sees_waiting_cases_longest_first_and_issues_the_determination(client, has, a, b):
    first = start_case(client, a, b)
    join_case(client, first, b)
    second_a, second_b = driver(has, "苏H5E005"), driver(has, "苏H6F006")
    second = start_case(client, second_a, second_b)
    join_case(client, second, second_b)
    as_user(client, second_a)
    client.post(f"/violations/accidents/{second.pk}/", {"ask_clerk": "1"})
    with time_machine.travel(timezone.now() + datetime.timedelta(minutes=30)):
        as_user(client, b)
        client.post(f"/violations/accidents/{first.pk}/", {"ask_clerk": "1"})
    first.refresh_from_db()
    assert first.status == "awaiting_clerk" and first.decide_by is not None

    clerk = factories.clerk("has")
    as_user(client, clerk)
    for path in ("/admin/violations/accidentcase/?queue=awaiting", "/admin/violations/accidentcase/"):
        page = client.get(path).content.decode()
        assert page.index(str(second.pk).join(["/", "/"])) < page.index(str(first.pk).join(["/", "/"]))
        assert "小时" in page  # the time waited
    response = client.post(
        f"/admin/violations/accidentcase/{first.pk}/change/",
        {
            "decide": "1",
            "situation": "lane_change",
            "a_responsibility": "main",
            "b_responsibility": "secondary",
            "note": "甲车变更车道未让乙车先行，乙车未减速",
        },
    )
    assert response.status_code == 302
    first.refresh_from_db()
    assert first.status == "determined" and first.decided_by == clerk and first.document_number.startswith("JY")
    assert InsurerNotice.objects.filter(case=first).count() == 2
    as_user(client, a)
    document = client.get(f"/violations/accidents/{first.pk}/document/").content.decode()
    assert "简易程序" in document and "主要责任" in document


def test_a_clerk_of_another_city_cannot_decide_and_impossible_splits_are_refused(client, a, b):
    case = start_case(client, a, b)
    join_case(client, case, b)
    as_user(client, a)
    client.post(f"/violations/accidents/{case.pk}/", {"ask_clerk": "1"})
    other = factories.clerk("szv")
    as_user(client, other)
    client.defaults["HTTP_HOST"] = "szv.localhost"
    assert client.get(f"/admin/violations/accidentcase/{case.pk}/change/").status_code in (302, 404)
    clerk = factories.clerk("has")
    as_user(client, clerk)
    client.post(
        f"/admin/violations/accidentcase/{case.pk}/change/",
        {"decide": "1", "a_responsibility": "full", "b_responsibility": "full", "note": "x"},
    )
    case.refresh_from_db()
    assert case.status == "awaiting_clerk"


# --- What each party sees of the other ----------------------------------------------------------
def test_neither_party_sees_the_others_full_id_or_mobile(client, a, b):
    case = start_case(client, a, b)
    as_user(client, a)
    before = _page(client, case)
    assert b.id_number not in before and b.mobile not in before
    as_user(client, b)
    client.post("/violations/accidents/join/", {"join_code": case.join_code})
    join_page = client.get("/violations/accidents/join/").content.decode()
    assert a.id_number not in join_page and a.mobile not in join_page
    assert identity.mask_mobile(a.mobile) in join_page
    join_case(client, case, b)
    _agree(client, case, a, b)
    for viewer, other in ((a, b), (b, a)):
        as_user(client, viewer)
        for path in (f"/violations/accidents/{case.pk}/", f"/violations/accidents/{case.pk}/document/"):
            body = client.get(path).content.decode()
            assert other.id_number not in body and other.mobile not in body, path
            assert identity.mask_id_number(other.id_number) in body and identity.mask_mobile(other.mobile) in body


def test_outsiders_get_404_for_the_case_its_document_and_photos(client, has, a, b):
    case = start_case(client, a, b)
    photo = case.photos.first()
    outsider = driver(has, "苏H7G007")
    as_user(client, outsider)
    for path in (
        f"/violations/accidents/{case.pk}/",
        f"/violations/accidents/{case.pk}/document/",
        f"/violations/accidents/photo/{photo.token}/",
    ):
        assert client.get(path).status_code == 404
    # B before joining does not see the case either.
    as_user(client, b)
    assert client.get(f"/violations/accidents/{case.pk}/").status_code == 404
    as_user(client, a)
    response = client.get(f"/violations/accidents/photo/{photo.token}/")
    assert response.status_code == 200 and bytes(response.content) == png()


def test_party_rows_are_the_articles_fields():
    party = AccidentParty(name="张三", id_number="320803199001011234", mobile="13812345678", plate_number="苏H1")
    party.insurer, party.policy_number, party.damage = "人保", "P1", "车头"
    from violations.pdf_accident import party_rows

    values = dict(party_rows(party))
    assert "320803199001011234" not in values.values() and "13812345678" not in values.values()


def test_the_demo_shows_an_agreed_case_and_one_in_the_clerks_queue(has, szv):
    import io

    from django.core.management import call_command

    call_command("demo", stdout=io.StringIO())
    cases = AccidentCase.objects.filter(city=has)
    assert sorted(cases.values_list("status", flat=True)) == ["agreed", "awaiting_clerk"]
    assert InsurerNotice.objects.filter(state="sent").count() == 2
    call_command("demo", stdout=io.StringIO())
    assert AccidentCase.objects.filter(city=has).count() == 2


def test_a_stranger_with_the_code_does_not_see_the_starters_details(client, has, a, b):
    case = start_case(client, a, b)
    stranger = driver(has, "苏H8H008")
    as_user(client, stranger)
    client.post("/violations/accidents/join/", {"join_code": case.join_code})
    page = client.get("/violations/accidents/join/").content.decode()
    assert identity.mask_mobile(a.mobile) not in page
    assert a.vehicle.plate_number not in page


# --- The insurers' backend ---------------------------------------------------------------------
def test_the_http_insurer_posts_a_signed_report_and_a_refusal_is_retried(client, a, b, settings, monkeypatch):
    import io
    import urllib.error

    case = start_case(client, a, b)
    join_case(client, case, b)
    _agree(client, case, a, b)
    settings.ACCIDENT_INSURER_BACKEND = "violations.insurers.HttpInsurer"
    settings.ACCIDENT_INSURER_URL = "https://insurer.example/claims/report"
    settings.ACCIDENT_INSURER_SECRET = "insurer-test-secret"
    sent = []

    def down(request, timeout):
        raise urllib.error.URLError("unreachable")

    monkeypatch.setattr("urllib.request.urlopen", down)
    assert accidents.insurer_notices_send() == {"sent": 0, "failed": 2}
    assert set(InsurerNotice.objects.values_list("state", flat=True)) == {"failed"}

    class Answer(io.BytesIO):
        def __enter__(self):
            return self

        def __exit__(self, *exc):
            return False

    def insurer(request, timeout):
        sent.append(request)
        return Answer(json.dumps({"report_number": f"RPT{len(sent)}"}).encode())

    monkeypatch.setattr("urllib.request.urlopen", insurer)
    assert accidents.insurer_notices_send() == {"sent": 2, "failed": 0}
    for request in sent:
        assert request.get_header("X-report-signature") == insurers.signature(request.data, "insurer-test-secret")
        assert json.loads(request.data)["document_number"] == AccidentCase.objects.get(pk=case.pk).document_number
    assert sorted(InsurerNotice.objects.values_list("claim_number", flat=True)) == ["RPT1", "RPT2"]
    assert set(InsurerNotice.objects.values_list("attempts", flat=True)) == {2}
