"""Under a rush: real threads on real connections after the same numbers (docs/architecture.md "Scarce
things under a rush"). Each test has 16 threads released together by a barrier; the control
shows that without the conditional UPDATE the same overlap double-allocates."""

import datetime

import pytest
from django.utils import timezone

from plates import services
from plates.models import Hold, PlateNumber, RandomBatch
from portal.models import Vehicle
from tests import factories
from tests.plates.conftest import batch_with, confirmed_hold, new_vehicle, open_block, set_city, verified_selection
from tests.races import barrier, race

pytestmark = pytest.mark.django_db(transaction=True)
THREADS = 16


@pytest.fixture
def crowd():
    has = factories.city("has")
    open_block(has)
    set_city(has, "plate_second_sms", False)
    selections = []
    for i in range(THREADS):
        person = factories.UserFactory()
        selections.append(verified_selection(person, new_vehicle(person, has), ip=f"10.1.0.{i}"))
    return has, selections


def test_sixteen_claims_of_one_number_give_one_backup(crowd):
    has, selections = crowd
    lucky = "苏HA008A"
    batches = [batch_with(s, lucky) for s in selections]
    results, errors = race(
        lambda i: services.backup_claim(selections[i], batch_id=batches[i].pk, number=lucky), THREADS
    )
    winners = [r for r in results if r is not None]
    assert len(winners) == 1
    assert sum(isinstance(e, services.PlateError) for e in errors) == THREADS - 1
    number = PlateNumber.objects.get(number=lucky)
    assert number.status == "backup" and number.claimed_selection_id in {s.pk for s in selections}


def test_control_a_read_then_write_claim_double_allocates_under_the_same_overlap(crowd):
    """The same rush without the conditional UPDATE: every thread reads "available" before any
    writes (the barrier between read and write proves overlap), and all of them "win"."""
    has, selections = crowd
    lucky = "苏HA008A"

    gate = barrier(THREADS)

    def naive(i):
        seen = PlateNumber.objects.get(number=lucky).status
        gate.wait()
        if seen == "available":
            PlateNumber.objects.filter(number=lucky).update(status="backup", claimed_selection=selections[i])
            return True
        return False

    results, errors = race(naive, THREADS, start=gate)
    assert errors == [None] * THREADS
    assert sum(bool(r) for r in results) == THREADS  # 16 "owners" of one number


def test_sixteen_claims_of_an_expired_backup_give_one_new_owner(crowd):
    has, selections = crowd
    lucky = "苏HA007B"
    PlateNumber.objects.filter(number=lucky).update(
        status="backup",
        claimed_selection=selections[0],
        claim_expires_at=timezone.now() - datetime.timedelta(seconds=1),
    )
    results, _ = race(lambda i: services.compose_round(selections[i], [lucky]), THREADS)
    winners = [i for i, r in enumerate(results) if r and r[0] is not None]
    assert len(winners) == 1
    # A fresh claim for the one winner; the lapsed owner races too and may win it back.
    number = PlateNumber.objects.get(number=lucky)
    assert number.claimed_selection_id == selections[winners[0]].pk
    assert number.claim_expires_at > timezone.now()


def test_sixteen_self_composed_rounds_after_the_same_five_numbers_give_five_backups(crowd):
    """Each round tries the same 5 numbers in its own order: a number another round has locked is
    waited for and, once taken, passed over for the next candidate, so exactly 5 rounds win one
    number each, and every loser pays one try per candidate."""
    has, selections = crowd
    set_city(has, "plate_compose_interval_seconds", 0)
    lucky = ["苏HA001A", "苏HA002B", "苏HA003C", "苏HA004D", "苏HA005E"]
    orders = [lucky[i % 5 :] + lucky[: i % 5] for i in range(THREADS)]
    results, errors = race(lambda i: services.compose_round(selections[i], orders[i]), THREADS)
    assert errors == [None] * THREADS
    winners = [(i, claimed) for i, (claimed, _cost) in enumerate(results) if claimed is not None]
    assert sorted(c.number for _, c in winners) == sorted(lucky)
    numbers = {n.number: n for n in PlateNumber.objects.filter(number__in=lucky)}
    for i, claimed in winners:
        assert numbers[claimed.number].claimed_selection_id == selections[i].pk
    for i, (claimed, cost) in enumerate(results):
        selections[i].refresh_from_db()
        assert selections[i].compose_tries_used == cost
        assert cost == (5 if claimed is None else orders[i].index(claimed.number))


def test_sixteen_confirms_of_one_vehicle_give_one_hold(crowd):
    has, selections = crowd
    selection = selections[0]
    numbers = list(PlateNumber.objects.filter(status="available").order_by("id")[:THREADS])
    PlateNumber.objects.filter(pk__in=[n.pk for n in numbers]).update(
        status="backup", claimed_selection=selection, claim_expires_at=timezone.now() + datetime.timedelta(seconds=180)
    )
    results, errors = race(lambda i: services.selection_confirm(selection, number_id=numbers[i].pk), THREADS)
    assert sum(r is not None for r in results) == 1
    assert Hold.objects.filter(vehicle=selection.vehicle).count() == 1
    assert PlateNumber.objects.filter(status="held").count() == 1
    # The other backups went back to the pool.
    assert PlateNumber.objects.filter(status="backup").count() == 0


def test_sixteen_office_clerks_after_one_number_give_one_vehicle_the_number(crowd):
    has, selections = crowd
    clerk = factories.clerk("has")
    vehicles = [s.vehicle for s in selections]
    results, errors = race(
        lambda i: services.hall_select(clerk=clerk, city=has, vehicle=vehicles[i], number="苏HA005C"), THREADS
    )
    assert sum(r is not None for r in results) == 1
    assert Hold.objects.filter(number__number="苏HA005C").count() == 1


def test_sixteen_registrations_of_one_hold_plate_one_vehicle_once(crowd):
    has, selections = crowd
    selection = selections[0]
    hold = confirmed_hold(selection)
    clerk = factories.clerk("has")
    results, errors = race(lambda i: services.hold_register(hold, clerk=clerk), THREADS)
    assert sum(r is not None for r in results) == 1
    assert Vehicle.objects.filter(plate_number=hold.number.number).count() == 1
    assert Hold.objects.get(pk=hold.pk).status == "registered"


def test_sixteen_clicks_on_one_batch_fill_its_single_backup_slot_once(crowd):
    has, selections = crowd
    selection = selections[0]
    numbers = list(
        PlateNumber.objects.filter(status="available").order_by("id").values_list("number", flat=True)[:THREADS]
    )
    batch = RandomBatch.objects.create(
        selection=selection, numbers=numbers, expires_at=timezone.now() + datetime.timedelta(seconds=90)
    )
    results, errors = race(lambda i: services.backup_claim(selection, batch_id=batch.pk, number=numbers[i]), THREADS)
    winners = [r for r in results if r is not None]
    assert len(winners) == 1
    batch.refresh_from_db()
    assert batch.backup_id == winners[0].pk
    assert PlateNumber.objects.filter(status="backup").count() == 1


def test_sixteen_starts_for_one_vehicle_open_one_selection(crowd):
    has, selections = crowd
    person = factories.UserFactory()
    vehicle = new_vehicle(person, has)

    def start(i):
        return services.selection_start(
            citizen=person, city=has, vin=vehicle.vin, cert_number=vehicle.conformity_cert_number
        ).pk

    results, errors = race(start, THREADS)
    assert errors == [None] * THREADS
    assert len(set(results)) == 1
    assert vehicle.plate_selections.count() == 1
