"""Plate pages run a fixed number of queries, however many batches, backups and blocks there are
(tests/querycounts.py)."""

import pytest
from django.urls import reverse

from plates import services
from plates.models import PlateNumber
from portal import workdays
from tests.plates.conftest import drawn_backup, open_block
from tests.querycounts import page_budget

pytestmark = pytest.mark.django_db


@pytest.fixture
def busy_selection(selection):
    """A selection with three backups and a live batch: the rows an N+1 would multiply."""
    for _ in range(3):
        drawn_backup(selection)
    services.batch_draw(selection)
    return selection


@pytest.mark.parametrize("page", ["selection", "compose", "find", "confirm"])
def test_selection_pages(citizen_client, busy_selection, django_assert_max_num_queries, page):
    budget = {"selection": 8, "compose": 7, "find": 6, "confirm": 6}[page]
    with page_budget(django_assert_max_num_queries, f"plates:{page}", budget):
        response = citizen_client.get(reverse(f"plates:{page}", args=[busy_selection.pk]))
    assert response.status_code == 200


def test_start_page(citizen_client, busy_selection, django_assert_max_num_queries):
    with page_budget(django_assert_max_num_queries, "plates:start", 8):
        assert citizen_client.get(reverse("plates:start")).status_code == 200


def test_blocks_page(citizen_client, has, pool, django_assert_max_num_queries):
    open_block(has, serial_from="B000A", serial_to="B009Z")
    open_block(has, serial_from="C000A", serial_to="C009Z")
    with page_budget(django_assert_max_num_queries, "plates:blocks", 10):
        assert citizen_client.get(reverse("plates:blocks")).status_code == 200


def test_rush_draw(citizen_client, busy_selection, django_assert_max_num_queries):
    with page_budget(django_assert_max_num_queries, "plates:draw", 9):
        response = citizen_client.post(reverse("plates:draw", args=[busy_selection.pk]))
    assert response.status_code == 302
    assert busy_selection.batches.count() == 5


def test_rush_backup(citizen_client, selection, django_assert_max_num_queries):
    for _ in range(2):
        drawn_backup(selection)
    batch = services.batch_draw(selection)
    url = reverse("plates:backup", args=[selection.pk])
    with page_budget(django_assert_max_num_queries, "plates:backup", 7):
        response = citizen_client.post(url, {"batch": batch.pk, "number": batch.numbers[0]})
    assert response.status_code == 302
    assert PlateNumber.objects.get(number=batch.numbers[0]).status == "backup"


def test_rush_confirm(citizen_client, has, selection, django_assert_max_num_queries):
    """The locking read brings the backup's number, the citizen's row, the ban and the device
    check; the number is taken by a conditional UPDATE (no SELECT ... FOR UPDATE of its own)."""
    from tests.plates.conftest import set_city

    set_city(has, "plate_second_sms", False)
    backups = [drawn_backup(selection) for _ in range(3)]
    url = reverse("plates:confirm", args=[selection.pk])
    with page_budget(django_assert_max_num_queries, "plates:confirm-post", 13):
        response = citizen_client.post(url, {"action": "confirm", "number_id": backups[1].pk})
    assert response.status_code == 302 and "/plates/hold/" in response.url


def test_hold_page(citizen_client, has, selection, django_assert_max_num_queries):
    from tests.plates.conftest import confirmed_hold, set_city

    set_city(has, "plate_second_sms", False)
    hold = confirmed_hold(selection)
    with page_budget(django_assert_max_num_queries, "plates:hold", 5):
        assert citizen_client.get(reverse("plates:hold", args=[hold.pk])).status_code == 200


def test_rush_compose(citizen_client, has, selection, django_assert_max_num_queries):
    """A self-composed round that claims its second candidate: the selection's read, the locking
    read (with the withheld patterns and the candidates' rows), one conditional UPDATE per
    candidate tried, the tries and their history row."""
    from tests.plates.conftest import set_city

    set_city(has, "plate_compose_interval_seconds", 0)
    PlateNumber.objects.filter(number="苏HA000A").update(status="held")
    data = {f"c{i}_prefix": "苏H" for i in range(2)}
    data.update({f"c0_{p}": ch for p, ch in enumerate("A000A")})
    data.update({f"c1_{p}": ch for p, ch in enumerate("A000B")})
    url = reverse("plates:compose", args=[selection.pk])
    citizen_client.get(url)  # the picker, cached for 30 s
    with page_budget(django_assert_max_num_queries, "plates:compose-post", 8):
        response = citizen_client.post(url, data)
    assert response.status_code == 302 and response.url.endswith(f"/plates/s/{selection.pk}/")
    assert PlateNumber.objects.get(number="苏HA000B").status == "backup"


def test_the_rush_of_a_warm_session(citizen_client, has, selection, django_assert_max_num_queries):
    """What the bench's citizens do once their session, user and city are cached: each backup
    claim, the confirm page and the confirmation (the logged-in user comes from the cache without
    the ID number, so nothing may need it read again)."""
    from tests.plates.conftest import set_city

    set_city(has, "plate_second_sms", False)
    batches = [services.batch_draw(selection) for _ in range(3)]
    citizen_client.get(reverse("plates:selection", args=[selection.pk]))  # warm: city, user, settings
    workdays.is_working_day(selection.created_at.date())  # the holiday calendar, kept per process
    backup_url = reverse("plates:backup", args=[selection.pk])
    for batch in batches:
        with page_budget(django_assert_max_num_queries, "plates:backup-warm", 4):
            assert citizen_client.post(backup_url, {"batch": batch.pk, "number": batch.numbers[0]}).status_code == 302
    url = reverse("plates:confirm", args=[selection.pk])
    with page_budget(django_assert_max_num_queries, "plates:confirm-warm", 3):
        assert citizen_client.get(url).status_code == 200
    number = PlateNumber.objects.get(number=batches[1].numbers[0])
    with page_budget(django_assert_max_num_queries, "plates:confirm-post-warm", 10):
        response = citizen_client.post(url, {"action": "confirm", "number_id": number.pk})
    assert response.status_code == 302 and "/plates/hold/" in response.url
