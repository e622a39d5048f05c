"""Reads of violations that other apps may use (certificates, notices, portal hooks).

The names and signatures of vehicle_has_unsettled and unsettled_for_vehicle are a public
interface: certificates refuses some applications while a vehicle has unsettled records.
"""

from django.db.models import Q

from portal import identity
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


def visible_violations_q(id_number: str, owned_vehicle_ids, bindings) -> Q:
    """Records a citizen may see: every record of their own vehicles, and of each vehicle bound
    to them only those after the binding date (docs/rules.md §5.6)."""
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
