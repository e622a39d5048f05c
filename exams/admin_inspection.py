"""Clerks' inspection desk (docs/rules.md §6.4): stations and their slot template, slots
(generated for a date range, capacity adjustable), bookings with the station's result.
City-scoped like every admin (portal.admin_helpers.CityScopedAdmin); every change of a booking
goes through exams.services.inspection."""

from django import forms
from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.shortcuts import get_object_or_404, redirect
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _

from exams.forms_inspection import GenerateSlotsForm, ResultForm, StationForm
from exams.models import InspectionBooking, InspectionSlot, InspectionStation
from exams.services import inspection as services
from portal import identity
from portal.admin_helpers import CityScopedAdmin


def _context(model_admin, request, title, **extra):
    return {**model_admin.admin_site.each_context(request), "opts": model_admin.model._meta, "title": title, **extra}


@admin.register(InspectionStation)
class InspectionStationAdmin(CityScopedAdmin):
    form = StationForm
    list_display = ["name", "address", "hours", "lanes", "slot_minutes", "slot_capacity", "is_active", "slots_link"]
    list_filter = ["city", "is_active"]
    search_fields = ["name", "address"]

    @admin.display(description=_("slots"))
    def slots_link(self, obj):
        return format_html(
            '<a href="{}">{}</a> · <a href="{}">{}</a>',
            reverse("admin:exams_inspectionslot_changelist") + f"?station__id__exact={obj.pk}",
            _("slots"),
            reverse("admin:exams_inspectionstation_generate", args=[obj.pk]),
            _("generate"),
        )

    def get_urls(self):
        view = self.admin_site.admin_view
        return [
            path("<int:station_id>/generate/", view(self.generate_view), name="exams_inspectionstation_generate"),
            *super().get_urls(),
        ]

    def generate_view(self, request, station_id):
        station = get_object_or_404(self.get_queryset(request), pk=station_id)
        if not self.has_change_permission(request, station):
            raise PermissionDenied
        form = GenerateSlotsForm(request.POST or None)
        if request.method == "POST" and form.is_valid():
            data = form.cleaned_data
            try:
                slots = services.slots_generate(
                    station, data["first"], data["last"], working_days_only=data["working_days_only"]
                )
            except services.InspectionError as exc:
                form.add_error(None, exc.message)
            else:
                self.message_user(request, _("%(n)s slots created.") % {"n": len(slots)}, messages.SUCCESS)
                return redirect(reverse("admin:exams_inspectionslot_changelist") + f"?station__id__exact={station.pk}")
        help_text = _(
            "Slots of %(minutes)s minutes from %(hours)s, %(capacity)s vehicles each; existing slots are kept."
        ) % {
            "minutes": station.slot_minutes,
            "hours": station.hours,
            "capacity": station.slot_capacity,
        }
        return TemplateResponse(
            request,
            "exams/admin/form.html",
            _context(
                self, request, _("Generate slots: %(station)s") % {"station": station}, form=form, help_text=help_text
            ),
        )


class SlotForm(forms.ModelForm):
    class Meta:
        model = InspectionSlot
        fields = ["city", "station", "date", "starts_at", "ends_at", "capacity"]

    def clean(self):
        data = super().clean()
        station = data.get("station")
        if station and data.get("city") and station.city_id != data["city"].pk:
            raise ValidationError(_("The station belongs to another city."))
        if data.get("starts_at") and data.get("ends_at") and data["ends_at"] <= data["starts_at"]:
            raise ValidationError(_("The slot must end after it starts."))
        capacity = data.get("capacity")
        if capacity is not None and self.instance.pk and capacity < self.instance.booked:
            self.add_error(
                "capacity",
                _("%(n)s vehicles are already booked: the capacity cannot be lower.") % {"n": self.instance.booked},
            )
        return data


@admin.register(InspectionSlot)
class InspectionSlotAdmin(CityScopedAdmin):
    form = SlotForm
    list_display = ["date", "session", "station", "capacity", "booked", "bookings_link"]
    list_filter = ["station", "date"]
    date_hierarchy = "date"
    list_select_related = ["station"]
    readonly_fields = ["booked"]

    def get_readonly_fields(self, request, obj=None):
        if obj is not None:
            # Only the capacity of an existing slot changes (its bookings keep their time).
            return ["city", "station", "date", "starts_at", "ends_at", "booked"]
        return self.readonly_fields

    @admin.display(description=_("time"))
    def session(self, obj):
        return obj.session

    @admin.display(description=_("bookings"))
    def bookings_link(self, obj):
        url = reverse("admin:exams_inspectionbooking_changelist") + f"?slot__id__exact={obj.pk}"
        return format_html('<a href="{}">{}</a>', url, _("bookings"))


