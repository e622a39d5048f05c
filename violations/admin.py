"""Clerk tools (own city only): records and their entry, CSV batches, decisions, bindings, the
watch list, the objection queue; province administrators edit the code catalogue and the study
material. Every state change goes through violations.services."""

import datetime
from urllib.parse import urlencode

from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.http import HttpResponse
from django.shortcuts import get_object_or_404, redirect
from django.template.loader import render_to_string
from django.template.response import TemplateResponse
from django.urls import path
from django.utils import timezone
from django.utils.dateparse import parse_date
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from portal.admin_helpers import CityScopedAdmin, clerk_city
from portal.replica import replica_reads
from violations import selectors, services
from violations.forms_admin import CsvForm, ReasonForm, ViolationEntryForm
from violations.models import (
    Binding,
    Decision,
    Objection,
    StudyMaterial,
    StudyQuestion,
    Violation,
    ViolationCode,
    WatchEntry,
)
from violations.services import objections as objection_services

# Rows per page of the clerk's search: a day of a city holds thousands of records; a clerk
# narrows the search rather than paging through them.
SEARCH_PAGE = 25


def _city(request):
    return clerk_city(request.user) or getattr(request, "city", None)


@admin.register(ViolationCode)
class ViolationCodeAdmin(CityScopedAdmin):
    """Province-wide: clerks read it, province administrators edit it."""

    clerk_can = ("view",)
    list_display = [
        "code",
        "description",
        "fine_min",
        "fine_max",
        "points",
        "suspension",
        "detention",
        "online_allowed",
    ]
    list_filter = ["points", "online_allowed", "is_active"]
    search_fields = ["code", "description"]

    def get_queryset(self, request):
        return admin.ModelAdmin.get_queryset(self, request)

    def has_delete_permission(self, request, obj=None):
        return False  # a code in use is retired (in use: off), never deleted


class DateBoundFilter(admin.SimpleListFilter):
    """occurred_from / occurred_to (YYYY-MM-DD): the clerk's date-range search."""

    template = "violations/admin/date_filter.html"
    bound = ""

    def lookups(self, request, model_admin):
        return [("", "")]

    def queryset(self, request, queryset):
        day = _safe_date(self.value())
        if day is None:
            return queryset
        start = timezone.make_aware(datetime.datetime.combine(day, datetime.time.min))
        if self.bound == "from":
            return queryset.filter(occurred_at__gte=start)
        return queryset.filter(occurred_at__lt=start + datetime.timedelta(days=1))

    def choices(self, changelist):
        yield {"selected": False, "query_string": "", "display": self.value() or "", "name": self.parameter_name}


class FromFilter(DateBoundFilter):
    title = gettext_lazy("from (YYYY-MM-DD)")
    parameter_name = "occurred_from"
    bound = "from"


class ToFilter(DateBoundFilter):
    title = gettext_lazy("to (YYYY-MM-DD)")
    parameter_name = "occurred_to"
    bound = "to"


def _safe_date(value):
    try:
        return parse_date(value or "")
    except ValueError:
        return None


