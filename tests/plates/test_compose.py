"""Self-composed selection, the picker, and find-a-number."""

import datetime

import pytest
from django.urls import reverse

from plates import selectors, services
from plates.models import BannedPattern, PlateNumber
from tests.plates.conftest import on, set_city

pytestmark = pytest.mark.django_db
DAY = datetime.date(2026, 11, 23)


def _take(*numbers):
    PlateNumber.objects.filter(number__in=numbers).update(status="held")


def test_first_free_candidate_in_priority_order_is_claimed(selection):
    _take("苏HA000A", "苏HA000B")
    claimed, cost = services.compose_round(selection, ["苏HA000A", "苏HA000B", "苏HA000C", "苏HA000D"])
    assert claimed.number == "苏HA000C" and claimed.status == "backup"
    assert cost == 2
    assert PlateNumber.objects.get(number="苏HA000D").status == "available"


def test_failed_round_costs_one_try_per_candidate(selection):
    _take("苏HA000A", "苏HA000B", "苏HA000C")
    claimed, cost = services.compose_round(selection, ["苏HA000A", "苏HA000B", "苏HA000C"])
    assert claimed is None and cost == 3
    selection.refresh_from_db()
    assert selection.compose_tries_used == 3


def test_numbers_outside_the_pool_are_not_free(selection):
    claimed, cost = services.compose_round(selection, ["苏HZ999Z"])
    assert claimed is None and cost == 1


def test_rounds_are_8_seconds_apart(selection):
    _take("苏HA000A")
    with on(DAY, 10):
        services.compose_round(selection, ["苏HA000A"])
    with on(DAY, 10, 0, 7), pytest.raises(services.PlateError, match="秒|seconds"):
        services.compose_round(selection, ["苏HA000B"])
    with on(DAY, 10, 0, 8):
        claimed, _ = services.compose_round(selection, ["苏HA000B"])
    assert claimed.number == "苏HA000B"


def test_twenty_tries_then_no_more(selection, has):
    set_city(has, "plate_compose_interval_seconds", 0)
    taken = [f"苏HA00{d}{c}" for d in range(4) for c in "ABCDE"]
    _take(*taken)
    for i in range(4):
        services.compose_round(selection, taken[i * 5 : i * 5 + 5])
    selection.refresh_from_db()
    assert selection.compose_tries_used == 20
    with pytest.raises(services.PlateError, match="20"):
        services.compose_round(selection, ["苏HA009A"])


def test_more_candidates_than_tries_left_are_refused(selection, has):
    set_city(has, "plate_compose_interval_seconds", 0)
    taken = [f"苏HA00{d}{c}" for d in range(4) for c in "ABCDE"][:18]
    _take(*taken)
    for i in range(0, 18, 3):
        services.compose_round(selection, taken[i : i + 3])
    with pytest.raises(services.PlateError, match="2"):
        services.compose_round(selection, ["苏HA009A", "苏HA009B", "苏HA009C"])


@pytest.mark.parametrize(
    "candidate,fragment",
    [("苏HAB12C", "最多含2个字母"), ("苏HA00O1", "I 和 O"), ("苏EA0001", "苏H"), ("苏HA12", "5位")],
)
def test_rule_breaking_candidates_cost_nothing(selection, candidate, fragment):
    with pytest.raises(services.PlateError, match=fragment):
        services.compose_round(selection, [candidate])
    selection.refresh_from_db()
    assert selection.compose_tries_used == 0 and selection.last_compose_at is None


def test_withheld_patterns_refuse_a_candidate(selection, has):
    BannedPattern.objects.create(city=has, pattern=r"(\d)\1\1", reason="三同号")
    with pytest.raises(services.PlateError, match="不投放"):
        services.compose_round(selection, ["苏HA000A"])


def test_picker_offers_only_characters_still_available(has, pool):
    PlateNumber.objects.filter(serial__endswith="Z").update(status="held")
    positions = selectors.picker_characters(has.pk, "02")
    assert positions[0] == "A" and positions[3] == "0123456789"
    assert "Z" not in positions[4] and "Y" in positions[4]


