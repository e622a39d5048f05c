"""Every transition of a preselection, a hold, a ban and a block leaves one history row with
the person who made it (portal.audit; docs/architecture.md "Audit"): the citizen for what they
do on their pages, the clerk for the office's steps, nobody for a sweep."""

import datetime

import pytest

from plates import services
from plates.models import Ban, Hold, NumberBlock, PlateNumber, Selection
from portal.models import Vehicle
from tests.audit import acting_as, created_row, one_row
from tests.conftest import last_code
from tests.plates.conftest import announced_days_ago, confirmed_hold, new_vehicle, on, set_city, verified_selection

pytestmark = pytest.mark.django_db


def _free_number(city) -> str:
    return PlateNumber.objects.filter(city=city, status=PlateNumber.Status.AVAILABLE).order_by("pk").first().number


def test_a_citizens_selection_walk(citizen, has, pool, sms_outbox):
    set_city(has, "plate_second_sms", False)
    vehicle = new_vehicle(citizen, has)
    selection = services.selection_start(
        citizen=citizen, city=has, vin=vehicle.vin, cert_number=vehicle.conformity_cert_number, ip="10.0.0.1"
    )
    created_row(Selection, selection.pk, citizen)
    services.send_start_code(selection)
    with one_row(selection, citizen):
        services.selection_verify(selection, last_code(citizen.mobile))
    with one_row(selection, citizen):
        batch = services.batch_draw(selection)
    # Moving a number to the backups changes the number and the batch (no history of their own),
    # not the selection.
    with one_row(selection, citizen):
        services.compose_round(selection, [_free_number(has)])
    backup = services.backup_claim(selection, batch_id=batch.pk, number=batch.numbers[0])
    with one_row(selection, citizen):
        hold = services.selection_confirm(selection, number_id=backup.pk)
    created_row(Hold, hold.pk, citizen)
    with acting_as(citizen), one_row(hold, citizen):
        services.hold_abandon(hold, citizen=citizen)
    created_row(Ban, Ban.objects.get(hold=hold).pk, citizen)


def test_a_selection_used_up_is_closed_by_nobody(citizen, has, pool):
    selection = verified_selection(citizen, new_vehicle(citizen, has))
    # Test data: every batch drawn and every try used, nothing kept.
    Selection.objects.filter(pk=selection.pk).update(batches_drawn=99, compose_tries_used=99)
    selection.refresh_from_db()
    with one_row(selection, None):
        assert services.selection_check_exhausted(selection)


def test_the_offices_steps_and_the_sweeps(citizen, other_citizen, clerk_has, has, pool):
    set_city(has, "plate_second_sms", False)
    block = NumberBlock.objects.create(
        city=has, plate_type="02", prefix=has.plate_prefix, serial_from="B000A", serial_to="B000Z", size=26
    )
    with acting_as(clerk_has), one_row(block, clerk_has):
        services.block_announce(block)
    # The hall: an open online selection of the vehicle is cancelled by the clerk's choice.
    vehicle = new_vehicle(citizen, has)
    selection = verified_selection(citizen, vehicle)
    with one_row(selection, clerk_has):
        hold = services.hall_select(clerk=clerk_has, city=has, vehicle=vehicle, number=_free_number(has))
    with one_row(hold, clerk_has), one_row(Vehicle.objects.get(pk=vehicle.pk), clerk_has):
        services.hold_register(hold, clerk=clerk_has)

    announced_days_ago(block)
    with one_row(block, None):
        services.block_open(block)


def test_a_hold_reminded_and_lapsed_by_the_sweep_and_its_ban_lifted(citizen, clerk_has, has, pool):
    set_city(has, "plate_second_sms", False)
    with on(datetime.date(2026, 11, 20)):
        hold = confirmed_hold(verified_selection(citizen, new_vehicle(citizen, has)))
    with on(datetime.date(2026, 11, 25), 9), one_row(hold, None):
        services.sweep()  # the reminder, a day before the deadline
    with on(datetime.date(2026, 11, 26), 0, 0, 1), one_row(hold, None):
        services.sweep()
    ban = Ban.objects.get(hold=hold)
    created_row(Ban, ban.pk, None)
    with one_row(ban, clerk_has):
        services.ban_lift(ban, clerk=clerk_has, reason="wrongly banned")