@admin.register(Violation)
class ViolationAdmin(CityScopedAdmin):
    clerk_can = ("view", "add")
    form = ViolationEntryForm
    list_display = ["plate_number", "occurred_at", "code", "place", "fine", "points", "source", "status"]
    list_filter = ["status", "source", FromFilter, ToFilter]
    search_fields = ["=plate_number"]
    list_select_related = ["code"]
    show_full_result_count = False
    # Rendering the rows, not the indexed query, is most of the page's time (bench/violations).
    list_per_page = 50
    raw_id_fields = ["vehicle", "code"]
    actions = ["delete_with_reason", "decide_at_counter"]
    change_list_template = "violations/admin/change_list.html"

    def changelist_view(self, request, extra_context=None):
        # The clerk's search reads from the replica (docs/operations.md "Reads from the replica").
        return replica_reads(super().changelist_view)(request, extra_context=extra_context)

    def lookup_allowed(self, lookup, value, request=None):
        return lookup in ("occurred_from", "occurred_to") or super().lookup_allowed(lookup, value, request)

    def get_search_results(self, request, queryset, search_term):
        # A plate search is an index range scan on (city, plate_number, occurred_at).
        term = (search_term or "").strip().upper()
        if not term:
            return queryset, False
        return queryset.filter(plate_number=term), False

    def get_form(self, request, obj=None, change=False, **kwargs):
        if obj is None:
            city = _city(request)

            class Bound(ViolationEntryForm):
                def __init__(inner, *args, **kw):
                    super().__init__(*args, city=city, **kw)

            return Bound
        return super().get_form(request, obj, change, **kwargs)

    def get_fields(self, request, obj=None):
        if obj is None:
            return ["plate", "code", "occurred_at", "place", "fine", "source"]
        return [f.name for f in Violation._meta.fields if f.name != "id"]

    def get_readonly_fields(self, request, obj=None):
        return [] if obj is None else self.get_fields(request, obj)

    def has_change_permission(self, request, obj=None):
        return False if obj is not None else super().has_change_permission(request, obj)

    def has_delete_permission(self, request, obj=None):
        return False  # records are deleted with a reason (action), never removed

    def save_model(self, request, obj, form, change):
        data = form.cleaned_data
        try:
            created = services.violation_record(
                vehicle=form.vehicle,
                code=data["code"],
                occurred_at=data["occurred_at"],
                place=data["place"],
                fine=data.get("fine"),
                source=data["source"],
                by=request.user,
            )
        except services.ViolationError as exc:
            raise PermissionDenied(exc.message) from None
        obj.pk = created.pk

    def get_urls(self):
        view = self.admin_site.admin_view
        return [
            path("search/", view(self.search_view), name="violations_violation_search"),
            path("import/", view(self.import_view), name="violations_violation_import"),
            path(
                "<int:pk>/delete-with-reason/", view(self.delete_view_reason), name="violations_violation_delete_reason"
            ),
            *super().get_urls(),
        ]

    def _context(self, request, title, **extra):
        return {**self.admin_site.each_context(request), "opts": self.model._meta, "title": title, **extra}

    def search_view(self, request):
        """The clerk's search by plate and by date range over the city's records (tens of millions
        of rows): one index range scan on (city, plate_number, occurred_at) or (city, occurred_at),
        no count (a "next" link when one more row exists), and a page of its own without the admin
        frame, whose app list and permission queries cost more than the search (bench/violations)."""
        city = _city(request)
        if city is None or not self.has_view_permission(request):
            raise PermissionDenied
        plate = (request.GET.get("q") or "").strip().upper()[:10]
        day_from = _safe_date(request.GET.get("occurred_from"))
        day_to = _safe_date(request.GET.get("occurred_to"))
        try:
            page = max(0, min(int(request.GET.get("page", "0")), 1000))
        except ValueError:
            page = 0
        searched = bool(plate or day_from or day_to)
        rows = (
            selectors.clerk_search(
                city, plate=plate, day_from=day_from, day_to=day_to, limit=SEARCH_PAGE + 1, offset=page * SEARCH_PAGE
            )
            if searched
            else []
        )
        query = {"q": plate, "occurred_from": day_from or "", "occurred_to": day_to or ""}
        context = {
            "site_title": self.admin_site.site_title,
            "site_header": self.admin_site.site_header,
            "opts": self.model._meta,
            "title": _("Search violation records"),
            "user": request.user,
            "rows": rows[:SEARCH_PAGE],
            "searched": searched,
            "query": query,
            "page": page,
            "has_next": len(rows) > SEARCH_PAGE,
            "previous": urlencode({**query, "page": page - 1}) if page else "",
            "next": urlencode({**query, "page": page + 1}),
        }
        # Rendered without the context processors: the page shows none of what they add.
        return HttpResponse(render_to_string("violations/admin/search.html", context, request=None))

    def import_view(self, request):
        if not self.has_add_permission(request):
            raise PermissionDenied
        city = _city(request)
        form = CsvForm(request.POST or None, request.FILES or None)
        result = None
        if request.method == "POST" and form.is_valid():
            if city is None:
                form.add_error(None, _("Open the administration on a city site to import its records."))
            else:
                result = services.violations_import_csv(form.cleaned_data["file"].read(), city=city, by=request.user)
                self.message_user(
                    request,
                    _("%(ok)s records imported, %(bad)s rows refused.")
                    % {"ok": len(result.created), "bad": len(result.errors)},
                    messages.SUCCESS if not result.errors else messages.WARNING,
                )
        help_text = _(
            "Columns: %(columns)s. Time as YYYY-MM-DD HH:MM (local); fine empty for the code's highest fine; "
            "source camera or onsite. Good rows are kept, bad rows are listed with their line."
        ) % {"columns": ",".join(services.records.CSV_COLUMNS)}
        return TemplateResponse(
            request,
            "violations/admin/import.html",
            self._context(request, _("Import records from CSV"), form=form, help_text=help_text, result=result),
        )

    def delete_view_reason(self, request, pk):
        violation = get_object_or_404(self.get_queryset(request), pk=pk)
        form = ReasonForm(request.POST or None)
        if request.method == "POST" and form.is_valid():
            try:
                services.violation_delete(violation, reason=form.cleaned_data["reason"], by=request.user)
            except services.ViolationError as exc:
                form.add_error(None, exc.message)
            else:
                self.message_user(request, _("Record deleted."), messages.SUCCESS)
                return redirect("admin:violations_violation_changelist")
        return TemplateResponse(
            request,
            "violations/admin/form.html",
            self._context(request, _("Delete %(record)s") % {"record": violation}, form=form),
        )

    @admin.action(description=gettext_lazy("Delete with a reason"))
    def delete_with_reason(self, request, queryset):
        first = queryset.first()
        if first is not None:
            return redirect("admin:violations_violation_delete_reason", pk=first.pk)
        return None

    @admin.action(description=gettext_lazy("Decide at the counter for the vehicle's owner"))
    def decide_at_counter(self, request, queryset):
        from portal.models import User

        done = 0
        for violation in queryset.select_related("vehicle"):
            owner = User.objects.filter(id_number_hash=violation.vehicle.owner_id_number_hash).first()
            if owner is None:
                owner = User(id_number=violation.vehicle.owner_id_number, real_name=violation.vehicle.owner_name)
            try:
                services.violation_handle([violation.pk], user=owner, online=False, by=request.user)
                done += 1
            except services.ViolationError as exc:
                self.message_user(request, f"{violation}: {exc.message}", messages.ERROR)
        if done:
            self.message_user(request, _("%(n)s decisions issued.") % {"n": done}, messages.SUCCESS)


