"""Binding other drivers to a car (备案非本人机动车, docs/rules.md §5.6).

The driver asks with plate type, plate, the engine number's last 6 characters and the
relationship; the owner approves with an SMS code (checked by the view) or refuses, and may
revoke at any time. Limits are per-city settings and hold under concurrency: the approval
locks the vehicle row and the driver's licence row before counting.
"""

from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

import notices
from portal import audit, citysettings, identity
from portal.models import DrivingLicence, Vehicle
from violations.models import Binding
from violations.services import watch
from violations.services.common import ViolationError


def _limits(vehicle, driver_key):
    reasons = []
    per_vehicle = citysettings.get(vehicle.city, "binding_other_drivers_per_vehicle")
    if Binding.objects.filter(vehicle=vehicle, status=Binding.Status.ACTIVE).count() >= per_vehicle:
        reasons.append(
            _("This vehicle already has %(n)s registered drivers besides its owner, the most allowed.")
            % {"n": per_vehicle}
        )
    per_driver = citysettings.get(vehicle.city, "binding_vehicles_per_driver")
    if Binding.objects.filter(driver_id_number_hash=driver_key, status=Binding.Status.ACTIVE).count() >= per_driver:
        reasons.append(
            _("The driver already has %(n)s non-owned vehicles registered, the most allowed.") % {"n": per_driver}
        )
    return reasons


def binding_request(*, user, plate_type: str, plate_number: str, engine_last6: str, relationship: str) -> Binding:
    key = identity.id_key(user.id_number)
    plate_number = (plate_number or "").strip().upper()
    engine_last6 = (engine_last6 or "").strip().upper()
    vehicle = (
        Vehicle.objects.select_related("city").filter(plate_number=plate_number, plate_type=plate_type).first()
        if plate_number
        else None
    )
    # One answer for "no such car" and "wrong engine number": the form reveals nothing about others' cars.
    if vehicle is None or not vehicle.engine_number or vehicle.engine_number.upper()[-6:] != engine_last6:
        raise ViolationError(_("No vehicle matches this plate type, plate number and engine number."))
    if vehicle.owner_id_number_hash == key:
        raise ViolationError(_("This is your own vehicle: its records are already yours."))
    if relationship not in Binding.Relationship.values:
        raise ViolationError(_("Choose your relationship to the owner."))
    licence = DrivingLicence.objects.held_by(user.id_number).exclude(status=DrivingLicence.Status.CANCELLED).first()
    if licence is None:
        raise ViolationError(_("Only a driver with a licence on file may register a vehicle."))
    reasons = _limits(vehicle, key)
    if reasons:
        raise ViolationError(reasons[0], reasons)
    try:
        with transaction.atomic():
            binding = Binding(
                city=vehicle.city,
                vehicle=vehicle,
                driver_id_number=identity.normalize_id_number(user.id_number),
                driver_name=user.real_name,
                relationship=relationship,
                requested_at=timezone.now(),
            )
            binding._history_user = user
            binding._change_reason = "requested"
            binding.save()
    except IntegrityError:
        raise ViolationError(_("You have already asked to register this vehicle.")) from None
    notices.notify(
        "violations.binding_requested",
        id_number=vehicle.owner_id_number,
        city=vehicle.city,
        context={
            "plate": vehicle.plate_number,
            "driver": user.real_name,
            "relationship": binding.get_relationship_display(),
        },
        dedupe_key=f"violations.binding_requested:{binding.pk}",
    )
    return binding


def _owned_binding(binding, owner):
    if binding.vehicle.owner_id_number_hash != identity.id_key(owner.id_number):
        raise ViolationError(_("Only the vehicle's owner may do this."))


def _lock_for_approval(binding) -> None:
    """Two approvals counting the same vehicle's or driver's bindings wait for each other: the
    vehicle row and the driver's licence row are locked before the count (in that order)."""
    Vehicle.objects.select_for_update().filter(pk=binding.vehicle_id).first()
    DrivingLicence.objects.select_for_update().filter(id_number_hash=binding.driver_id_number_hash).order_by(
        "pk"
    ).first()


def binding_approve(binding, *, owner) -> Binding:
    """The owner's approval (after the SMS code). The binding date is now."""
    _owned_binding(binding, owner)
    now = timezone.now()
    with transaction.atomic():
        _lock_for_approval(binding)
        locked = Binding.objects.select_for_update(of=("self",)).select_related("vehicle__city").get(pk=binding.pk)
        if locked.status != Binding.Status.REQUESTED:
            raise ViolationError(_("This request is no longer waiting for you."))
        reasons = _limits(locked.vehicle, locked.driver_id_number)
        if reasons:
            raise ViolationError(reasons[0], reasons)
        Binding.objects.filter(pk=locked.pk, status=Binding.Status.REQUESTED).update(
            status=Binding.Status.ACTIVE, approved_at=now
        )
        audit.record(locked, "approved by the owner", owner)
        notices.notify(
            "violations.binding_approved",
            id_number=locked.driver_id_number,
            city=locked.city,
            context={"plate": locked.vehicle.plate_number},
            dedupe_key=f"violations.binding_approved:{locked.pk}",
        )
        watch.check_binding_changes(locked.vehicle, locked.driver_id_number, locked.driver_name, now)
    return locked


def binding_refuse(binding, *, owner) -> None:
    _owned_binding(binding, owner)
    with transaction.atomic():
        won = Binding.objects.filter(pk=binding.pk, status=Binding.Status.REQUESTED).update(
            status=Binding.Status.REFUSED, ended_at=timezone.now()
        )
        if not won:
            raise ViolationError(_("This request is no longer waiting for you."))
        audit.record(binding, "refused by the owner", owner)
        notices.notify(
            "violations.binding_refused",
            id_number=binding.driver_id_number,
            city=binding.city,
            context={"plate": binding.vehicle.plate_number},
            dedupe_key=f"violations.binding_refused:{binding.pk}",
        )


def binding_revoke(binding, *, user) -> None:
    """The owner revokes a binding (or the driver withdraws it) at any time."""
    key = identity.id_key(user.id_number)
    if key not in (binding.vehicle.owner_id_number_hash, binding.driver_id_number_hash):
        raise ViolationError(_("Only the owner or the driver may end this binding."))
    now = timezone.now()
    with transaction.atomic():
        won = Binding.objects.filter(pk=binding.pk, status__in=Binding.LIVE).update(
            status=Binding.Status.REVOKED, ended_at=now
        )
        if not won:
            raise ViolationError(_("This binding has already ended."))
        audit.record(binding, "revoked", user)
        other = (
            binding.driver_id_number if key == binding.vehicle.owner_id_number_hash else binding.vehicle.owner_id_number
        )
        notices.notify(
            "violations.binding_revoked",
            id_number=other,
            city=binding.city,
            context={"plate": binding.vehicle.plate_number},
            dedupe_key=f"violations.binding_revoked:{binding.pk}",
        )
        watch.check_binding_changes(binding.vehicle, binding.driver_id_number, binding.driver_name, now)
