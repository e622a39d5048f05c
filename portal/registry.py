"""Reads of the registry (vehicles and licences) by person, for identity verification."""

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
