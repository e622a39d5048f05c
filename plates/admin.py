"""Clerk tools for preselection (own city only): blocks, withheld numbers, holds, bans, the
review queue and the office-hall draw. Every state change goes through plates.services."""

import re

from django import forms
from django.contrib import admin, messages
from django.shortcuts import redirect, render
from django.urls import path, reverse
from django.utils import timezone
from django.utils.html import format_html
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from plates import services
from plates.models import Ban, BannedPattern, Hold, NumberBlock, PlateNumber, Selection
from portal import citysettings
from portal.admin_helpers import CityScopedAdmin, clerk_city, database_accepts
from portal.models import Vehicle


def _city(request):
    return clerk_city(request.user) or getattr(request, "city", None)


class NumberBlockForm(forms.ModelForm):
    """Shows the block's size before it is saved: the first save stops with the size, the
    second (unchanged) one saves."""

    confirmed_size = forms.IntegerField(required=False, widget=forms.HiddenInput)

    class Meta:
        model = NumberBlock
        fields = ["city", "plate_type", "prefix", "serial_from", "serial_to", "opens_at"]

    def clean(self):
        data = super().clean()
        city, prefix = data.get("city"), (data.get("prefix") or "").strip().upper()
        if city is not None and prefix and prefix not in city.prefix_list:
            self.add_error(
                "prefix", _("Numbers of this city start with %(prefixes)s.") % {"prefixes": " ".join(city.prefix_list)}
            )
        data["prefix"] = prefix
        opens_at = data.get("opens_at")
        if city is not None and opens_at is not None and self.instance.status == NumberBlock.Status.DRAFT:
            # A block is announced before it opens (docs/rules.md §2); the announcement cannot be
            # earlier than now, so neither can the opening be earlier than now + the period.
            earliest = services.earliest_opening(city, timezone.now())
            if opens_at < earliest:
                self.add_error(
                    "opens_at",
                    _("A block opens %(days)d days after its announcement at the earliest: not before %(earliest)s.")
                    % {
                        "days": citysettings.get(city, "plate_block_announce_days"),
                        "earliest": timezone.localtime(earliest).strftime("%Y-%m-%d %H:%M"),
                    },
                )
        if not (data.get("plate_type") and data.get("serial_from") and data.get("serial_to")):
            return data
        try:
            size = services.block_size(data["plate_type"], data["serial_from"], data["serial_to"])
        except ValueError as exc:
            raise forms.ValidationError(str(exc)) from None
        if size == 0:
            raise forms.ValidationError(_("This range holds no valid number."))
        data["serial_from"], data["serial_to"] = data["serial_from"].strip().upper(), data["serial_to"].strip().upper()
        if data.get("confirmed_size") != size:
            self.data = self.data.copy()
            self.data["confirmed_size"] = size
            raise forms.ValidationError(
                _("This block holds %(size)s numbers. Check the size and save again to create it.")
                % {"size": f"{size:,}"}
            )
        self.instance.size = size
        return data


@admin.register(NumberBlock)
class NumberBlockAdmin(CityScopedAdmin):
    form = NumberBlockForm
    list_display = ["__str__", "city", "plate_type", "status", "size", "opens_at", "announced_at"]
    list_filter = ["status", "plate_type"]
    readonly_fields = ["size", "status", "announced_at", "opened_at"]
    actions = ["announce"]

    def get_readonly_fields(self, request, obj=None):
        if obj is not None and obj.status != NumberBlock.Status.DRAFT:
            return ["city", "plate_type", "prefix", "serial_from", "serial_to", "opens_at", *self.readonly_fields]
        return self.readonly_fields

    @admin.action(description=gettext_lazy("Announce (opens after the announcement period, or at its opening time)"))
    def announce(self, request, queryset):
        done = 0
        for block in queryset.filter(status=NumberBlock.Status.DRAFT):
            try:
                done += services.block_announce(block)
            except services.PlateError as exc:
                self.message_user(request, str(exc), messages.ERROR)
        self.message_user(request, _("%(n)d blocks announced.") % {"n": done})


class BannedPatternForm(forms.ModelForm):
    class Meta:
        model = BannedPattern
        fields = ["city", "pattern", "reason", "is_active"]

    def clean_pattern(self):
        pattern = self.cleaned_data["pattern"].strip().upper().replace("\\D", "\\d")
        try:
            re.compile(pattern)
        except re.error:
            raise forms.ValidationError(_("This is not a valid pattern.")) from None
        # Python and PostgreSQL regular expressions differ (a named group passes one, not the other).
        if not database_accepts("SELECT '' ~ %s", [pattern]):
            raise forms.ValidationError(_("This is not a valid pattern.")) from None
        return pattern


