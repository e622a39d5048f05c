"""The pages bench/violations measures on ten million records do a fixed, small number of
queries however many records a citizen or a search has: no query per row, no count of the
table (issue 13; docs/benchmarks.md)."""

from django.db import connection
from django.test.utils import CaptureQueriesContext
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.violations.conftest import D, at, on


def test_my_violations_page_costs_the_same_few_queries_for_3_or_12_records(
    client, person, car, record, bind, django_assert_max_num_queries
):
    owner, driver = person(), person()
    own, bound = car(driver), car(owner)
    bind(bound, driver, approved_at=at(D(2026, 6, 1)))
    client.defaults["HTTP_HOST"] = "has.localhost"
    client.force_login(driver)
    with on(D(2026, 7, 20)):
        for day in range(1, 4):
            record(own, when=at(D(2026, 7, day)))
        client.get("/violations/")  # the session and the city's settings are cached
        with CaptureQueriesContext(connection) as few:
            assert client.get("/violations/").status_code == 200
        for day in range(4, 10):
            record(own, when=at(D(2026, 7, day)))
            record(bound, when=at(D(2026, 7, day)))
        record(bound, when=at(D(2026, 5, 1)))  # before the binding: not shown to the driver
        # The vehicles (owned and bound) with the licence, the records with code, vehicle and
        # decision and whether the watch list names the citizen or the record's vehicle, the
        # inbox. Was 5: the account's ID number (the refusals go by its look-up key now) and the
        # watch list's own query are gone.
        with django_assert_max_num_queries(3):
            page = client.get("/violations/")
    assert len(few.captured_queries) == 3
    html = page.content.decode()
    assert html.count('data-testid="violation-') == 15
    assert "2026-05-01" not in html


def test_my_violations_page_with_nothing_to_handle_is_three_queries_and_decrypts_no_id_number(
    client, person, car, record, django_assert_max_num_queries
):
    from violations.models import Violation

    citizen = person()
    vehicle = car(citizen)
    with on(D(2026, 7, 20)):
        records = [record(vehicle, when=at(D(2026, 7, day))) for day in range(1, 11)]
    Violation.objects.filter(pk__in=[r.pk for r in records[:8]]).update(status="paid")
    Violation.objects.filter(pk__in=[r.pk for r in records[8:]]).update(status="objected")
    client.defaults["HTTP_HOST"] = "has.localhost"
    client.force_login(citizen)
    client.get("/violations/")
    # The records (with the vehicles as a subquery), the licence, the inbox: the account's ID
    # number and the watch list are read only when a record can be handled.
    with django_assert_max_num_queries(3) as captured:
        page = client.get("/violations/")
    assert page.content.decode().count('data-testid="violation-') == 10
    sql = " ".join(q["sql"] for q in captured.captured_queries)
    # No encrypted ID number is fetched (each would be decrypted for nothing): only look-up keys.
    for column in ('"id_number",', '"owner_id_number",', '"handler_id_number",', '"driver_id_number",'):
        assert column not in sql.replace(" ", "")


def test_my_violations_page_reads_the_watch_list_reasons_only_when_an_entry_names_the_citizen_or_vehicle(
    client, person, car, record, django_assert_max_num_queries
):
    from portal import identity
    from violations.models import WatchEntry

    citizen, other = person(), person()
    vehicle = car(citizen)
    with on(D(2026, 7, 20)):
        unhandled = record(vehicle, when=at(D(2026, 7, 1)))
    client.defaults["HTTP_HOST"] = "has.localhost"
    client.force_login(citizen)
    client.get("/violations/")
    # Another person's entry and a cleared entry of the citizen's own stop nothing: three queries.
    for id_number, cleared_at in ((other.id_number, None), (citizen.id_number, at(D(2026, 7, 10)))):
        WatchEntry.objects.create(
            city=vehicle.city,
            id_number=identity.normalize_id_number(id_number),
            reason="plates_per_driver",
            detail="3 plates",
            listed_at=at(D(2026, 7, 2)),
            cleared_at=cleared_at,
            cleared_reason="家庭成员共用" if cleared_at else "",
        )
    with on(D(2026, 7, 20)), django_assert_max_num_queries(3):
        page = client.get("/violations/").content.decode()
    assert "重点人员名单" not in page and f'value="{unhandled.pk}"' in page
    # An open entry naming the citizen (no vehicle): its reasons are read, a fourth query, and the
    # record cannot be chosen; still no encrypted ID number is read.
    WatchEntry.objects.create(
        city=vehicle.city,
        id_number=identity.normalize_id_number(citizen.id_number),
        reason="plates_per_driver",
        detail="3 plates",
        listed_at=at(D(2026, 7, 12)),
    )
    with on(D(2026, 7, 20)), django_assert_max_num_queries(4) as captured:
        page = client.get("/violations/").content.decode()
    assert "重点人员名单" in page and "窗口" in page
    assert f'value="{unhandled.pk}"' not in page
    sql = " ".join(q["sql"] for q in captured.captured_queries).replace(" ", "")
    assert '"portal_user"."id_number"' not in sql


