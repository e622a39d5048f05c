import datetime

import pytest
import time_machine
from django.utils import timezone

from plates import services
from plates.models import NumberBlock, RandomBatch, Selection
from portal.models import CitySetting, Vehicle
from tests import factories


def at(day: datetime.date, hour: int = 10, minute: int = 0, second: int = 0) -> datetime.datetime:
    """An aware Asia/Shanghai datetime on a day."""
    return timezone.make_aware(datetime.datetime.combine(day, datetime.time(hour, minute, second)))


def on(day: datetime.date, hour: int = 10, minute: int = 0, second: int = 0):
    """Travel to a local time (time stands still)."""
    return time_machine.travel(at(day, hour, minute, second), tick=False)


def set_city(city, key, value):
    CitySetting.objects.update_or_create(city=city, key=key, defaults={"value": value})


def open_block(city, serial_from="A000A", serial_to="A009Z", plate_type="02", prefix=None) -> NumberBlock:
    """An open block (240 numbers for the default range), built the way the sweep builds one."""
    block = NumberBlock.objects.create(
        city=city,
        plate_type=plate_type,
        prefix=prefix or city.plate_prefix,
        serial_from=serial_from,
        serial_to=serial_to,
        size=services.block_size(plate_type, serial_from, serial_to),
    )
    announced_days_ago(block)
    services.block_open(block)
    block.refresh_from_db()
    return block


def announced_days_ago(block, days=3) -> None:
    """Test data: the block was announced `days` days ago and opens now (a block opens only
    after its announcement period, docs/rules.md §2)."""
    now = timezone.now()
    NumberBlock.objects.filter(pk=block.pk).update(
        status=NumberBlock.Status.ANNOUNCED, announced_at=now - datetime.timedelta(days=days), opens_at=now
    )


def new_vehicle(owner, city, plate_type="02") -> Vehicle:
    return factories.VehicleFactory(
        city=city,
        owner_id_number=owner.id_number,
        owner_name=owner.real_name,
        status=Vehicle.Status.NEW,
        plate_number=None,
        plate_type=plate_type,
        registered_on=None,
        inspection_valid_until=None,
    )


def verified_selection(citizen, vehicle, ip="10.0.0.1", device="") -> Selection:
    selection = services.selection_start(
        citizen=citizen,
        city=vehicle.city,
        vin=vehicle.vin,
        cert_number=vehicle.conformity_cert_number,
        ip=ip,
        device_key=device,
    )
    Selection.objects.filter(pk=selection.pk).update(sms_verified_at=timezone.now())
    selection.refresh_from_db()
    return selection


@pytest.fixture
def pool(has):
    return open_block(has)


@pytest.fixture
def vehicle(citizen, has):
    return new_vehicle(citizen, has)


@pytest.fixture
def selection(citizen, vehicle, pool):
    return verified_selection(citizen, vehicle)


def batch_with(selection, *numbers) -> RandomBatch:
    """A live random batch of the given numbers (as if drawn), for claims of chosen numbers."""
    return RandomBatch.objects.create(
        selection=selection, numbers=list(numbers), expires_at=timezone.now() + datetime.timedelta(seconds=90)
    )


def claim(selection, number):
    """The selection moves this number to its backups (PlateError if someone else has it)."""
    return services.backup_claim(selection, batch_id=batch_with(selection, number).pk, number=number)


def drawn_backup(selection):
    """Draw a random batch and move its first number to the backups."""
    batch = services.batch_draw(selection)
    return services.backup_claim(selection, batch_id=batch.pk, number=batch.numbers[0])


def confirmed_hold(selection):
    """The selection's hold on a number from its first random batch."""
    return services.selection_confirm(selection, number_id=drawn_backup(selection).pk)


@pytest.fixture
def clerk_client(client, clerk_has, has):
    client.defaults["HTTP_HOST"] = "has.localhost"
    client.force_login(clerk_has)
    return client
