"""Clerk tools in the admin, own city only."""

import datetime

import pytest
from django.urls import reverse
from django.utils import timezone

from plates import services
from plates.models import Ban, BannedPattern, Hold, NumberBlock, PlateNumber
from portal import identity
from portal.models import Vehicle
from tests.plates.conftest import confirmed_hold, new_vehicle, on, open_block, set_city, verified_selection

pytestmark = pytest.mark.django_db


def _block_form(has, **overrides):
    data = {
        "city": has.pk,
        "plate_type": "02",
        "prefix": "苏H",
        "serial_from": "A000A",
        "serial_to": "C999Z",
        "opens_at_0": "",
        "opens_at_1": "",
    }
    data.update(overrides)
    return data


def test_block_shows_its_size_before_it_is_saved(clerk_client, has):
    url = reverse("admin:plates_numberblock_add")
    page = clerk_client.post(url, _block_form(has))
    body = page.content.decode()
    assert page.status_code == 200 and "72,000" in body
    assert not NumberBlock.objects.exists()
    # Saving again with the shown size (kept in the form) creates the block.
    response = clerk_client.post(url, _block_form(has, confirmed_size="72000"))
    assert response.status_code == 302
    block = NumberBlock.objects.get()
    assert block.size == 72000 and block.status == "draft" and not PlateNumber.objects.exists()


def test_block_with_a_bad_range_or_another_citys_prefix_is_refused(clerk_client, has):
    url = reverse("admin:plates_numberblock_add")
    body = clerk_client.post(url, _block_form(has, serial_from="AI00A")).content.decode()
    assert "号牌不用的字符" in body
    body = clerk_client.post(url, _block_form(has, prefix="苏E")).content.decode()
    assert "本市号牌以 苏H 开头" in body
    assert not NumberBlock.objects.exists()


def test_announce_action_publishes_and_the_sweep_opens_on_time(clerk_client, has):
    block = NumberBlock.objects.create(
        city=has, plate_type="02", prefix="苏H", serial_from="B000A", serial_to="B009Z", size=240
    )
    with on(datetime.date(2026, 11, 23), 9):
        clerk_client.post(
            reverse("admin:plates_numberblock_changelist"), {"action": "announce", "_selected_action": [block.pk]}
        )
    block.refresh_from_db()
    assert block.status == "announced" and block.opens_at.date() == datetime.date(2026, 11, 26)
    with on(datetime.date(2026, 11, 26), 8, 59):
        assert services.sweep()["blocks_opened"] == 0
    with on(datetime.date(2026, 11, 26), 9, 0, 1):
        assert services.sweep()["blocks_opened"] == 1
    assert PlateNumber.objects.filter(block=block, status="available").count() == 240


def test_clerk_of_another_city_sees_nothing(client, clerk_szv, has, szv):
    open_block(has)
    client.defaults["HTTP_HOST"] = "szv.localhost"
    client.force_login(clerk_szv)
    page = client.get(reverse("admin:plates_numberblock_changelist"))
    assert page.status_code == 200 and "苏HA000A" not in page.content.decode()
    assert (
        client.get(reverse("admin:plates_platenumber_changelist") + "?q=苏HA000A").content.decode().count("苏HA000A")
        <= 1
    )


def test_withheld_pattern_takes_matching_numbers_out_of_the_pool(clerk_client, has, pool):
    clerk_client.post(
        reverse("admin:plates_bannedpattern_add"),
        {"city": has.pk, "pattern": r"(\d)\1\1", "reason": "三同号", "is_active": "on"},
    )
    assert BannedPattern.objects.count() == 1
    assert PlateNumber.objects.get(number="苏HA000A").status == "withheld"
    assert PlateNumber.objects.get(number="苏HA001A").status == "available"
    page = clerk_client.post(reverse("admin:plates_bannedpattern_add"), {"city": has.pk, "pattern": "(", "reason": "x"})
    assert "规则格式不正确" in page.content.decode()


def test_withhold_and_release_single_numbers(clerk_client, pool):
    number = PlateNumber.objects.get(number="苏HA008R")
    url = reverse("admin:plates_platenumber_changelist")
    clerk_client.post(url, {"action": "withhold", "_selected_action": [number.pk]})
    number.refresh_from_db()
    assert number.status == "withheld"
    clerk_client.post(url, {"action": "release", "_selected_action": [number.pk]})
    number.refresh_from_db()
    assert number.status == "available"


def _held(citizen, has):
    set_city(has, "plate_second_sms", False)
    selection = verified_selection(citizen, new_vehicle(citizen, has))
    return confirmed_hold(selection)


def test_register_action_plates_the_vehicle(clerk_client, citizen, has, pool):
    hold = _held(citizen, has)
    clerk_client.post(reverse("admin:plates_hold_changelist"), {"action": "register", "_selected_action": [hold.pk]})
    assert Vehicle.objects.get(pk=hold.vehicle_id).plate_number == hold.number.number


def test_lapse_and_release_actions(clerk_client, citizen, other_citizen, has, pool):
    lapsed, released = _held(citizen, has), _held(other_citizen, has)
    url = reverse("admin:plates_hold_changelist")
    clerk_client.post(url, {"action": "lapse", "_selected_action": [lapsed.pk]})
    clerk_client.post(url, {"action": "release", "_selected_action": [released.pk]})
    assert (
        Hold.objects.get(pk=lapsed.pk).status == "lapsed"
        and Ban.objects.filter(id_number_hash=identity.id_key(citizen.id_number)).exists()
    )
    assert (
        Hold.objects.get(pk=released.pk).status == "released"
        and not Ban.objects.filter(id_number_hash=identity.id_key(other_citizen.id_number)).exists()
    )


