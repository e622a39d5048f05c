"""Reads of violations that other apps may use (certificates, notices, portal hooks).

The names and signatures of vehicle_has_unsettled and unsettled_for_vehicle are a public
interface: certificates refuses some applications while a vehicle has unsettled records.
"""

import datetime

from django.db.models import F, OuterRef, Q, Subquery
from django.utils import timezone

from portal import identity
from portal.models import DrivingLicence, Vehicle
from violations.models import Binding, Decision, Objection, Violation


def unsettled_for_vehicle(vehicle):
    """The vehicle's records that still stand in the way: not handled, under objection, or
    decided with the fine unpaid (newest first)."""
    return (
        Violation.objects.filter(vehicle=vehicle, status__in=Violation.UNSETTLED)
        .select_related("code")
        .order_by("-occurred_at", "-id")
    )


def vehicle_has_unsettled(vehicle) -> bool:
    """True when the vehicle has any record not handled, under objection, or decided but unpaid."""
    return Violation.objects.filter(vehicle=vehicle, status__in=Violation.UNSETTLED).exists()


def active_bindings_of_driver(id_number: str):
    return Binding.objects.filter(driver_id_number_hash=identity.id_key(id_number), status=Binding.Status.ACTIVE)


def live_bindings_of_vehicle(vehicle):
    return Binding.objects.filter(vehicle=vehicle, status__in=Binding.LIVE).order_by("requested_at")


def visible_violations(key: str):
    """Records a citizen may see, by their ID look-up key, in one query: every record of their
    own vehicles, and of each vehicle bound to them only those after the binding date
    (docs/rules.md §5.6). The vehicles are a subquery (owned UNION ALL bound), so PostgreSQL
    reads each one's records by an index range scan on violation_vehicle_time, never the table;
    each record carries `bound_since`, the approval time of the citizen's binding of its vehicle
    (None for their own), which the refusals and the page's "registered" badge read.
    Deleted records are left out; newest first."""
    bound = Binding.objects.filter(driver_id_number_hash=key, status=Binding.Status.ACTIVE).order_by()
    vehicle_ids = (
        Vehicle.objects.filter(owner_id_number_hash=key)
        .order_by()
        .values("pk")
        .union(bound.values("vehicle_id"), all=True)
    )
    since = bound.filter(vehicle_id=OuterRef("vehicle_id")).values("approved_at")[:1]
    return (
        Violation.objects.filter(vehicle_id__in=vehicle_ids)
        .annotate(bound_since=Subquery(since))
        # Their own vehicle: every record; a bound one: after the binding was approved.
        .filter(Q(vehicle__owner_id_number_hash=key) | Q(occurred_at__gt=F("bound_since")))
        .exclude(status=Violation.Status.DELETED)
        .order_by("-occurred_at", "-id")
    )


def bindings_of(records, key: str) -> dict[int, Binding]:
    """The citizen's binding (vehicle and approval time, what the handling refusals read) of each
    non-owned vehicle among records from visible_violations."""
    return {
        r.vehicle_id: Binding(
            vehicle_id=r.vehicle_id, driver_id_number_hash=key, status=Binding.Status.ACTIVE, approved_at=r.bound_since
        )
        for r in records
        if r.vehicle.owner_id_number_hash != key
    }


def page_licence(key: str):
    """The licence "my violations" shows and checks: the same one services.handler_licence
    finds (the newest that is not cancelled), found by the ID look-up key, with only the fields
    the page and violations.services.record_refusals read (no encrypted ID number to decrypt)."""
    return (
        DrivingLicence.objects.filter(id_number_hash=key)
        .exclude(status=DrivingLicence.Status.CANCELLED)
        .only("points", "status", "cycle_start", "city_id")
        .order_by("-valid_from", "-id")
        .first()
    )


def decisions_of(id_number: str):
    return Decision.objects.filter(handler_id_number_hash=identity.id_key(id_number))


def unpaid_points(licence, cycle_start) -> int:
    """Points of decisions in a cycle whose fine is unpaid (they carry over: R-PTS art 15)."""
    return sum(
        Decision.objects.filter(
            licence=licence, points_cycle_start=cycle_start, status=Decision.Status.UNPAID
        ).values_list("points", flat=True)
    )