def test_compose_page_round_trip_through_http(citizen_client, selection):
    url = reverse("plates:compose", args=[selection.pk])
    page = citizen_client.get(url)
    assert page.status_code == 200 and 'name="c0_4"' in page.content.decode()
    data = {"c0_prefix": "苏H", "c0_0": "A", "c0_1": "0", "c0_2": "0", "c0_3": "1", "c0_4": "B"}
    response = citizen_client.post(url, data)
    assert response.status_code == 302
    assert PlateNumber.objects.get(number="苏HA001B").status == "backup"


def test_incomplete_or_unavailable_characters_keep_the_form(citizen_client, selection):
    url = reverse("plates:compose", args=[selection.pk])
    page = citizen_client.post(url, {"c0_prefix": "苏H", "c0_0": "A", "c0_1": "0"})
    body = page.content.decode()
    assert page.status_code == 200 and "第 1 个号码不完整" in body
    assert '<option value="A" selected>' in body
    page = citizen_client.post(
        url, {"c0_prefix": "苏H", "c0_0": "Z", "c0_1": "0", "c0_2": "0", "c0_3": "1", "c0_4": "B"}
    )
    assert page.status_code == 200
    # Two characters typed into one position (a hand-made request) are refused the same way.
    page = citizen_client.post(
        url, {"c0_prefix": "苏H", "c0_0": "AB", "c0_1": "0", "c0_2": "0", "c0_3": "1", "c0_4": "B"}
    )
    assert page.status_code == 200
    selection.refresh_from_db()
    assert selection.compose_tries_used == 0


def test_find_shows_a_sample_of_matches_and_picks_one(citizen_client, selection):
    url = reverse("plates:find", args=[selection.pk])
    page = citizen_client.get(url, {"mode": "ends", "text": "7Z", "avoid_four": ""})
    body = page.content.decode()
    assert page.status_code == 200 and "苏HA007Z" in body
    citizen_client.post(reverse("plates:compose", args=[selection.pk]), {"number": "苏HA007Z"})
    assert PlateNumber.objects.get(number="苏HA007Z").status == "backup"


def test_find_contains_and_no_four(has, pool):
    found = selectors.draw_numbers(has.pk, "02", 10, contains="00", avoid_four=True)
    assert found and all("00" in n[2:] and "4" not in n[2:] for n in found)


def test_find_is_rate_limited(citizen_client, selection):
    url = reverse("plates:find", args=[selection.pk])
    for _ in range(10):
        assert "查询过于频繁" not in citizen_client.get(url, {"mode": "contains", "text": "1"}).content.decode()
    assert "查询过于频繁" in citizen_client.get(url, {"mode": "contains", "text": "1"}).content.decode()


def test_find_rejects_bad_characters_with_a_message(citizen_client, selection):
    page = citizen_client.get(reverse("plates:find", args=[selection.pk]), {"mode": "contains", "text": "I*"})
    assert page.status_code == 200 and "号牌不含 I 和 O" in page.content.decode()


def test_running_out_ends_online_selection(citizen_client, selection, has):
    set_city(has, "plate_random_batches", 1)
    set_city(has, "plate_compose_tries", 1)
    with on(DAY, 10):
        services.batch_draw(selection)
        _take("苏HA000A")
        services.compose_round(selection, ["苏HA000A"])
    with on(DAY, 10, 2):
        body = citizen_client.get(reverse("plates:selection", args=[selection.pk])).content.decode()
    assert "请到车管所服务大厅选号" in body
    selection.refresh_from_db()
    assert selection.status == "exhausted"
    page = citizen_client.post(
        reverse("plates:start"),
        {"accept": "on", "vin": selection.vehicle.vin, "cert_number": selection.vehicle.conformity_cert_number},
    )
    assert "网上选号已结束" in page.content.decode()