def test_review_queue_lists_flagged_holds(clerk_client, citizen, has, pool):
    hold = _held(citizen, has)
    Hold.objects.filter(pk=hold.pk).update(flagged=True)
    body = clerk_client.get(reverse("admin:plates_hold_changelist") + "?review=waiting").content.decode()
    assert hold.number.number in body


def test_lift_a_ban_with_a_recorded_reason(clerk_client, citizen, has, pool):
    hold = _held(citizen, has)
    services.hold_lapse(hold)
    ban = Ban.objects.get()
    url = reverse("admin:plates_ban_change", args=[ban.pk])
    assert citizen.id_number not in clerk_client.get(url).content.decode()
    clerk_client.post(url, {"lift_reason": "车辆因厂家原因延迟交付"})
    ban.refresh_from_db()
    assert ban.lifted_by is not None and ban.lift_reason == "车辆因厂家原因延迟交付" and not ban.is_active


def test_office_hall_selection_from_a_fresh_batch_of_50(clerk_client, citizen, has):
    open_block(has, "A000A", "A099Z")
    vehicle = new_vehicle(citizen, has)
    url = reverse("admin:plates_hold_hall")
    page = clerk_client.get(url, {"vin": vehicle.vin})
    body = page.content.decode()
    numbers = clerk_client.session["plates_hall_numbers"]
    assert len(numbers) == 50 and numbers[0] in body
    page = clerk_client.post(url, {"vin": vehicle.vin, "number": "苏HZ999Z"})
    assert "请从抽取的号码中选择" in page.content.decode()
    clerk_client.post(url, {"vin": vehicle.vin, "number": numbers[7]})
    hold = Hold.objects.get()
    assert hold.number.number == numbers[7] and hold.source == "hall" and hold.holder_id_number == citizen.id_number


def test_every_plates_admin_page_renders_for_a_clerk(clerk_client, citizen, has, pool):
    hold = _held(citizen, has)
    services.hold_lapse(hold)
    ban = Ban.objects.get()
    pattern = BannedPattern.objects.create(city=has, pattern="^8", reason="拍卖")
    pages = [
        reverse("admin:plates_numberblock_changelist"),
        reverse("admin:plates_numberblock_change", args=[pool.pk]),
        reverse("admin:plates_numberblock_add"),
        reverse("admin:plates_platenumber_changelist"),
        reverse("admin:plates_platenumber_change", args=[hold.number_id]),
        reverse("admin:plates_platenumber_history", args=[hold.number_id]),
        reverse("admin:plates_hold_changelist"),
        reverse("admin:plates_hold_change", args=[hold.pk]),
        reverse("admin:plates_hold_history", args=[hold.pk]),
        reverse("admin:plates_hold_hall"),
        reverse("admin:plates_ban_changelist"),
        reverse("admin:plates_ban_change", args=[ban.pk]),
        reverse("admin:plates_bannedpattern_change", args=[pattern.pk]),
        reverse("admin:plates_selection_changelist"),
        reverse("admin:plates_selection_change", args=[hold.selection_id]),
    ]
    for url in pages:
        response = clerk_client.get(url)
        assert response.status_code == 200, url
        assert citizen.id_number not in response.content.decode(), url


def test_an_opening_time_inside_the_announcement_period_is_refused(clerk_client, has):
    """A block opens 3 days after its announcement at the earliest: a past or too-near opening
    time is a form error, and the service refuses it too (docs/rules.md §2)."""
    url = reverse("admin:plates_numberblock_add")
    with on(datetime.date(2026, 11, 23), 9):
        for day in ("2026-11-22", "2026-11-26"):  # in the past; 3 days minus an hour
            body = clerk_client.post(
                url, _block_form(has, confirmed_size="72000", opens_at_0=day, opens_at_1="08:00:00")
            ).content.decode()
            assert "号段最早在公示 3 天后投放" in body
        assert not NumberBlock.objects.exists()
        response = clerk_client.post(
            url, _block_form(has, confirmed_size="72000", opens_at_0="2026-11-26", opens_at_1="09:00:00")
        )
        assert response.status_code == 302
    block = NumberBlock.objects.get()
    # Announced a day later, its opening time is now too near: the action refuses and says why.
    with on(datetime.date(2026, 11, 24), 9):
        page = clerk_client.post(
            reverse("admin:plates_numberblock_changelist"),
            {"action": "announce", "_selected_action": [block.pk]},
            follow=True,
        )
        assert "不能早于" in page.content.decode()
        with pytest.raises(services.PlateError):
            services.block_announce(block, opens_at=timezone.now())
    block.refresh_from_db()
    assert block.status == "draft"


def test_a_block_never_opens_before_its_announcement_period_has_passed(has):
    block = NumberBlock.objects.create(
        city=has, plate_type="02", prefix="苏H", serial_from="B000A", serial_to="B009Z", size=240
    )
    with on(datetime.date(2026, 11, 23), 9):
        services.block_announce(block)
        # Even with its opening time moved into the past behind the service's back:
        NumberBlock.objects.filter(pk=block.pk).update(opens_at=timezone.now())
        assert services.block_open(block) is None
        assert services.sweep()["blocks_opened"] == 0
    with on(datetime.date(2026, 11, 26), 9):
        assert services.sweep()["blocks_opened"] == 1
