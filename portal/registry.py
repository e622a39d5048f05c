"""The registry (vehicles and licences): reads by person for identity verification, and the
writes service apps may ask of it."""

from portal import identity
from portal.models import DrivingLicence, Vehicle


def mobiles_on_file(id_number: str) -> set[str] | None:
    """The mobiles the registry holds for this ID number; None when it has no record of them.

    An empty set means records without a mobile on file: only a clerk can verify that person.
    """
    key = identity.id_key(id_number)
    vehicles = list(Vehicle.objects.filter(owner_id_number_hash=key).values_list("owner_mobile", flat=True))
    licences = list(DrivingLicence.objects.filter(id_number_hash=key).values_list("mobile", flat=True))
    if not vehicles and not licences:
        return None
    return {m for m in vehicles + licences if m}


def vehicle_inspection_record(vehicle_id: int, *, valid_until, reason: str, actor=None) -> Vehicle:
    """Write a passed inspection into the registry: the new validity end, and an overdue car
    back in normal status. Portal owns the registry, so service apps (exams' inspection booking)
    change it only through here (docs/architecture.md); the history row keeps the reason."""
    from django.db import transaction

    with transaction.atomic():
        vehicle = Vehicle.objects.select_for_update().get(pk=vehicle_id)
        vehicle.inspection_valid_until = valid_until
        if vehicle.status == Vehicle.Status.OVERDUE_INSPECTION:
            vehicle.status = Vehicle.Status.NORMAL
        vehicle._change_reason = reason[:100]
        vehicle._history_user = actor
        vehicle.save(update_fields=["inspection_valid_until", "status"])
    return vehicle