def test_clerk_search_by_plate_or_by_day_is_three_queries_and_never_counts(
    client, person, car, record, clerk_has, django_assert_max_num_queries
):
    vehicle = car(person())
    with on(D(2026, 7, 20)):
        for day in range(1, 13):
            record(vehicle, when=at(D(2026, 7, day)))
    client.defaults["HTTP_HOST"] = "has.localhost"
    client.force_login(clerk_has)
    url = "/admin/violations/violation/search/"
    client.get(url, {"q": vehicle.plate_number})
    for query in ({"q": vehicle.plate_number}, {"occurred_from": "2026-07-03", "occurred_to": "2026-07-03"}):
        # The clerk's profile and city (the site's permission check), then the search itself.
        with django_assert_max_num_queries(3) as captured:
            assert client.get(url, query).status_code == 200
        assert not any("COUNT(" in q["sql"] for q in captured.captured_queries)
    page = client.get(url, {"q": vehicle.plate_number.lower(), "occurred_from": "2026-07-05"}).content.decode()
    assert page.count('data-testid="search-row"') == 8
    day = client.get(url, {"occurred_from": "2026-07-03", "occurred_to": "2026-07-03"}).content.decode()
    assert day.count('data-testid="search-row"') == 1


def test_clerk_search_pages_through_a_long_result_without_counting(client, person, car, record, clerk_has):
    vehicle = car(person())
    with on(D(2026, 8, 20)):
        for k in range(30):
            record(vehicle, when=at(D(2026, 7, 1 + k)))
    client.defaults["HTTP_HOST"] = "has.localhost"
    client.force_login(clerk_has)
    url = "/admin/violations/violation/search/"
    first = client.get(url, {"q": vehicle.plate_number}).content.decode()
    assert first.count('data-testid="search-row"') == 25 and 'data-testid="next"' in first
    second = client.get(url, {"q": vehicle.plate_number, "page": "1"}).content.decode()
    assert second.count('data-testid="search-row"') == 5 and 'data-testid="next"' not in second
    assert "2026-07-01" in second  # oldest last


def test_a_citizen_or_another_citys_clerk_cannot_search(client, person, car, record, clerk_szv):
    vehicle = car(person())
    with on(D(2026, 7, 20)):
        record(vehicle, when=at(D(2026, 7, 1)))
    client.defaults["HTTP_HOST"] = "szv.localhost"
    client.force_login(clerk_szv)
    page = client.get("/admin/violations/violation/search/", {"q": vehicle.plate_number}).content.decode()
    assert 'data-testid="search-row"' not in page
    client.defaults["HTTP_HOST"] = "has.localhost"
    response = client.get("/admin/violations/violation/search/", {"q": vehicle.plate_number})
    assert response.status_code == 302  # the admin's login page: not this city's clerk
    client.force_login(person())
    assert client.get("/admin/violations/violation/search/").status_code == 302


@settings(max_examples=40, deadline=None, suppress_health_check=list(HealthCheck))
@given(
    plate=st.text(max_size=30),
    day_from=st.text(max_size=12) | st.dates().map(str),
    day_to=st.text(max_size=12) | st.dates().map(str),
    page=st.text(max_size=8) | st.integers(min_value=-(10**30), max_value=10**30).map(str),
)
def test_no_search_input_gives_a_500(client, clerk_has, plate, day_from, day_to, page):
    client.defaults["HTTP_HOST"] = "has.localhost"
    client.force_login(clerk_has)
    query = {"q": plate, "occurred_from": day_from, "occurred_to": day_to, "page": page}
    response = client.get("/admin/violations/violation/search/", query)
    assert response.status_code in (200, 302), (query, response.status_code)


def test_a_confirmed_handling_is_a_fixed_number_of_queries(client, person, car, record, django_assert_max_num_queries):
    import datetime

    from portal.middleware import city_by_id
    from tests.conftest import last_code
    from violations.models import Decision
    from violations.selectors import code_by_id

    owner = person()
    vehicle = car(owner)
    violation = record(vehicle, when=datetime.datetime.now(datetime.UTC) - datetime.timedelta(hours=2))
    client.defaults["HTTP_HOST"] = "has.localhost"
    client.force_login(owner)
    client.post("/violations/handle/", {"ids": str(violation.pk), "send_code": "1"})
    data = {"ids": str(violation.pk), "confirm": "1", "code": last_code(owner.mobile)}
    # A serving process holds the record's City and code (portal.middleware.city_by_id,
    # violations.selectors.code_by_id), as it holds the site's city and its settings.
    city_by_id(violation.city_id)
    code_by_id(violation.code_id)
    # The handling's one transaction (2 for its savepoint, BEGIN and COMMIT outside a test): the
    # licence locked with the account's mobile, the record locked,
    # the code checked and spent, the record claimed, the points, the decision and its history,
    # the record's and the licence's history rows (written from the locked rows, not read
    # again), the notice. The watch list's answer and the count of the plate's other handlers
    # are subqueries of the records' lock (was 13 with them on the licence lock and a count of
    # their own); 17 before the page stopped reading the account, the vehicles and the records
    # before it (the handling checks them under its locks); 25 before that.
    with django_assert_max_num_queries(12):
        assert client.post("/violations/handle/", data).status_code == 302
    assert Decision.objects.filter(violation=violation).count() == 1
