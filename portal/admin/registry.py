from django import forms
from django.contrib import admin
from django.utils.translation import gettext_lazy as _

from portal.admin_helpers import CityScopedAdmin
from portal.forms import IdNumberField, MobileField
from portal.models import DrivingLicence, Vehicle


class VehicleAdminForm(forms.ModelForm):
    """The owner's ID number is checked and normalised as on every other form (NFKC, check digit,
    upper-case X): a look-up by id_key() must find the record."""

    owner_id_number = IdNumberField(label=_("owner's ID number"))
    owner_mobile = MobileField(label=_("owner's mobile on file"), required=False)

    class Meta:
        model = Vehicle
        fields = [
            "city",
            "vin",
            "conformity_cert_number",
            "plate_number",
            "plate_type",
            "owner_id_number",
            "owner_name",
            "owner_mobile",
            "kind",
            "is_commercial",
            "is_van",
            "seats",
            "brand",
            "model_name",
            "manufactured_on",
            "registered_on",
            "inspection_valid_until",
            "status",
        ]


class DrivingLicenceAdminForm(forms.ModelForm):
    id_number = IdNumberField(label=_("ID number"))
    mobile = MobileField(label=_("holder's mobile on file"), required=False)

    class Meta:
        model = DrivingLicence
        fields = [
            "city",
            "id_number",
            "file_number",
            "holder_name",
            "mobile",
            "licence_class",
            "first_issued_on",
            "valid_from",
            "valid_until",
            "points",
            "cycle_start",
            "status",
        ]


@admin.register(Vehicle)
class VehicleAdmin(CityScopedAdmin):
    form = VehicleAdminForm
    list_display = [
        "__str__",
        "plate_type",
        "owner_name",
        "owner_id",
        "kind",
        "inspection_valid_until",
        "status",
        "city",
    ]
    list_filter = ["city", "status", "plate_type", "kind"]
    search_fields = ["=plate_number", "=vin"]  # and the owner by keyed hash (portal.admin_idnumbers)
    show_full_result_count = False
    list_select_related = ["city"]

    @admin.display(description=_("owner's ID number"))
    def owner_id(self, obj):
        return obj.masked_owner_id


@admin.register(DrivingLicence)
class DrivingLicenceAdmin(CityScopedAdmin):
    form = DrivingLicenceAdminForm
    list_display = ["holder_name", "holder_id", "licence_class", "valid_until", "points", "status", "city"]
    list_filter = ["city", "status", "licence_class"]
    search_fields = ["=file_number"]  # and the holder by keyed hash (portal.admin_idnumbers)
    show_full_result_count = False
    list_select_related = ["city"]

    @admin.display(description=_("ID number"))
    def holder_id(self, obj):
        return obj.masked_id_number
