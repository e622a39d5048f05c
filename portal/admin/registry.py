from django.contrib import admin

from portal.admin_helpers import CityScopedAdmin
from portal.models import DrivingLicence, Vehicle


@admin.register(Vehicle)
class VehicleAdmin(CityScopedAdmin):
    list_display = ["__str__", "plate_type", "owner_name", "masked_owner_id", "kind", "inspection_valid_until", "status"]
    list_filter = ["city", "status", "plate_type", "kind"]
    search_fields = ["=plate_number", "=vin", "=owner_id_number"]
    show_full_result_count = False


@admin.register(DrivingLicence)
class DrivingLicenceAdmin(CityScopedAdmin):
    list_display = ["holder_name", "masked_id_number", "licence_class", "valid_until", "points", "status"]
    list_filter = ["city", "status", "licence_class"]
    search_fields = ["=id_number", "=file_number"]
    show_full_result_count = False
