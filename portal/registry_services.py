"""Writes to the registry copies the portal keeps (vehicles and licences) on behalf of a service.

Service apps never save portal rows of another owner directly for these: they call here, so the
rule and the history row (who and why) live in one place (docs/architecture.md, "registry").
"""

import datetime

from django.db import transaction

from portal import identity
from portal.models import DrivingLicence, Vehicle

DEFERRAL_FIELDS = {
    "renewal": "renewal_deferred_until",
    "review": "review_deferred_until",
    "medical": "medical_deferred_until",
}


def registry_mobile_change(id_number: str, new_mobile: str, *, by=None, reason: str = "") -> int:
    """Put `new_mobile` on every vehicle and licence of this person (R-DL art 81: the contact
    details on file; docs/rules.md §1.1). One history row per changed record. Returns how many
    records changed. Call inside the caller's transaction."""
    key = identity.id_key(id_number)
    changed = 0
    with transaction.atomic():
        for model, field, owner_field in (
            (Vehicle, "owner_mobile", "owner_id_number_hash"),
            (DrivingLicence, "mobile", "id_number_hash"),
        ):
            for row in model.objects.select_for_update().filter(**{owner_field: key}).exclude(**{field: new_mobile}):
                setattr(row, field, new_mobile)
                row._history_user = by
                row._change_reason = reason[:100]
                row.save(update_fields=[field])
                changed += 1
    return changed


def licence_deferral_set(licence_id: int, item: str, until: datetime.date | None, *, by=None, reason: str = ""):
    """Record (or, with until=None, clear) a deferral of renewal, review or medical on a licence
    (docs/rules.md §4.7). The notice sweeps and the renewal window read the field."""
    field = DEFERRAL_FIELDS[item]
    with transaction.atomic():
        licence = DrivingLicence.objects.select_for_update().get(pk=licence_id)
        setattr(licence, field, until)
        licence._history_user = by
        licence._change_reason = reason[:100]
        licence.save(update_fields=[field])
    return licence
