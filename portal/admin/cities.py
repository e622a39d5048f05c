from django import forms
from django.contrib import admin
from django.utils.translation import gettext_lazy as _

from portal import citysettings
from portal.admin_helpers import CityScopedAdmin, HistoryAdmin
from portal.models import City, CitySetting, MedicalInstitution, Office


@admin.register(City)
class CityAdmin(HistoryAdmin):
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
            (key, f"{key}: {spec.help} (default {spec.default})")
            for key, spec in sorted(citysettings.registry().items())
        ]

    def clean(self):
        cleaned = super().clean()
        key, value = cleaned.get("key"), cleaned.get("value")
        if key and value is not None:
            try:
                typed = citysettings.coerce(key, value)
            except forms.ValidationError as exc:
                self.add_error("value", exc)
                return cleaned
            # JSON cannot hold Decimal; store its exact text.
            cleaned["value"] = str(typed) if not isinstance(typed, (bool, int)) else typed
        return cleaned


@admin.register(CitySetting)
class CitySettingAdmin(HistoryAdmin):
    form = CitySettingForm
    """Per-city values of the [LOCAL] rules: province administrators only (clerks apply them)."""

    list_display = ["city", "key", "value", "updated_at"]
    list_filter = ["city", "key"]

    def _province(self, request):
        user = request.user
        return user.is_active and (user.is_superuser or getattr(user, "role", "") == "province")

    def has_module_permission(self, request):
        return self._province(request) and super().has_module_permission(request)

    def has_view_permission(self, request, obj=None):
        return self._province(request) and super().has_view_permission(request, obj)

    def has_add_permission(self, request):
        return self._province(request) and super().has_add_permission(request)

    def has_change_permission(self, request, obj=None):
        return self._province(request) and super().has_change_permission(request, obj)

    def has_delete_permission(self, request, obj=None):
        return self._province(request) and super().has_delete_permission(request, obj)
