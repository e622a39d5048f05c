"""The monthly summary notice of each unit account (docs/rules.md §1.2): to every administrator
of an active unit, once per month (the dedupe key names the unit, the month and the person)."""

import datetime

from django.utils import timezone

from notices import own_kinds as k
from notices.services.delivery import notify
from portal import units
from portal.models import Unit


def unit_summaries(*, today: datetime.date | None = None) -> int:
    """Send this month's summaries; returns how many notices were new. A repeated run of the
    same month sends nothing again."""
    today = today or timezone.localdate()
    month = today.strftime("%Y-%m")
    sent = 0
    for unit in Unit.objects.filter(is_active=True).select_related("city").order_by("id"):
        vehicles = units.vehicle_rows(units.unit_vehicles(unit), today)
        licences = units.licence_rows(units.unit_licences(unit), today)
        overdue = units.overdue_items(vehicles, licences)
        context = {
            "unit": unit.name,
            "month": month,
            "vehicles": len(vehicles),
            "drivers": len(licences),
            "inspection": overdue["inspection"],
            "violations": overdue["violations"],
            "licences": overdue["licences"],
            "points": overdue["points"],
        }
        for member in unit.members.filter(is_admin=True, user__is_active=True).select_related("user"):
            notice = notify(
                k.UNIT_MONTHLY,
                id_number=member.user.id_number,
                city=unit.city,
                context=context,
                dedupe_key=f"unit:{unit.pk}:{month}:{member.user_id}",
            )
            sent += notice is not None
    return sent