@admin.register(BannedPattern)
class BannedPatternAdmin(CityScopedAdmin):
    form = BannedPatternForm
    list_display = ["pattern", "reason", "city", "is_active"]

    def save_model(self, request, obj, form, change):
        super().save_model(request, obj, form, change)
        withheld = services.pattern_apply(obj)
        self.message_user(request, _("%(n)d available numbers withheld.") % {"n": withheld})


@admin.register(PlateNumber)
class PlateNumberAdmin(CityScopedAdmin):
    clerk_can = ("view", "change")
    list_display = ["number", "plate_type", "status", "block", "claim_expires_at", "taken_at"]
    list_filter = ["status", "plate_type"]
    search_fields = ["=number"]
    show_full_result_count = False
    list_select_related = ["block"]
    actions = ["withhold", "release"]
    # No per-number audit table (millions of rows); Django's admin log records clerk actions.
    object_history_template = "admin/object_history.html"

    def history_view(self, request, object_id, extra_context=None):
        return admin.ModelAdmin.history_view(self, request, object_id, extra_context)

    def get_readonly_fields(self, request, obj=None):
        return [f.name for f in PlateNumber._meta.fields]

    def has_add_permission(self, request, *args):
        return False

    @admin.action(description=gettext_lazy("Withhold from online selection"))
    def withhold(self, request, queryset):
        self.message_user(request, _("%(n)d numbers withheld.") % {"n": services.numbers_withhold(queryset)})

    @admin.action(description=gettext_lazy("Release withheld numbers to the pool"))
    def release(self, request, queryset):
        self.message_user(request, _("%(n)d numbers released.") % {"n": services.numbers_release(queryset)})


class ReviewFilter(admin.SimpleListFilter):
    title = gettext_lazy("review")
    parameter_name = "review"

    def lookups(self, request, model_admin):
        return [("waiting", _("awaiting approval")), ("invoice", _("invoice uploaded, awaiting approval"))]

    def queryset(self, request, queryset):
        if self.value() == "waiting":
            return queryset.filter(flagged=True, approved_at__isnull=True, status=Hold.Status.HELD)
        if self.value() == "invoice":
            # The office's queue, the review due soonest first.
            return queryset.filter(
                flagged=True, approved_at__isnull=True, invoice_uploaded_at__isnull=False, status=Hold.Status.HELD
            ).order_by("review_due_at", "id")
        return queryset


class HallForm(forms.Form):
    vin = forms.CharField(label=gettext_lazy("VIN"), max_length=17)


