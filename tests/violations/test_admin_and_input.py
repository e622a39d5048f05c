"""Clerks' admin (own city, entry, plate and date-range search, CSV batches, the objection
queue) and bad input on every citizen form and URL: a clear message, never a 500."""

import datetime

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.violations.conftest import D, at, on
from violations import services
from violations.models import Objection, Violation
from violations.services import objections

pytestmark = pytest.mark.django_db


def admin_client(client, clerk, code="has"):
    client.defaults["HTTP_HOST"] = f"{code}.localhost"
    client.force_login(clerk)
    return client


def test_clerk_enters_a_record_by_plate_and_sees_only_their_city(client, person, car, clerk_has, clerk_szv):
    vehicle = car(person())
    c = admin_client(client, clerk_has)
    from violations.models import ViolationCode

    code = ViolationCode.objects.get(code="1625")  # seeded by the autouse fixture
    when = (datetime.datetime.now() - datetime.timedelta(days=1)).strftime("%Y-%m-%d")
    response = c.post(
        "/admin/violations/violation/add/",
        {
            "plate": vehicle.plate_number,
            "code": code.pk,
            "occurred_at_0": when,
            "occurred_at_1": "08:30:00",
            "place": "淮海东路",
            "fine": "200",
            "source": "camera",
        },
    )
    assert response.status_code == 302, response.content.decode()[:2000]
    violation = Violation.objects.get()
    assert violation.entered_by == clerk_has and violation.history.first().history_user == clerk_has
    assert c.get(f"/admin/violations/violation/?q={vehicle.plate_number}").status_code == 200
    other = admin_client(client, clerk_szv, "szv")
    assert vehicle.plate_number not in other.get("/admin/violations/violation/").content.decode()


def test_clerk_search_by_plate_and_date_range(client, person, car, record, clerk_has):
    vehicle = car(person())
    with on(D(2026, 7, 20)):
        inside = record(vehicle, when=at(D(2026, 7, 10)))
        outside = record(vehicle, when=at(D(2026, 7, 1)))
    c = admin_client(client, clerk_has)
    page = c.get(
        "/admin/violations/violation/",
        {"q": vehicle.plate_number, "occurred_from": "2026-07-05", "occurred_to": "2026-07-15"},
    ).content.decode()
    assert f"/admin/violations/violation/{inside.pk}/" in page
    assert f"/admin/violations/violation/{outside.pk}/" not in page
    assert c.get("/admin/violations/violation/", {"occurred_from": "2026-99-99"}).status_code == 200


def test_csv_batch_keeps_good_rows_and_reports_bad_ones_with_line_and_reason(person, car, has, clerk_has):
    vehicle = car(person())
    content = (
        "plate_number,code,occurred_at,place,fine,source\n"
        f"{vehicle.plate_number},1625,2026-07-01 08:00,淮海东路,200,camera\n"
        "苏H99999,1625,2026-07-01 08:00,淮海东路,200,camera\n"
        f"{vehicle.plate_number},9999,2026-07-01 08:00,淮海东路,200,camera\n"
        f"{vehicle.plate_number},1625,yesterday,淮海东路,200,camera\n"
        f"{vehicle.plate_number},1625,2026-07-01 09:00,淮海东路,5000,camera\n"
        f"{vehicle.plate_number},1344,2026-07-01 10:00,北京北路,,onsite\n"
    ).encode()
    with on(D(2026, 7, 2)):
        result = services.violations_import_csv(content, city=has, by=clerk_has)
    assert len(result.created) == 2
    assert [line for line, _reason in result.errors] == [3, 4, 5, 6]
    reasons = dict(result.errors)
    assert "苏H99999" in reasons[3] and "9999" in reasons[4] and "yesterday" in reasons[5] and "200" in reasons[6]
    assert Violation.objects.count() == 2


def test_csv_page_lists_refused_rows(client, person, car, clerk_has):
    from django.core.files.uploadedfile import SimpleUploadedFile

    car(person())
    c = admin_client(client, clerk_has)
    upload = SimpleUploadedFile(
        "batch.csv", "plate_number,code,occurred_at,place\n苏H99999,1625,2026-07-01 08:00,x\n".encode()
    )
    page = c.post("/admin/violations/violation/import/", {"file": upload}).content.decode()
    assert "import-errors" in page and "苏H99999" in page


def test_objection_queue_shows_what_is_overdue(client, person, car, record, clerk_has):
    owner = person()
    vehicle = car(owner)
    with on(D(2026, 7, 1)):
        violation = record(vehicle, when=at(D(2026, 6, 30)))
        objection = objections.objection_file(violation, user=owner, reason="号牌被套用")
    c = admin_client(client, clerk_has)
    with on(D(2026, 7, 20)):
        page = c.get("/admin/violations/objection/?overdue=yes").content.decode()
        assert f"/admin/violations/objection/{objection.pk}/" in page
        c.post(f"/admin/violations/objection/{objection.pk}/change/", {"decide": "uphold", "note": "套牌属实"})
    objection.refresh_from_db()
    assert objection.status == Objection.Status.UPHELD and objection.decided_by == clerk_has


