"""Reads of violations that other apps may use (certificates, notices, portal hooks).

The names and signatures of vehicle_has_unsettled and unsettled_for_vehicle are a public
interface: certificates refuses some applications while a vehicle has unsettled records.
"""

import datetime

from django.db.models import CharField, Q, Value
from django.utils import timezone

from portal import identity
from portal.models import DrivingLicence, Vehicle
from portal.processcache import TimedCache
from violations.models import Binding, Decision, Objection, Violation, ViolationCode


def _load_code(pk: int) -> ViolationCode:
    return ViolationCode.objects.get(pk=pk)


# The catalogue of violation codes changes a few times a year (a clerk's edit in the admin):
# a handling reads a record's code from the per-process copy (portal.processcache, cleared on
# save like the per-city settings its other limits come from) rather than joining it into its
# locking read.
_codes = TimedCache(_load_code)
code_by_id = _codes.get


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


def licences_with_points(rows) -> set[int]:
    """Of `rows` (licence_id, start, end), the licences with points recorded by a decision taken
    on a day in [start, end) (Beijing dates): R-DL art 72 spares an A/B holder the review of a
    points cycle without any (docs/rules.md §6.2). One query for a whole sweep's candidates;
    notices asks through portal.hooks.points_recorded."""
    spans = {licence_id: (start, end) for licence_id, start, end in rows}
    if not spans:
        return set()
    earliest = min(start for start, _end in spans.values())
    decided = Decision.objects.filter(
        licence_id__in=list(spans),
        points__gt=0,
        decided_at__gte=datetime.datetime.combine(earliest, datetime.time.min, tzinfo=timezone.get_current_timezone()),
    ).values_list("licence_id", "decided_at")
    found = set()
    for licence_id, decided_at in decided:
        start, end = spans[licence_id]
        if start <= timezone.localdate(decided_at) < end:
            found.add(licence_id)
    return found


def active_bindings_of_driver(id_number: str):
    return Binding.objects.filter(driver_id_number_hash=identity.id_key(id_number), status=Binding.Status.ACTIVE)


def live_bindings_of_vehicle(vehicle):
    return Binding.objects.filter(vehicle=vehicle, status__in=Binding.LIVE).order_by("requested_at")


def _licence(db: str, row: dict) -> DrivingLicence:
    """A licence from visible_vehicles' row: the fields it read, the others deferred (from_db
    takes the values in the model's field order)."""
    values = {"id": row["pk"], **{name: row[name] for name in ("points", "status", "cycle_start")}}
    names = [f.attname for f in DrivingLicence._meta.concrete_fields if f.attname in values]
    return DrivingLicence.from_db(db, names, [values[name] for name in names])


def visible_vehicles(key: str, *, with_licence: bool = False) -> tuple[list[int], list[Binding], DrivingLicence | None]:
    """The vehicles whose records a citizen sees, by their ID look-up key, in one query (a UNION
    ALL): the ids of their own vehicles, their active bindings of other people's vehicles
    (vehicle and approval time, what visible_violations_q and the handling refusals read) and,
    if asked, the licence "my violations" shows: the one services.handler_licence finds (the
    newest not cancelled), with only the fields the page and the refusals read: points, status,
    cycle start (any other is loaded on first use, as with QuerySet.only()). No encrypted ID
    number is read or decrypted. Each column is an expression the ORM builds and compiles for
    every part of the UNION (about 200 Python calls for a NULL): no more columns than needed."""
    # PostgreSQL types a UNION's columns pair by pair from the left, and takes two NULLs for
    # text: the bindings come first (their approval time types `since`), then the licence (its
    # fields type theirs), then the vehicles. NULLs, not casts: they compile faster.
    #
    # No column names the kind of a row (a constant is one more expression in each part): the
    # columns the parts read from NOT NULL fields tell them apart. A vehicle's row has no
    # `status`; a binding's has its status (always "active" here) and no `points`; the
    # licence's has both.
    null = Value(None, output_field=CharField())
    columns = ("pk", "since", "status", "points", "cycle_start")
    bound = (
        Binding.objects.filter(driver_id_number_hash=key, status=Binding.Status.ACTIVE)
        .order_by()
        .values_list("vehicle_id", "approved_at", "status", null, null)
    )
    parts = []
    if with_licence:
        parts.append(
            DrivingLicence.objects.filter(id_number_hash=key)
            .exclude(status=DrivingLicence.Status.CANCELLED)
            .order_by("-valid_from", "-id")
            .values_list("pk", null, "status", "points", "cycle_start")[:1]
        )
    parts.append(Vehicle.objects.filter(owner_id_number_hash=key).order_by().values_list("pk", null, null, null, null))
    union = bound.union(*parts, all=True)
    rows = [dict(zip(columns, row, strict=True)) for row in union]
    owned_ids = sorted({row["pk"] for row in rows if row["status"] is None})
    bindings = [
        Binding(vehicle_id=row["pk"], driver_id_number_hash=key, status=Binding.Status.ACTIVE, approved_at=row["since"])
        for row in rows
        if row["status"] is not None and row["points"] is None and row["pk"] not in owned_ids
    ]
    licence = next((_licence(union.db, row) for row in rows if row["points"] is not None), None)
    return owned_ids, bindings, licence


def visible_violations_q(owned_vehicle_ids, bindings) -> Q:
    """Records a citizen may see: every record of their own vehicles, and of each vehicle bound
    to them only those after the binding date (docs/rules.md §5.6). Each is an index range scan
    on violation_vehicle_time, however big the table."""
    q = Q(vehicle_id__in=list(owned_vehicle_ids))
    for binding in bindings:
        q |= Q(vehicle_id=binding.vehicle_id, occurred_at__gt=binding.approved_at)
    return q


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