class ReadOnlyCityAdmin(CityScopedAdmin):
    clerk_can = ("view",)

    def has_add_permission(self, request, *args):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(Decision)
class DecisionAdmin(ReadOnlyCityAdmin):
    list_display = ["number", "violation", "handler_name", "fine", "points", "due_on", "status", "paid_amount"]
    list_filter = ["status"]
    search_fields = ["=number"]
    raw_id_fields = ["violation", "licence"]


@admin.register(Binding)
class BindingAdmin(ReadOnlyCityAdmin):
    list_display = ["vehicle", "driver_name", "masked_driver_id", "relationship", "status", "approved_at", "ended_at"]
    list_filter = ["status"]
    exclude = ["driver_id_number"]
    raw_id_fields = ["vehicle"]


@admin.register(WatchEntry)
class WatchEntryAdmin(ReadOnlyCityAdmin):
    """Clerks see who is listed and why, and clear an entry with a recorded reason."""

    clerk_can = ("view", "change")
    list_display = ["__str__", "name", "reason", "detail", "listed_at", "cleared_at", "cleared_reason", "clear_link"]
    list_filter = ["reason", ("cleared_at", admin.EmptyFieldListFilter)]
    exclude = ["id_number"]
    raw_id_fields = ["vehicle"]

    def get_urls(self):
        view = self.admin_site.admin_view
        return [path("<int:pk>/clear/", view(self.clear_view), name="violations_watchentry_clear"), *super().get_urls()]

    def clear_view(self, request, pk):
        entry = get_object_or_404(self.get_queryset(request), pk=pk)
        if not self._clerk_may(request, "change", entry) and not request.user.is_superuser:
            raise PermissionDenied
        form = ReasonForm(request.POST or None)
        if request.method == "POST" and form.is_valid():
            services.watch_clear(entry, reason=form.cleaned_data["reason"], by=request.user)
            self.message_user(request, _("Entry cleared."), messages.SUCCESS)
            return redirect("admin:violations_watchentry_changelist")
        context = {**self.admin_site.each_context(request), "opts": self.model._meta, "form": form}
        context["title"] = _("Clear %(entry)s (%(detail)s)") % {"entry": entry, "detail": entry.detail}
        return TemplateResponse(request, "violations/admin/form.html", context)

    @admin.display(description=gettext_lazy("clear"))
    def clear_link(self, obj):
        from django.urls import reverse
        from django.utils.html import format_html

        if obj.cleared_at is not None:
            return ""
        return format_html(
            '<a href="{}">{}</a>', reverse("admin:violations_watchentry_clear", args=[obj.pk]), _("clear")
        )


