"""Unit accounts (重点对象管理, docs/rules.md §1.2): every write. A clerk opens a unit after seeing
its operating licence at the counter, with its first administrator, and registers its vehicles
and drivers; the unit's administrators add and remove staff logins. Views and admin call these."""

from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from portal import identity
from portal.admin_helpers import clerk_city
from portal.models import DrivingLicence, Unit, UnitDriver, UnitMember, UnitVehicle, User


class UnitError(Exception):
    def __init__(self, message, field=None):
        super().__init__(str(message))
        self.message, self.field = str(message), field


def _may_act_for(clerk, city) -> None:
    if not (clerk.is_superuser or clerk_city(clerk) == city):
        raise UnitError(_("Only a clerk of the unit's city may do this."))


def unit_open(*, clerk, city, name: str, kind: str, licence_number: str, admin_user: User | None) -> Unit:
    """Open a unit: the clerk records that they checked its licence at the counter; the first
    administrator (an existing account) is added. Steps in one transaction."""
    _may_act_for(clerk, city)
    name = " ".join((name or "").split())
    licence_number = "".join(identity.nfkc(licence_number or "").split()).upper()
    if len(name) < 2 or not licence_number:
        raise UnitError(_("Give the unit's name and its licence number."))
    if kind not in Unit.Kind.values:
        raise UnitError(_("Choose the kind of unit."))
    try:
        with transaction.atomic():
            unit = Unit(
                city=city,
                name=name,
                kind=kind,
                licence_number=licence_number,
                licence_checked_at=timezone.now(),
                licence_checked_by=clerk,
            )
            unit._history_user = clerk
            unit._change_reason = "opened at the counter (licence checked)"
            unit.save()
            if admin_user is not None:
                _add_member(unit, admin_user, is_admin=True, by=clerk)
    except IntegrityError:
        raise UnitError(_("A unit with this licence number, or this staff account, already exists.")) from None
    return unit


def unit_licence_checked(unit: Unit, *, clerk) -> Unit:
    """A clerk saw the unit's licence again (yearly check, a renewed licence)."""
    _may_act_for(clerk, unit.city)
    unit.licence_checked_at, unit.licence_checked_by = timezone.now(), clerk
    unit._history_user = clerk
    unit._change_reason = "licence checked at the counter"
    unit.save(update_fields=["licence_checked_at", "licence_checked_by"])
    return unit


def _add_member(unit: Unit, user: User, *, is_admin: bool, by) -> UnitMember:
    member = UnitMember(unit=unit, user=user, is_admin=is_admin)
    member._history_user = by
    member.save()
    return member


def unit_vehicle_add(unit: Unit, *, clerk, plate_or_vin: str) -> UnitVehicle:
    _may_act_for(clerk, unit.city)
    key = "".join(identity.nfkc(plate_or_vin or "").split()).upper()
    vehicle = unit.city.vehicles.filter(plate_number=key).first() or unit.city.vehicles.filter(vin=key).first()
    if vehicle is None:
        raise UnitError(_("No vehicle of this city has that plate or VIN."), field="plate_or_vin")
    try:
        with transaction.atomic():
            link = UnitVehicle(unit=unit, vehicle=vehicle)
            link._history_user = clerk
            link.save()
    except IntegrityError:
        raise UnitError(_("This vehicle is already registered to a unit."), field="plate_or_vin") from None
    return link


def unit_driver_add(unit: Unit, *, clerk, file_number: str) -> UnitDriver:
    _may_act_for(clerk, unit.city)
    licence = DrivingLicence.objects.filter(file_number="".join((file_number or "").split())).first()
    if licence is None:
        raise UnitError(_("No driving licence has that file number."), field="file_number")
    try:
        with transaction.atomic():
            link = UnitDriver(unit=unit, licence=licence)
            link._history_user = clerk
            link.save()
    except IntegrityError:
        raise UnitError(_("This driver is already registered to the unit."), field="file_number") from None
    return link


def unit_link_remove(unit: Unit, *, clerk, model, pk: int) -> bool:
    """Take a vehicle or driver off the unit (the link only; the registry row stays)."""
    _may_act_for(clerk, unit.city)
    link = model.objects.filter(unit=unit, pk=pk).first()
    if link is None:
        return False
    link._history_user = clerk
    link.delete()
    return True


def _admin_membership(user) -> UnitMember:
    member = UnitMember.objects.filter(user=user, is_admin=True, unit__is_active=True).select_related("unit").first()
    if member is None:
        raise UnitError(_("Only a unit administrator may change the staff."))
    return member


def unit_staff_add(*, by, mobile: str, real_name: str, is_admin: bool = False) -> UnitMember:
    """A unit administrator adds a staff login: an existing, active account whose mobile and
    real name both match (so a typo never hands the unit's data to a stranger)."""
    unit = _admin_membership(by).unit
    try:
        mobile = identity.validate_mobile(mobile)
    except Exception:
        raise UnitError(_("Enter a valid mobile number."), field="mobile") from None
    user = User.objects.filter(mobile=mobile, is_active=True, role=User.Role.CITIZEN).first()
    if user is None or user.real_name != " ".join((real_name or "").split()):
        raise UnitError(
            _("No account has this mobile number and name: the person registers on the portal first."), field="mobile"
        )
    try:
        with transaction.atomic():
            return _add_member(unit, user, is_admin=is_admin, by=by)
    except IntegrityError:
        raise UnitError(_("This person already belongs to a unit."), field="mobile") from None


def unit_staff_remove(*, by, member_id: int) -> bool:
    """Remove a staff login of the administrator's own unit (not oneself: a unit keeps an admin)."""
    unit = _admin_membership(by).unit
    member = UnitMember.objects.filter(unit=unit, pk=member_id).exclude(user=by).first()
    if member is None:
        return False
    member._history_user = by
    member.delete()
    return True