def overdue_objections(city, today):
    return Objection.objects.filter(city=city, status=Objection.Status.PENDING, due_on__lt=today)


def deadlines(user):
    """Calendar feed: the last day to pay each unpaid fine without the late surcharge."""
    from django.urls import reverse
    from django.utils.translation import gettext as _

    from portal.hooks import Deadline

    if not getattr(user, "is_authenticated", False):
        return []
    return [
        Deadline(
            when=d.due_on,
            title=_("Pay the fine of decision %(number)s") % {"number": d.number},
            description=_("%(fine)s yuan; from the next day 3 per cent a day is added") % {"fine": d.fine},
            url=reverse("violations:decision", args=[d.number]),
            uid=f"violations-decision-{d.pk}",
        )
        for d in decisions_of(user.id_number).filter(status=Decision.Status.UNPAID)[:50]
    ]


# --- Unit accounts (portal.hooks, docs/rules.md §1.2) -----------------------------------------
def unsettled_counts(vehicle_ids) -> dict[int, int]:
    """Unsettled records per vehicle, for a unit's dashboard and the clerks' key-vehicle list."""
    from django.db.models import Count

    rows = (
        Violation.objects.filter(vehicle_id__in=list(vehicle_ids), status__in=Violation.UNSETTLED)
        .values("vehicle_id")
        .annotate(n=Count("id"))
    )
    return {row["vehicle_id"]: row["n"] for row in rows}


def unit_violations_section(unit, vehicles, licences):
    """The unsettled records of a unit's vehicles, newest first (a unit sees only its own
    vehicles: the list it is given)."""
    from django.utils import timezone
    from django.utils.translation import gettext as _

    from portal.hooks import UnitSection

    records = (
        Violation.objects.filter(vehicle__in=[v.pk for v in vehicles], status__in=Violation.UNSETTLED)
        .select_related("code")
        .order_by("-occurred_at", "-id")[:200]
    )
    rows = [
        [
            r.plate_number,
            timezone.localtime(r.occurred_at).strftime("%Y-%m-%d %H:%M"),
            r.place,
            r.code.description,
            r.fine,
            r.points,
            r.get_status_display(),
        ]
        for r in records
    ]
    return [
        UnitSection(
            title=_("Unsettled violations of the unit's vehicles"),
            columns=[_("Plate"), _("Time"), _("Place"), _("Facts"), _("Fine (yuan)"), _("Points"), _("Status")],
            rows=rows,
            note=_("The driver who drove handles each record (online if it qualifies, or at a counter)."),
        )
    ]


def clerk_search(city, *, plate: str = "", day_from=None, day_to=None, limit: int = 26, offset: int = 0) -> list[dict]:
    """A clerk's search over the city's records, newest first, as plain rows for the page: by the
    plate as recorded (index violation_city_plate_time) and/or by local days (violation_city_time);
    either way an index range scan that stops after `limit` rows, however big the table."""
    records = Violation.objects.filter(city=city)
    if plate:
        records = records.filter(plate_number=plate)
    if day_from is not None:
        records = records.filter(occurred_at__gte=_day_start(day_from))
    if day_to is not None:
        records = records.filter(occurred_at__lt=_day_start(day_to + datetime.timedelta(days=1)))
    statuses, sources = dict(Violation.Status.choices), dict(Violation.Source.choices)
    rows = list(
        records.order_by("-occurred_at", "-id").values(
            "pk", "plate_number", "occurred_at", "place", "fine", "points", "source", "status", "code__code"
        )[offset : offset + limit]
    )
    for row in rows:
        # Formatted here once: the template's date filter is the costliest part of a row.
        row["when"] = timezone.localtime(row["occurred_at"]).strftime("%Y-%m-%d %H:%M")
        row["status_label"] = statuses.get(row["status"], row["status"])
        row["source_label"] = sources.get(row["source"], row["source"])
    return rows


def _day_start(day: datetime.date):
    return timezone.make_aware(datetime.datetime.combine(day, datetime.time.min))