class OverdueFilter(admin.SimpleListFilter):
    title = gettext_lazy("deadline")
    parameter_name = "overdue"

    def lookups(self, request, model_admin):
        return [("yes", _("overdue")), ("no", _("within the deadline"))]

    def queryset(self, request, queryset):
        today = timezone.localdate()
        if self.value() == "yes":
            return queryset.filter(status=Objection.Status.PENDING, due_on__lt=today)
        if self.value() == "no":
            return queryset.filter(status=Objection.Status.PENDING, due_on__gte=today)
        return queryset


@admin.register(Objection)
class ObjectionAdmin(ReadOnlyCityAdmin):
    """The queue: pending objections by deadline (5 working days), overdue ones marked."""

    clerk_can = ("view", "change")
    list_display = ["violation", "filer_name", "filed_at", "due_on", "is_overdue", "status"]
    list_filter = ["status", OverdueFilter]
    exclude = ["filer_id_number"]
    readonly_fields = [
        "violation",
        "filer_name",
        "reason",
        "filed_at",
        "due_on",
        "status",
        "decided_at",
        "decided_by",
        "decision_note",
        "photos",
    ]
    change_form_template = "violations/admin/objection_change_form.html"

    @admin.display(boolean=True, description=gettext_lazy("overdue"))
    def is_overdue(self, obj):
        return obj.status == Objection.Status.PENDING and obj.due_on < timezone.localdate()

    @admin.display(description=gettext_lazy("photos"))
    def photos(self, obj):
        from django.urls import reverse
        from django.utils.html import format_html_join

        return format_html_join(
            " ",
            '<a href="{}" target="_blank">{}</a>',
            ((reverse("violations:objection_photo", args=[p.token]), _("photo")) for p in obj.photos.all()),
        )

    def change_view(self, request, object_id, form_url="", extra_context=None):
        objection = get_object_or_404(self.get_queryset(request), pk=object_id)
        if request.method == "POST" and "decide" in request.POST:
            try:
                objection_services.objection_decide(
                    objection,
                    upheld=request.POST.get("decide") == "uphold",
                    note=request.POST.get("note", ""),
                    by=request.user,
                )
            except services.ViolationError as exc:
                self.message_user(request, exc.message, messages.ERROR)
            else:
                self.message_user(request, _("Decision recorded."), messages.SUCCESS)
                return redirect("admin:violations_objection_changelist")
        return admin.ModelAdmin.change_view(self, request, object_id, form_url, extra_context)

    def has_change_permission(self, request, obj=None):
        return False


class ClerkEditableAdmin(CityScopedAdmin):
    """Province-wide rows that clerks of every city may edit (the study material)."""

    clerk_can = ("view", "add", "change")

    def get_queryset(self, request):
        return admin.ModelAdmin.get_queryset(self, request)


@admin.register(StudyMaterial)
class StudyMaterialAdmin(ClerkEditableAdmin):
    list_display = ["title", "order", "is_active"]


@admin.register(StudyQuestion)
class StudyQuestionAdmin(ClerkEditableAdmin):
    list_display = ["text", "answer", "is_active"]


# Accident quick settlement's clerk pages live in their own module (docs/architecture.md).
from violations import admin_accident  # noqa: E402, F401
