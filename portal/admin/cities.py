from django import forms
from django.contrib import admin
from django.utils.translation import gettext_lazy as _

from portal import citysettings
from portal.admin_helpers import CityScopedAdmin
from portal.models import City, CitySetting, MedicalInstitution, Office


@admin.register(City)
class CityAdmin(admin.ModelAdmin):
    list_display = ["name", "code", "division_code", "plate_prefixes", "is_active"]
    search_fields = ["name", "code", "division_code"]


@admin.register(Office)
class OfficeAdmin(CityScopedAdmin):
    list_display = ["name", "city", "phone"]
    list_filter = ["city"]
    clerk_can = ("view",)


@admin.register(MedicalInstitution)
class MedicalInstitutionAdmin(CityScopedAdmin):
    list_display = ["name", "city", "licence_number", "may_certify_c5", "is_active"]
    list_filter = ["city", "is_active"]
    search_fields = ["name", "licence_number"]
    clerk_can = ("view",)


class CitySettingForm(forms.ModelForm):
    key = forms.ChoiceField(label=_("setting"))
    value = forms.CharField(label=_("value"), help_text=_("A number, a decimal amount, or true/false"))

    class Meta:
        model = CitySetting
        fields = ["city", "key", "value"]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["key"].choices = [
            (key, f"{key}: {spec.help} (default {spec.default})") for key, spec in sorted(citysettings.registry().items())
        ]

    def clean(self):
        cleaned = super().clean()
        key, value = cleaned.get("key"), cleaned.get("value")
        if key and value is not None:
            typed = citysettings.coerce(key, value)
            # JSON cannot hold Decimal; store its exact text.
            cleaned["value"] = str(typed) if not isinstance(typed, (bool, int)) else typed
        return cleaned


@admin.register(CitySetting)
class CitySettingAdmin(admin.ModelAdmin):
    form = CitySettingForm
    list_display = ["city", "key", "value", "updated_at"]
    list_filter = ["city", "key"]