URLS = [
    "/violations/decision/{v}/",
    "/violations/decision/{v}/pdf/",
    "/violations/bindings/{v}/approve/",
    "/violations/record/{v}/objection/",
    "/violations/photo/{v}/",
    "/violations/handle/?ids={v}",
]


@settings(max_examples=40, deadline=None, suppress_health_check=list(HealthCheck))
@given(
    value=st.text(alphabet=st.characters(blacklist_categories=("Cs",), blacklist_characters="/?#%"), max_size=40)
    | st.integers(min_value=0, max_value=10**30).map(str)
)
def test_no_url_value_gives_a_500(client, person, value):
    client.defaults["HTTP_HOST"] = "has.localhost"
    client.force_login(person())
    for url in URLS:
        response = client.get(url.format(v=value))
        assert response.status_code in (200, 302, 404), (url, value, response.status_code)


@settings(max_examples=40, deadline=None, suppress_health_check=list(HealthCheck))
@given(
    plate=st.text(max_size=20),
    engine=st.text(max_size=12),
    plate_type=st.sampled_from(["02", "01", "99", "", "x" * 50]),
    relationship=st.sampled_from(["friend", "spouse", "", "boss"]),
    reason=st.text(max_size=50),
    code=st.text(max_size=10),
)
def test_no_form_input_gives_a_500(client, person, car, plate, engine, plate_type, relationship, reason, code):
    owner = person()
    vehicle = car(owner)
    violation = Violation.objects.first() or services.violation_record(
        vehicle=vehicle,
        code=__import__("tests.violations.conftest", fromlist=["code"]).code("1344"),
        occurred_at=datetime.datetime.now(datetime.UTC) - datetime.timedelta(hours=1),
        place="x",
    )
    client.defaults["HTTP_HOST"] = "has.localhost"
    client.force_login(owner)
    posts = [
        (
            "/violations/bindings/",
            {
                "request_binding": "1",
                "plate_type": plate_type,
                "plate_number": plate,
                "engine_last6": engine,
                "relationship": relationship,
            },
        ),
        ("/violations/handle/", {"ids": code, "confirm": "1", "code": code}),
        (f"/violations/record/{violation.pk}/objection/", {"reason": reason}),
        ("/violations/study/", {"submit": "1", "q_1": code}),
    ]
    for url, data in posts:
        response = client.post(url, data)
        assert response.status_code in (200, 302, 404), (url, data, response.status_code)


def test_clerk_sees_the_watch_list_with_the_reason_and_clears_an_entry_with_a_reason(client, person, car, clerk_has):
    from violations.models import WatchEntry

    vehicle = car(person())
    entry = WatchEntry.objects.create(
        city=vehicle.city,
        vehicle=vehicle,
        reason="drivers_per_plate",
        detail="3 名驾驶人处理",
        listed_at=at(D(2026, 7, 1)),
    )
    c = admin_client(client, clerk_has)
    page = c.get("/admin/violations/watchentry/").content.decode()
    assert "3 名驾驶人处理" in page and f"/admin/violations/watchentry/{entry.pk}/clear/" in page
    c.post(f"/admin/violations/watchentry/{entry.pk}/clear/", {"reason": ""})
    entry.refresh_from_db()
    assert entry.cleared_at is None
    c.post(f"/admin/violations/watchentry/{entry.pk}/clear/", {"reason": "车主到窗口说明"})
    entry.refresh_from_db()
    assert entry.cleared_by == clerk_has and entry.cleared_reason == "车主到窗口说明"


@settings(max_examples=60, deadline=None, suppress_health_check=list(HealthCheck))
@given(
    body=st.binary(max_size=300)
    | st.lists(
        st.tuples(
            st.text(max_size=12),
            st.sampled_from(["1625", "9999", ""]),
            st.text(max_size=25),
            st.text(max_size=8),
            st.text(max_size=8),
            st.text(max_size=8),
        ),
        max_size=5,
    ).map(
        lambda rows: (
            "plate_number,code,occurred_at,place,fine,source\n"
            + "\n".join(",".join(c.replace(",", " ").replace("\n", " ") for c in row) for row in rows)
        ).encode("utf-8", "surrogatepass")
    )
)
def test_any_csv_batch_gives_rows_or_reasons_never_an_exception(has, body):
    try:
        body.decode("utf-8")
    except UnicodeDecodeError:
        pass
    result = services.violations_import_csv(body, city=has)
    assert all(isinstance(line, int) and reason for line, reason in result.errors)
