"""Random selection: batch count, size, 90 s validity, "no 4", one backup per batch held 180 s."""

import datetime

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from plates import selectors, services
from plates.models import PlateNumber
from tests.plates.conftest import claim, drawn_backup, new_vehicle, on, set_city, verified_selection

pytestmark = pytest.mark.django_db
DAY = datetime.date(2026, 11, 23)


def test_five_batches_of_ten_then_no_more(selection):
    for _ in range(5):
        assert len(services.batch_draw(selection).numbers) == 10
    with pytest.raises(services.PlateError, match="5"):
        services.batch_draw(selection)
    selection.refresh_from_db()
    assert selection.batches_drawn == 5


def test_avoid_four_never_shows_a_four(selection):
    for _ in range(5):
        assert all("4" not in n[2:] for n in services.batch_draw(selection, avoid_four=True).numbers)


def test_a_batch_draws_only_available_numbers(selection, pool):
    PlateNumber.objects.filter(block=pool).exclude(serial__startswith="A00").update(status="withheld")
    numbers = services.batch_draw(selection).numbers
    assert all(n.startswith("苏HA00") for n in numbers)


def test_draw_wraps_around_and_is_spread_over_the_pool(has, pool):
    seen = set()
    for _ in range(200):
        seen.update(selectors.draw_numbers(has.pk, "02", 10))
    # 2,000 draws over 240 numbers: a sorted-prefix bias would leave most of the pool unseen.
    assert len(seen) > 200


def test_batch_expires_after_90_seconds(selection):
    with on(DAY, 10):
        batch = services.batch_draw(selection)
    with on(DAY, 10, 1, 29):
        services.backup_claim(selection, batch_id=batch.pk, number=batch.numbers[0])
    with on(DAY, 10, 2, 0):
        batch2 = services.batch_draw(selection)
    with on(DAY, 10, 3, 30), pytest.raises(services.PlateError, match="已失效|expired"):
        services.backup_claim(selection, batch_id=batch2.pk, number=batch2.numbers[0])


def test_only_one_backup_per_batch(selection):
    batch = services.batch_draw(selection)
    services.backup_claim(selection, batch_id=batch.pk, number=batch.numbers[0])
    with pytest.raises(services.PlateError):
        services.backup_claim(selection, batch_id=batch.pk, number=batch.numbers[1])
    assert PlateNumber.objects.filter(status="backup").count() == 1


def test_a_number_outside_the_batch_cannot_be_claimed(selection):
    batch = services.batch_draw(selection)
    other = PlateNumber.objects.exclude(number__in=batch.numbers).first()
    with pytest.raises(services.PlateError):
        services.backup_claim(selection, batch_id=batch.pk, number=other.number)


def test_backup_is_reserved_for_180_seconds_then_free_for_others_before_any_sweep(selection, other_citizen, has):
    rival = verified_selection(other_citizen, new_vehicle(other_citizen, has), ip="10.0.0.2")
    with on(DAY, 10):
        batch = services.batch_draw(selection)
        wanted = batch.numbers[0]
        services.backup_claim(selection, batch_id=batch.pk, number=wanted)
    with on(DAY, 10, 2, 59):
        with pytest.raises(services.PlateError):
            claim(rival, wanted)
        assert [n.number for n in selectors.live_backups(selection)] == [wanted]
    with on(DAY, 10, 3, 1):
        assert selectors.live_backups(selection) == []
        assert claim(rival, wanted).number == wanted
    assert PlateNumber.objects.get(number=wanted).claimed_selection_id == rival.pk


def test_someone_just_took_it_is_said_on_the_page(citizen_client, selection, other_citizen, has):
    rival = verified_selection(other_citizen, new_vehicle(other_citizen, has), ip="10.0.0.2")
    batch = services.batch_draw(selection)
    claim(rival, batch.numbers[2])
    page = citizen_client.post(
        reverse("plates:backup", args=[selection.pk]), {"batch": batch.pk, "number": batch.numbers[2]}, follow=True
    )
    assert f"号码 {batch.numbers[2]} 刚被他人选走" in page.content.decode()
    # The batch's backup slot is still free: another number of the same batch can be moved.
    services.backup_claim(selection, batch_id=batch.pk, number=batch.numbers[3])


def test_selection_page_shows_batch_and_backups(citizen_client, selection):
    batch = services.batch_draw(selection)
    services.backup_claim(selection, batch_id=batch.pk, number=batch.numbers[0])
    body = citizen_client.get(reverse("plates:selection", args=[selection.pk])).content.decode()
    assert all(n in body for n in batch.numbers)
    assert 'data-testid="backups"' in body and "本批号码距失效" in body


def test_bad_backup_post_gives_a_message_not_a_crash(citizen_client, selection):
    page = citizen_client.post(reverse("plates:backup", args=[selection.pk]), {"batch": "x", "number": ""}, follow=True)
    assert page.status_code == 200 and "请从本批号码中选择" in page.content.decode()


def test_empty_pool_says_so_and_keeps_the_batch(selection, pool):
    PlateNumber.objects.update(status="withheld")
    with pytest.raises(services.PlateError, match="号池|pool"):
        services.batch_draw(selection)
    selection.refresh_from_db()
    assert selection.batches_drawn == 0


def _rows_removed_by_filter(plan) -> int:
    node = plan["Plan"] if "Plan" in plan else plan
    return node.get("Rows Removed by Filter", 0) + sum(_rows_removed_by_filter(n) for n in node.get("Plans", []))


def test_a_selection_reads_its_own_backups_not_every_live_backup_in_the_city(selection, other_citizen, has):
    # A rush: 200 live backups of another citizen, which the table's statistics (from before the
    # block opened, when there were none) know nothing about.
    rival = verified_selection(other_citizen, new_vehicle(other_citizen, has), ip="10.0.0.2")
    mine = drawn_backup(selection)
    taken = PlateNumber.objects.filter(status="available").values_list("pk", flat=True)[:200]
    PlateNumber.objects.filter(pk__in=list(taken)).update(
        status="backup", claimed_selection=rival, claim_expires_at=timezone.now() + datetime.timedelta(minutes=3)
    )
    with CaptureQueriesContext(connection) as queries:
        assert selectors.live_backups(selection) == [mine]
    with connection.cursor() as cursor:
        cursor.execute("EXPLAIN (ANALYZE, FORMAT JSON) " + queries.captured_queries[-1]["sql"])
        plan = cursor.fetchone()[0][0]
    assert _rows_removed_by_filter(plan) == 0, plan
    # Confirming releases this selection's other backups (which no longer filter on the status,
    # for the same reason) and none of the rival's.
    other = drawn_backup(selection)
    set_city(has, "plate_second_sms", False)
    services.selection_confirm(selection, number_id=mine.pk)
    assert PlateNumber.objects.get(pk=other.pk).status == "available"
    assert PlateNumber.objects.filter(claimed_selection=rival, status="backup").count() == 200