@admin.register(InspectionBooking)
class InspectionBookingAdmin(CityScopedAdmin):
    clerk_can = ("view",)
    list_display = ["number_display", "vehicle", "id_masked", "slot", "status", "mark_issued_at", "result_link"]
    list_filter = ["status", "slot__station", "slot__date"]
    search_fields = ["=vehicle__plate_number"]  # and ID numbers by keyed hash (portal.admin_idnumbers)
    list_select_related = ["vehicle", "slot__station"]
    actions = ["issue_marks", "record_no_shows"]
    fields = [
        "number_display",
        "vehicle",
        "id_masked",
        "slot",
        "status",
        "due_on",
        "moves",
        "created_at",
        "changed_at",
        "result_at",
        "result_by",
        "result_note",
        "valid_until_after",
        "mark_issued_at",
    ]
    readonly_fields = fields

    @admin.display(description=_("booking"))
    def number_display(self, obj):
        return obj.number

    @admin.display(description=_("ID number"))
    def id_masked(self, obj):
        return obj.masked_id_number

    @admin.display(description=_("result"))
    def result_link(self, obj):
        if obj.status != InspectionBooking.Status.BOOKED:
            return "-"
        return format_html(
            '<a href="{}">{}</a>', reverse("admin:exams_inspectionbooking_result", args=[obj.pk]), _("enter result")
        )

    def has_add_permission(self, request, *args):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def get_search_results(self, request, queryset, search_term):
        if len(search_term.strip()) == 18:
            search_term = identity.id_key(search_term)
        return super().get_search_results(request, queryset, search_term)

    @admin.action(description=_("Issue the inspection mark (violations now settled)"))
    def issue_marks(self, request, queryset):
        for booking in queryset:
            try:
                services.booking_issue_mark(booking, actor=request.user)
            except services.InspectionError as exc:
                self.message_user(request, f"{booking.number}: {exc.message}", messages.ERROR)
            else:
                self.message_user(request, _("%(number)s: mark issued.") % {"number": booking.number})

    @admin.action(description=_("Record that the vehicle did not come"))
    def record_no_shows(self, request, queryset):
        for booking in queryset:
            try:
                services.booking_no_show(booking, actor=request.user)
            except services.InspectionError as exc:
                self.message_user(request, f"{booking.number}: {exc.message}", messages.ERROR)

    def get_urls(self):
        view = self.admin_site.admin_view
        return [
            path("<int:booking_id>/result/", view(self.result_view), name="exams_inspectionbooking_result"),
            *super().get_urls(),
        ]

    def result_view(self, request, booking_id):
        """The station's clerk enters pass, fail or no-show for one booking."""
        booking = get_object_or_404(
            self.get_queryset(request).select_related("slot__station", "vehicle"), pk=booking_id
        )
        if not self.has_view_permission(request, booking):
            raise PermissionDenied
        form = ResultForm(request.POST or None)
        if request.method == "POST" and form.is_valid():
            outcome, note = form.cleaned_data["outcome"], form.cleaned_data["note"]
            try:
                if outcome == "no_show":
                    services.booking_no_show(booking, actor=request.user)
                else:
                    services.booking_result(booking, passed=outcome == "pass", actor=request.user, note=note)
            except services.InspectionError as exc:
                form.add_error(None, exc.message)
            else:
                self.message_user(request, _("Result entered for %(number)s.") % {"number": booking.number})
                return redirect("admin:exams_inspectionbooking_changelist")
        help_text = _("%(plate)s, %(when)s at %(station)s.") % {
            "plate": booking.vehicle,
            "when": f"{booking.slot.date} {booking.slot.session}",
            "station": booking.slot.station,
        }
        return TemplateResponse(
            request,
            "exams/admin/form.html",
            _context(
                self,
                request,
                _("Inspection result: %(number)s") % {"number": booking.number},
                form=form,
                help_text=help_text,
            ),
        )
