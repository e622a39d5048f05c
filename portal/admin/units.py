"""Clerks' side of unit accounts (docs/rules.md §1.2): open a unit after checking its licence at
the counter (with its first administrator), register its vehicles and drivers, record a new
licence check, and the city's key vehicles overdue for inspection or with unhandled violations.
Every change goes through portal.unit_services."""

from django import forms
from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.shortcuts import get_object_or_404, redirect
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils import timezone
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _

from portal import unit_services, units
from portal.admin_helpers import CityScopedAdmin, clerk_city
from portal.forms import MobileField
from portal.models import Unit, UnitDriver, UnitVehicle, User


class UnitAddForm(forms.ModelForm):
    admin_mobile = MobileField(
        label=_("first administrator's mobile"), help_text=_("The portal account of the unit's administrator.")
    )
    licence_seen = forms.BooleanField(label=_("I have seen the unit's operating licence at the counter"))

    class Meta:
        model = Unit
        fields = ["city", "name", "kind", "licence_number"]

    def clean_admin_mobile(self):
        user = User.objects.filter(mobile=self.cleaned_data["admin_mobile"], is_active=True).first()
        if user is None:
            raise ValidationError(_("No account has this mobile number: the person registers on the portal first."))
        if hasattr(user, "unit_membership"):
            raise ValidationError(_("This person already belongs to a unit."))
        self.admin_user = user
        return self.cleaned_data["admin_mobile"]


class LinkForm(forms.Form):
    plate_or_vin = forms.CharField(label=_("plate or VIN"), max_length=17, required=False)
    file_number = forms.CharField(label=_("driving-licence file number"), max_length=12, required=False)


@admin.register(Unit)
class UnitAdmin(CityScopedAdmin):
    clerk_can = ("view", "add")  # changes are the buttons of the unit's page, through services
    list_display = ["name", "kind", "licence_number", "licence_checked_at", "is_active", "links", "city"]
    list_filter = ["kind", "is_active"]
    search_fields = ["name", "licence_number"]
    actions = ["record_licence_check"]

    def get_form(self, request, obj=None, **kwargs):
        if obj is None:
            kwargs["form"] = UnitAddForm
        return super().get_form(request, obj, **kwargs)

    def get_readonly_fields(self, request, obj=None):
        if obj is None:
            return []
        return ["city", "name", "kind", "licence_number", "licence_checked_at", "licence_checked_by", "is_active"]

    def get_fields(self, request, obj=None):
        if obj is None:
            return ["city", "name", "kind", "licence_number", "admin_mobile", "licence_seen"]
        return self.get_readonly_fields(request, obj)

    def has_delete_permission(self, request, obj=None):
        return False

    def save_model(self, request, obj, form, change):
        if change:
            return
        try:
            unit = unit_services.unit_open(
                clerk=request.user,
                city=form.cleaned_data["city"],
                name=form.cleaned_data["name"],
                kind=form.cleaned_data["kind"],
                licence_number=form.cleaned_data["licence_number"],
                admin_user=form.admin_user,
            )
        except unit_services.UnitError as exc:
            raise PermissionDenied(exc.message) from None
        obj.pk = unit.pk

    def save_related(self, request, form, formsets, change):
        pass

    @admin.action(description=_("Record that the licence was checked at the counter today"))
    def record_licence_check(self, request, queryset):
        for unit in queryset:
            unit_services.unit_licence_checked(unit, clerk=request.user)
        self.message_user(request, _("Licence check recorded."), messages.SUCCESS)

    @admin.display(description=_("vehicles and drivers"))
    def links(self, obj):
        return format_html('<a href="{}">{}</a>', reverse("admin:portal_unit_links", args=[obj.pk]), _("manage"))

    def get_urls(self):
        view = self.admin_site.admin_view
        return [
            path("<int:pk>/links/", view(self.links_view), name="portal_unit_links"),
            path("key-vehicles/", view(self.key_vehicles_view), name="portal_unit_key_vehicles"),
            *super().get_urls(),
        ]

    def _city(self, request):
        city = clerk_city(request.user) or getattr(request, "city", None)
        if city is None or not self.has_view_permission(request):
            raise PermissionDenied
        return city

    def links_view(self, request, pk):
        city = self._city(request)
        unit = get_object_or_404(Unit, pk=pk, city=city)
        form = LinkForm(request.POST or None)
        if request.method == "POST":
            action = request.POST.get("action", "")
            try:
                if action == "add" and form.is_valid():
                    if form.cleaned_data["plate_or_vin"]:
                        unit_services.unit_vehicle_add(
                            unit, clerk=request.user, plate_or_vin=form.cleaned_data["plate_or_vin"]
                        )
                    if form.cleaned_data["file_number"]:
                        unit_services.unit_driver_add(
                            unit, clerk=request.user, file_number=form.cleaned_data["file_number"]
                        )
                elif action in ("remove_vehicle", "remove_driver"):
                    model = UnitVehicle if action == "remove_vehicle" else UnitDriver
                    try:
                        link_id = int(request.POST.get("link", ""))
                    except ValueError:
                        link_id = 0
                    unit_services.unit_link_remove(unit, clerk=request.user, model=model, pk=link_id)
            except unit_services.UnitError as exc:
                self.message_user(request, exc.message, messages.ERROR)
            else:
                return redirect("admin:portal_unit_links", unit.pk)
        context = {
            **self.admin_site.each_context(request),
            "opts": self.model._meta,
            "title": unit.name,
            "unit": unit,
            "form": form,
            "vehicle_links": unit.vehicles.select_related("vehicle"),
            "driver_links": unit.drivers.select_related("licence"),
            "members": unit.members.select_related("user"),
        }
        return TemplateResponse(request, "admin/portal/unit_links.html", context)

    def key_vehicles_view(self, request):
        city = self._city(request)
        rows = units.key_vehicles(city, timezone.localdate())
        context = {
            **self.admin_site.each_context(request),
            "opts": self.model._meta,
            "title": _("Key vehicles overdue for inspection or with unhandled violations"),
            "rows": rows,
        }
        return TemplateResponse(request, "admin/portal/unit_key_vehicles.html", context)
