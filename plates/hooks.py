"""What plates contributes to portal's shared pages: statistics, deadlines, demo data."""

import datetime

from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from portal.hooks import Deadline, StatsSection


def stats(city):
    from plates import selectors

    rows = [
        [
            str(block),
            block.get_plate_type_display(),
            block.get_status_display(),
            block.size,
            block.taken,
            block.available,
        ]
        for block in selectors.block_rows(city)
    ]
    if not rows:
        return []
    return [
        StatsSection(
            title=_("Plate-number blocks"),
            columns=[_("Block"), _("Plate type"), _("Status"), _("Size"), _("Taken"), _("Left")],
            rows=rows,
        )
    ]


def deadlines(user):
    from plates import selectors, services

    return [
        Deadline(
            when=hold.expires_at,
            title=_("Register plate number %(number)s") % {"number": hold.number.number},
            description=_("Register the vehicle at the office by the end of %(day)s.")
            % {"day": services.deadline_day(hold)},
            url=reverse("plates:hold", args=[hold.pk]),
            uid=f"plates-hold-{hold.pk}@open122",
        )
        for hold in selectors.live_holds_for(user)
    ]


DEMO_VIN = "LSVDEMO0PLATE0001"
DEMO_CERT = "WAC000000000001"


def _announced_days_ago(block, now) -> None:
    """Demo data: a block announced the full announcement period ago, opening now (the public
    announcement is the rule, docs/rules.md §2, so even the demo's first block has had one)."""
    from plates import services
    from plates.models import NumberBlock
    from portal import citysettings

    days = citysettings.get(block.city, "plate_block_announce_days")
    NumberBlock.objects.filter(pk=block.pk, status=NumberBlock.Status.DRAFT).update(
        status=NumberBlock.Status.ANNOUNCED, announced_at=now - datetime.timedelta(days=days), opens_at=now
    )
    services.block_open(block)


def demo(stdout):
    """Huai'an: an open 苏H block of 4,800 small-car numbers, an announced one, a new car for
    the first demo citizen, and for every citizen who can preselect the data to do it with."""
    from plates import ga36, services
    from plates.models import NumberBlock
    from portal.models import City, User, Vehicle

    city = City.objects.filter(code="has").first()
    if city is None:
        return
    now = timezone.now()
    block, created = NumberBlock.objects.get_or_create(
        city=city,
        plate_type="02",
        prefix="苏H",
        serial_from="A000A",
        serial_to="A199Z",
        defaults={"size": services.block_size("02", "A000A", "A199Z"), "opens_at": now},
    )
    if created:
        _announced_days_ago(block, now)
    nxt, created = NumberBlock.objects.get_or_create(
        city=city,
        plate_type="02",
        prefix="苏H",
        serial_from="B000A",
        serial_to="B199Z",
        defaults={"size": services.block_size("02", "B000A", "B199Z")},
    )
    if created:
        services.block_announce(nxt)
    citizen = User.objects.filter(role=User.Role.CITIZEN).order_by("id").first()
    if citizen is not None and not Vehicle.objects.filter(vin=DEMO_VIN).exists():
        Vehicle.objects.create(
            city=city,
            vin=DEMO_VIN,
            conformity_cert_number=DEMO_CERT,
            owner_id_number=citizen.id_number,
            owner_name=citizen.real_name,
            brand="比亚迪",
            model_name="秦PLUS",
            plate_type="02",
            status=Vehicle.Status.NEW,
        )
    # Every new car of a selectable type without a plate: what its owner types to preselect.
    for vehicle in Vehicle.objects.filter(
        city=city, status=Vehicle.Status.NEW, plate_number__isnull=True, plate_type__in=ga36.PLATE_TYPES
    ).order_by("id"):
        stdout.write(
            f"plates: new car for {vehicle.owner_name}: VIN {vehicle.vin}, certificate {vehicle.conformity_cert_number}\n"
        )
    stdout.write("plates: Huai'an block 苏HA000A–苏HA199Z open, 苏HB000A–苏HB199Z announced\n")