@pytest.mark.django_db(transaction=True)
def test_a_rush_of_pickers_on_a_cold_cache_scans_the_pool_once(monkeypatch):
    from tests import factories
    from tests.plates.conftest import open_block
    from tests.races import race

    has = factories.city("has")
    open_block(has)
    scans = []
    real_scan = selectors._scan_picker

    def counting_scan(city_id, plate_type):
        scans.append(1)
        return real_scan(city_id, plate_type)

    monkeypatch.setattr(selectors, "_scan_picker", counting_scan)
    results, errors = race(lambda i: selectors.picker_characters(has.pk, "02"), 16)
    assert errors == [None] * 16
    assert len(results) == 16 and all(r == results[0] for r in results)
    assert len(scans) == 1


def test_a_number_not_on_offer_costs_a_try_and_is_named_so(citizen_client, selection, has):
    """A candidate missing from the open blocks (or withheld) is not "taken": the page says which."""
    url = reverse("plates:compose", args=[selection.pk])
    _take("苏HA000B")
    data = {"c0_prefix": "苏H", "c0_0": "A", "c0_1": "0", "c0_2": "0", "c0_3": "0", "c0_4": "B"}
    page = citizen_client.post(url, data, follow=True)
    assert "已被他人选走：苏HA000B" in page.content.decode()
    set_city(has, "plate_compose_interval_seconds", 0)
    claimed, cost = result = services.compose_round(selection, ["苏HZ999Z", "苏HA000C"])
    assert claimed.number == "苏HA000C" and cost == 1 and result.not_offered == ("苏HZ999Z",)


def test_an_own_backup_as_a_candidate_costs_nothing_and_says_so(citizen_client, selection, has):
    set_city(has, "plate_compose_interval_seconds", 0)
    services.compose_round(selection, ["苏HA000A"])
    selection.refresh_from_db()
    used = selection.compose_tries_used
    with pytest.raises(services.PlateError, match="已在您的备选号码中"):
        services.compose_round(selection, ["苏HA000A", "苏HA000B"])
    selection.refresh_from_db()
    assert selection.compose_tries_used == used
    assert PlateNumber.objects.get(number="苏HA000B").status == "available"
    page = citizen_client.post(reverse("plates:compose", args=[selection.pk]), {"number": "苏HA000A"}, follow=True)
    assert page.status_code == 200 and "本轮不计次数" in page.content.decode()


def test_every_refusal_of_a_pick_is_a_message_not_an_error(citizen_client, selection):
    """The pick from the search results (one candidate): a second pick within 8 s, a taken
    number, a malformed one and an empty one each answer with the page and a message."""
    url = reverse("plates:compose", args=[selection.pk])
    with on(DAY, 10):
        assert citizen_client.post(url, {"number": "苏HA007Z"}).status_code == 302
    with on(DAY, 10, 0, 3):
        page = citizen_client.post(url, {"number": "苏HA008Z"}, follow=True)
        assert page.status_code == 200 and "秒后再提交下一轮" in page.content.decode()
    _take("苏HA009Z")
    for number, message in [("苏HA009Z", "已被他人选走"), ("苏HI000A", ""), ("", "请从搜索结果中选择号码")]:
        with on(DAY, 10, 1):
            page = citizen_client.post(url, {"number": number}, follow=True)
        assert page.status_code == 200 and message in page.content.decode()


@pytest.mark.django_db(transaction=True)
def test_twenty_concurrent_picks_of_one_number_give_one_backup_and_nineteen_messages():
    """20 citizens pick the same search result at once, each through its own HTTP client and
    database connection: one gets the number, the other 19 a page with "taken", no error."""
    from django.test import Client

    from tests import factories
    from tests.plates.conftest import new_vehicle, open_block, verified_selection
    from tests.races import race

    has = factories.city("has")
    open_block(has)
    lucky = "苏HA006Z"
    clients = []
    for _ in range(20):
        person = factories.UserFactory()
        selection = verified_selection(person, new_vehicle(person, has))
        client = Client(HTTP_HOST="has.localhost")
        client.force_login(person)
        clients.append((client, reverse("plates:compose", args=[selection.pk])))
    answers, _errors = race(lambda i: clients[i][0].post(clients[i][1], {"number": lucky}, follow=True), 20)
    assert all(a is not None and a.status_code == 200 for a in answers)
    assert sum("已被他人选走" in a.content.decode() for a in answers) == 19
    assert PlateNumber.objects.get(number=lucky).status == "backup"
