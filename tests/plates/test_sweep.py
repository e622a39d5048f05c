"""The Celery sweep: backups, replenishment by announcing and opening blocks; the public page."""

import datetime

import pytest
from django.urls import reverse
from django.utils import timezone

from plates import services, tasks
from plates.models import NumberBlock, PlateNumber
from tests.plates.conftest import confirmed_hold, new_vehicle, on, set_city, verified_selection

pytestmark = pytest.mark.django_db


def test_sweep_task_releases_expired_backups_once(citizen, vehicle, pool):
    selection = verified_selection(citizen, vehicle)
    with on(datetime.date(2026, 11, 23), 10):
        batch = services.batch_draw(selection)
        services.backup_claim(selection, batch_id=batch.pk, number=batch.numbers[0])
    with on(datetime.date(2026, 11, 23), 10, 3, 1):
        assert tasks.sweep.delay().get()["backups_released"] == 1
        assert tasks.sweep.delay().get()["backups_released"] == 0
    assert PlateNumber.objects.get(number=batch.numbers[0]).status == "available"


def test_low_pool_announces_the_next_draft_block_three_days_ahead_then_opens_it(has, pool):
    set_city(has, "plate_pool_min_available", 450)
    nxt = NumberBlock.objects.create(
        city=has, plate_type="02", prefix="苏H", serial_from="B000A", serial_to="B009Z", size=240
    )
    later = NumberBlock.objects.create(
        city=has, plate_type="02", prefix="苏H", serial_from="C000A", serial_to="C009Z", size=240
    )
    with on(datetime.date(2026, 11, 23), 10):
        assert services.sweep()["blocks_announced"] == 1
        assert services.sweep()["blocks_announced"] == 0  # one block on its way is enough
    nxt.refresh_from_db()
    assert nxt.status == "announced" and nxt.opens_at.date() == datetime.date(2026, 11, 26)
    with on(datetime.date(2026, 11, 26), 10, 0, 1):
        result = services.sweep()
    assert result["blocks_opened"] == 1
    # No take yet: 480 available is enough for 450, so nothing more is announced ...
    assert result["blocks_announced"] == 0
    # ... until 40 numbers are taken in a day: 440 left and 40 a day for 4 days ahead is short.
    with on(datetime.date(2026, 11, 26), 11):
        ids = PlateNumber.objects.filter(status="available").values_list("id", flat=True)[:40]
        PlateNumber.objects.filter(pk__in=list(ids)).update(status="registered", taken_at=timezone.now())
        result = services.sweep()
    assert result["blocks_announced"] == 1
    later.refresh_from_db()
    assert later.status == "announced"


def test_a_full_pool_announces_nothing(has, pool):
    set_city(has, "plate_pool_min_available", 100)
    NumberBlock.objects.create(
        city=has, plate_type="02", prefix="苏H", serial_from="B000A", serial_to="B009Z", size=240
    )
    assert services.sweep()["blocks_announced"] == 0


def test_a_stopped_worker_only_delays_the_work(citizen, has, pool):
    set_city(has, "plate_second_sms", False)
    with on(datetime.date(2026, 11, 20), 10):
        selection = verified_selection(citizen, new_vehicle(citizen, has))
        confirmed_hold(selection)
    # No sweep ran for weeks: the first run catches up.
    with on(datetime.date(2026, 12, 20), 10):
        assert services.sweep()["holds_lapsed"] == 1


def test_public_block_page_needs_no_login(client, has, pool):
    NumberBlock.objects.create(
        city=has,
        plate_type="52",
        prefix="苏H",
        serial_from="D00000",
        serial_to="D09999",
        size=10000,
        status="announced",
        opens_at=timezone.now(),
    )
    PlateNumber.objects.filter(number="苏HA000A").update(status="held")
    client.defaults["HTTP_HOST"] = "has.localhost"
    body = client.get(reverse("plates:blocks")).content.decode()
    assert "号段公布" in body and "苏HA000A–苏HA009Z" in body and "239" in body and "苏HD00000–苏HD09999" in body
    assert "公示中" in body


def test_stats_provider_counts_taken_and_left(has, pool):
    from portal import hooks

    PlateNumber.objects.filter(number="苏HA000A").update(status="registered")
    section = next(s for s in hooks.stats_for(has) if s.rows and "苏HA000A" in str(s.rows[0][0]))
    assert section.rows[0][-2:] == [1, 239]


def test_demo_loader_builds_an_open_and_an_announced_block(has, citizen):
    import io

    from plates import hooks

    out = io.StringIO()
    hooks.demo(out)
    hooks.demo(out)  # a second run adds nothing
    assert NumberBlock.objects.filter(city=has, status="open").count() == 1
    assert NumberBlock.objects.filter(city=has, status="announced").count() == 1
    assert PlateNumber.objects.filter(status="available").count() == 4800


def test_province_site_has_no_plate_pages(client, has):
    client.defaults["HTTP_HOST"] = "localhost"
    assert client.get(reverse("plates:blocks")).status_code == 404


def test_without_a_queued_block_the_sweep_defines_the_next_one(has, pool):
    set_city(has, "plate_pool_min_available", 450)
    with on(datetime.date(2026, 11, 23), 10):
        assert services.sweep()["blocks_announced"] == 1
    nxt = NumberBlock.objects.get(status="announced")
    assert (nxt.serial_from, nxt.serial_to, nxt.size) == ("B000A", "B009Z", 240)
    with on(datetime.date(2026, 11, 26), 10, 0, 1):
        services.sweep()
    assert PlateNumber.objects.filter(block=nxt, status="available").count() == 240


def test_get_many_reads_several_city_values_like_get(has, szv):
    from portal import citysettings

    set_city(has, "plate_compose_tries", 7)
    set_city(has, "plate_second_sms", "false")
    keys = ("plate_compose_tries", "plate_second_sms", "plate_backup_seconds")
    for city in (has, szv):
        assert citysettings.get_many(city, *keys) == {key: citysettings.get(city, key) for key in keys}
    assert citysettings.get_many(has, *keys) == {
        "plate_compose_tries": 7,
        "plate_second_sms": False,
        "plate_backup_seconds": 180,
    }


def test_demo_prints_the_certificate_of_every_citizen_who_can_preselect(has, citizen, other_citizen):
    import io

    from plates import hooks

    theirs = new_vehicle(other_citizen, has)
    out = io.StringIO()
    hooks.demo(out)
    text = out.getvalue()
    assert f"certificate {hooks.DEMO_CERT}" in text
    assert f"VIN {theirs.vin}, certificate {theirs.conformity_cert_number}" in text
