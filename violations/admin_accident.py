"""The clerk's side of accident quick settlement (docs/rules.md §5.7): the city's cases, those
waiting for a decision first and longest-waiting first, and the simple-procedure determination
made on the case's page. Every state change goes through violations.services.accidents."""

from django.contrib import admin, messages
from django.db.models import Case, F, Value, When
from django.shortcuts import get_object_or_404, redirect
from django.urls import reverse
from django.utils import timezone
from django.utils.html import format_html_join
from django.utils.safestring import mark_safe
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from portal import identity
from portal.admin_helpers import CityScopedAdmin
from violations.forms_accident import DecideForm
from violations.models_accident import AccidentCase, InsurerNotice
from violations.services import ViolationError
from violations.services import accidents as services


class AwaitingFilter(admin.SimpleListFilter):
    title = gettext_lazy("queue")
    parameter_name = "queue"

    def lookups(self, request, model_admin):
        return [("awaiting", _("waiting for a decision"))]

    def queryset(self, request, queryset):
        if self.value() == "awaiting":
            return queryset.filter(status=AccidentCase.Status.AWAITING_CLERK)
        return queryset


@admin.register(AccidentCase)
class AccidentCaseAdmin(CityScopedAdmin):
    clerk_can = ("view", "change")
    list_display = ["__str__", "plates", "occurred_at", "status", "clerk_requested_at", "waited", "decide_by"]
    list_filter = [AwaitingFilter, "status"]
    exclude = ["join_code"]
    readonly_fields = [
        "status",
        "occurred_at",
        "place",
        "weather",
        "no_injury",
        "vehicles_drivable",
        "created_at",
        "joined_at",
        "parties_table",
        "photo_links",
        "situation",
        "fault_role",
        "proposed_by",
        "clerk_requested_at",
        "clerk_requested_by",
        "decide_by",
        "decided_at",
        "decided_by",
        "decision_note",
        "a_responsibility",
        "b_responsibility",
        "document_number",
        "insurers",
    ]
    fields = readonly_fields
    change_form_template = "violations/admin/accident_change_form.html"

    def get_queryset(self, request):
        return super().get_queryset(request).prefetch_related("parties")

    def get_ordering(self, request):
        # Cases waiting for a decision first, the longest-waiting at the top; then the newest.
        waiting_first = Case(When(status=AccidentCase.Status.AWAITING_CLERK, then=Value(0)), default=Value(1))
        return [waiting_first.asc(), F("clerk_requested_at").asc(nulls_last=True), "-created_at"]

    @admin.display(description=gettext_lazy("vehicles"))
    def plates(self, obj):
        return " / ".join(p.plate_number for p in obj.parties.all())

    @admin.display(description=gettext_lazy("time waited"))
    def waited(self, obj):
        if obj.status != AccidentCase.Status.AWAITING_CLERK or obj.clerk_requested_at is None:
            return ""
        minutes = int((timezone.now() - obj.clerk_requested_at).total_seconds() // 60)
        return _("%(h)d h %(m)02d min") % {"h": minutes // 60, "m": minutes % 60}

    @admin.display(description=gettext_lazy("parties"))
    def parties_table(self, obj):
        return format_html_join(
            mark_safe("<br>"),  # noqa: S308 - a constant separator
            "{}: {} ({}, {}) {} · {} {} · {}",
            (
                (
                    p.get_role_display(),
                    p.name or "-",
                    identity.mask_id_number(p.id_number),
                    identity.mask_mobile(p.mobile),
                    p.plate_number,
                    p.insurer,
                    p.policy_number,
                    p.damage,
                )
                for p in obj.parties.all()
            ),
        )

    @admin.display(description=gettext_lazy("photos"))
    def photo_links(self, obj):
        return format_html_join(
            " ",
            '<a href="{}" target="_blank">{}</a>',
            ((reverse("violations:accident_photo", args=[p.token]), p.get_kind_display()) for p in obj.photos.all()),
        )

    @admin.display(description=gettext_lazy("insurer reports"))
    def insurers(self, obj):
        return format_html_join(
            mark_safe("<br>"),  # noqa: S308 - a constant separator
            "{} {}: {} {}",
            ((n.role, n.insurer, n.get_state_display(), n.claim_number) for n in obj.insurer_notices.all()),
        )

    def change_view(self, request, object_id, form_url="", extra_context=None):
        case = get_object_or_404(self.get_queryset(request), pk=object_id)
        form = DecideForm(request.POST if "decide" in request.POST else None)
        if request.method == "POST" and "decide" in request.POST:
            if not self.has_view_permission(request, case):
                return redirect("admin:index")
            if form.is_valid():
                try:
                    services.accident_decide(case, clerk=request.user, **form.cleaned_data)
                except ViolationError as exc:
                    self.message_user(request, exc.message, messages.ERROR)
                else:
                    self.message_user(request, _("Determination issued; both parties and insurers are told."))
                    return redirect(reverse("admin:violations_accidentcase_changelist") + "?queue=awaiting")
            else:
                errors = "; ".join(f"{form.fields[f].label}: {' '.join(e)}" for f, e in form.errors.items())
                self.message_user(request, _("Check the decision: %(errors)s") % {"errors": errors}, messages.ERROR)
            # The admin's own change view refuses a POST on a view-only model: show the page again.
            return redirect(request.path)
        extra_context = {**(extra_context or {}), "decide_form": form}
        return admin.ModelAdmin.change_view(self, request, object_id, form_url, extra_context)

    def has_add_permission(self, request, *args):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(InsurerNotice)
class InsurerNoticeAdmin(CityScopedAdmin):
    city_field = "case__city"
    clerk_can = ("view",)
    list_display = ["reference", "insurer", "state", "claim_number", "attempts", "sent_at"]
    list_filter = ["state"]

    def has_add_permission(self, request, *args):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False
