from portal.models.accounts import ClerkProfile, IdentityCheck, SmsCode, SmsQuota, SmsReceiptNonce, User
from portal.models.calendar import Holiday
from portal.models.cities import City, CitySetting, MedicalInstitution, Office
from portal.models.payments import Payment, Refund
from portal.models.postal import Shipment, ShipmentEvent
from portal.models.registry import DrivingLicence, Vehicle
from portal.models.units import Unit, UnitDriver, UnitMember, UnitVehicle

__all__ = [
    "City",
    "CitySetting",
    "ClerkProfile",
    "DrivingLicence",
    "Holiday",
    "MedicalInstitution",
    "Office",
    "Payment",
    "Refund",
    "Shipment",
    "ShipmentEvent",
    "IdentityCheck",
    "SmsCode",
    "SmsQuota",
    "SmsReceiptNonce",
    "Unit",
    "UnitDriver",
    "UnitMember",
    "UnitVehicle",
    "User",
    "Vehicle",
]