@admin.register(Hold)
class HoldAdmin(CityScopedAdmin):
    clerk_can = ("view", "change")
    list_display = [
        "number",
        "vehicle",
        "masked_holder_id",
        "status",
        "source",
        "selected_on",
        "expires_at",
        "flagged",
        "invoice_uploaded_at",
        "review_due",
        "approved_at",
    ]
    list_filter = ["status", ReviewFilter, "flagged", "source"]
    search_fields = ["=number__number", "=vehicle__vin"]
    list_select_related = ["number", "vehicle"]
    exclude = ["holder_id_number"]
    actions = ["register", "approve", "refuse_invoice", "lapse", "release"]
    change_list_template = "plates/admin/hold_changelist.html"

    def get_readonly_fields(self, request, obj=None):
        return [f.name for f in Hold._meta.fields if f.name != "holder_id_number"] + ["masked_holder_id"]

    @admin.display(description=gettext_lazy("review due by"), ordering="review_due_at")
    def review_due(self, hold):
        """The office's own time limit for a flagged hold's invoice (the queue shows it)."""
        if not hold.under_review or hold.review_due_at is None:
            return "–"
        due = timezone.localtime(hold.review_due_at).strftime("%Y-%m-%d")
        if hold.review_overdue:
            return format_html('<strong class="text-danger">{} ({})</strong>', due, _("overdue"))
        return due

    def has_add_permission(self, request, *args):
        return False

    def _each(self, request, queryset, fn, done_message):
        done = 0
        for hold in queryset:
            try:
                done += fn(hold) is not False
            except services.PlateError as exc:
                self.message_user(request, f"{hold.number}: {exc}", messages.ERROR)
        self.message_user(request, done_message % {"n": done})

    @admin.action(description=gettext_lazy("Register the number onto the vehicle"))
    def register(self, request, queryset):
        self._each(request, queryset, lambda h: services.hold_register(h, clerk=request.user), _("%(n)d registered."))

    @admin.action(description=gettext_lazy("Approve the purchase invoice (flagged holds)"))
    def approve(self, request, queryset):
        self._each(request, queryset, lambda h: services.hold_approve(h, clerk=request.user), _("%(n)d approved."))

    @admin.action(description=gettext_lazy("Refuse the invoice (the citizen uploads the right one)"))
    def refuse_invoice(self, request, queryset):
        self._each(
            request,
            queryset,
            lambda h: services.hold_refuse_invoice(h, clerk=request.user),
            _("%(n)d invoices refused."),
        )

    @admin.action(description=gettext_lazy("Lapse (number back to the pool, holder banned)"))
    def lapse(self, request, queryset):
        self._each(
            request, queryset, lambda h: services.hold_lapse(h, actor=request.user) is not None, _("%(n)d lapsed.")
        )

    @admin.action(description=gettext_lazy("Release without a ban (office decision)"))
    def release(self, request, queryset):
        self._each(
            request, queryset, lambda h: services.hold_release(h, actor=request.user) is not None, _("%(n)d released.")
        )

    def get_urls(self):
        return [path("hall/", self.admin_site.admin_view(self.hall_view), name="plates_hold_hall"), *super().get_urls()]

    def hall_view(self, request):
        """Office-hall selection ("50选1") for a vehicle that ran out online or chooses at the office."""
        city = _city(request)
        if city is None or not self.has_view_permission(request):
            return redirect("admin:index")
        form = HallForm(request.POST or request.GET or None)
        numbers, vehicle = None, None
        if form.is_valid():
            vehicle = Vehicle.objects.filter(city=city, vin=form.cleaned_data["vin"].strip().upper()).first()
            if vehicle is None:
                form.add_error("vin", _("No vehicle with this VIN in this city."))
            elif request.method == "POST" and request.POST.get("number"):
                number = request.POST["number"]
                if number not in request.session.get("plates_hall_numbers", []):
                    form.add_error(None, _("Pick a number from the drawn batch."))
                else:
                    try:
                        hold = services.hall_select(clerk=request.user, city=city, vehicle=vehicle, number=number)
                    except services.PlateError as exc:
                        form.add_error(None, str(exc))
                    else:
                        request.session.pop("plates_hall_numbers", None)
                        self.message_user(
                            request, _("%(number)s is held for the vehicle.") % {"number": hold.number.number}
                        )
                        return redirect(reverse("admin:plates_hold_change", args=[hold.pk]))
            else:
                try:
                    numbers = services.hall_draw(city, vehicle)
                except services.PlateError as exc:
                    form.add_error(None, str(exc))
                else:
                    request.session["plates_hall_numbers"] = numbers
        context = {
            **self.admin_site.each_context(request),
            "form": form,
            "numbers": numbers,
            "vehicle": vehicle,
            "title": _("Office-hall selection"),
            "opts": self.model._meta,
        }
        return render(request, "plates/admin/hall.html", context)


class BanForm(forms.ModelForm):
    class Meta:
        model = Ban
        fields = ["lift_reason"]


@admin.register(Ban)
class BanAdmin(CityScopedAdmin):
    clerk_can = ("view", "change")
    form = BanForm
    list_display = ["masked_id_number", "starts_at", "ends_at", "reason", "lifted_at", "lifted_by"]
    list_filter = ["lifted_at"]
    readonly_fields = ["masked_id_number", "city", "hold", "starts_at", "ends_at", "reason", "lifted_at", "lifted_by"]

    def has_add_permission(self, request, *args):
        return False

    def save_model(self, request, obj, form, change):
        # Only lifting is editable, and only through the service (which records who and why).
        reason = form.cleaned_data.get("lift_reason", "")
        if reason and obj.lifted_at is None:
            services.ban_lift(Ban.objects.get(pk=obj.pk), clerk=request.user, reason=reason)


@admin.register(Selection)
class SelectionAdmin(CityScopedAdmin):
    clerk_can = ("view",)
    list_display = ["vehicle", "citizen", "status", "batches_drawn", "compose_tries_used", "created_at", "ip"]
    list_filter = ["status"]
    list_select_related = ["vehicle", "citizen"]

    def get_readonly_fields(self, request, obj=None):
        return [f.name for f in Selection._meta.fields]

    def has_add_permission(self, request, *args):
        return False
