"""Reads of unit accounts (docs/rules.md §1.2): a staff member's unit, its vehicles and drivers,
and the city's key vehicles for clerks. Every read is scoped by the unit it starts from."""

import datetime

from portal import hooks
from portal.models import DrivingLicence, UnitMember, Vehicle

KEY_KINDS = ("passenger", "dangerous", "transport")


def membership_of(user):
    """The unit staff row of a signed-in account, or None (never another account's unit)."""
    if not getattr(user, "is_authenticated", False):
        return None
    return UnitMember.objects.filter(user=user, unit__is_active=True).select_related("unit__city").first()


def unit_vehicles(unit):
    return Vehicle.objects.filter(unit_link__unit=unit).order_by("plate_number", "id")


def unit_licences(unit):
    return DrivingLicence.objects.filter(unit_drivers__unit=unit).order_by("holder_name", "id")


def vehicle_rows(vehicles, today: datetime.date) -> list[dict]:
    """Per vehicle: inspection date, whether it is overdue, unhandled violations (asked of the
    apps that registered a counter, portal.hooks)."""
    vehicles = list(vehicles)
    counts = hooks.unhandled_violations(v.pk for v in vehicles)
    return [
        {
            "vehicle": v,
            "inspection_until": v.inspection_valid_until,
            "inspection_overdue": v.inspection_valid_until is not None and v.inspection_valid_until < today,
            "unhandled": counts.get(v.pk, 0),
        }
        for v in vehicles
    ]


def licence_rows(licences, today: datetime.date) -> list[dict]:
    return [
        {
            "licence": lic,
            "expired": lic.renewal_due is not None and lic.renewal_due < today,
            "warn_points": lic.points >= 9,
            "not_normal": lic.status != DrivingLicence.Status.NORMAL,
        }
        for lic in licences
    ]


def overdue_items(vehicle_rows_: list[dict], licence_rows_: list[dict]) -> dict:
    return {
        "inspection": sum(1 for r in vehicle_rows_ if r["inspection_overdue"]),
        "violations": sum(1 for r in vehicle_rows_ if r["unhandled"]),
        "licences": sum(1 for r in licence_rows_ if r["expired"] or r["not_normal"]),
        "points": sum(1 for r in licence_rows_ if r["warn_points"]),
    }


def key_vehicles(city, today: datetime.date) -> list[dict]:
    """The city's key vehicles (units' vehicles: passenger, dangerous-goods and transport firms)
    overdue for inspection or with unhandled violations, for the clerks' list."""
    vehicles = list(
        Vehicle.objects.filter(city=city, unit_link__unit__kind__in=KEY_KINDS, unit_link__unit__is_active=True)
        .select_related("unit_link__unit")
        .order_by("inspection_valid_until", "id")
    )
    return [r for r in vehicle_rows(vehicles, today) if r["inspection_overdue"] or r["unhandled"]]
