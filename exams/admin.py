"""Clerks' exam desk: sites, plans (bulk and CSV), learner records, bookings on behalf of
candidates, counter cancellation and result entry. Every change goes through exams.services."""

from django import forms
from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import HttpResponse
from django.shortcuts import get_object_or_404, redirect
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from exams import forms as exam_forms
from exams import permit, services
from exams.models import ExamPlan, ExamRequest, ExamResult, ExamSite, LearnerRecord
from portal.admin_helpers import CityScopedAdmin, clerk_city


class MaskedIdMixin:
    @admin.display(description=_("ID number"))
    def id_masked(self, obj):
        return obj.masked_id_number


def _city(request):
    """The clerk's city, or for a province administrator the city site they are on."""
    return clerk_city(request.user) or getattr(request, "city", None)


class ExamSiteForm(forms.ModelForm):
    licence_classes = exam_forms.LicenceClassesField(label=_("licence classes examined"))

    class Meta:
        model = ExamSite
        fields = ["city", "name", "address", "subjects", "licence_classes", "daily_capacity", "is_active"]


@admin.register(ExamSite)
class ExamSiteAdmin(CityScopedAdmin):
    form = ExamSiteForm
    list_display = ["name", "address", "subjects", "licence_classes", "daily_capacity", "is_active", "city"]
    list_filter = ["city", "is_active"]
    search_fields = ["name"]


class ExamPlanForm(forms.ModelForm):
    licence_classes = exam_forms.LicenceClassesField(label=_("licence classes"))

    class Meta:
        model = ExamPlan
        fields = ["city", "site", "subject", "licence_classes", "date", "starts_at", "ends_at", "capacity"]

    def clean(self):
        data = super().clean()
        site = data.get("site")
        if site and data.get("city") and site.city_id != data["city"].pk:
            raise ValidationError(_("The site belongs to another city."))
        if site and all(
            data.get(k) is not None for k in ("subject", "licence_classes", "date", "starts_at", "ends_at", "capacity")
        ):
            try:
                services.plan_validate(
                    site,
                    data["subject"],
                    data["licence_classes"],
                    data["date"],
                    data["starts_at"],
                    data["ends_at"],
                    data["capacity"],
                    exclude_id=self.instance.pk,
                )
            except services.ExamError as exc:
                raise ValidationError(exc.message) from None
        return data


@admin.register(ExamPlan)
class ExamPlanAdmin(CityScopedAdmin):
    form = ExamPlanForm
    change_list_template = "exams/admin/plan_change_list.html"
    list_display = ["date", "session", "site", "subject", "capacity", "status", "closes_on", "requests_link", "city"]
    list_filter = ["city", "status", "subject", "site"]
    date_hierarchy = "date"
    list_select_related = ["site", "city"]
    # The seed stays secret until the window closes, from clerks too (docs/rules.md §3).
    readonly_fields = [
        "status",
        "published_at",
        "closes_on",
        "seed_commitment",
        "revealed_seed",
        "allocated_at",
        "decisions_sent_at",
    ]
    actions = ["publish", "run_draw", "cancel_plans"]

    def get_readonly_fields(self, request, obj=None):
        if obj is not None and obj.status != ExamPlan.Status.DRAFT:
            return [*ExamPlanForm.Meta.fields, *self.readonly_fields]
        return self.readonly_fields

    @admin.display(description=_("draw seed"))
    def revealed_seed(self, obj):
        if obj.seed and services.plan_seed_revealed(obj):
            return obj.seed
        return _("revealed when the window closes")

    @admin.display(description=pgettext_lazy("exam plan", "session"))
    def session(self, obj):
        return obj.session

    @admin.display(description=_("requests"))
    def requests_link(self, obj):
        from django.utils.html import format_html

        url = reverse("admin:exams_examrequest_changelist") + f"?plan__id__exact={obj.pk}"
        links = format_html('<a href="{}">{}</a>', url, _("requests"))
        if obj.status in (ExamPlan.Status.ALLOCATED, ExamPlan.Status.DONE):
            links += format_html(
                ' · <a href="{}">{}</a>', reverse("admin:exams_examplan_results", args=[obj.pk]), _("results")
            )
        return links

    @admin.action(description=_("Publish the selected plans"))
    def publish(self, request, queryset):
        done = 0
        for plan in queryset.select_related("city", "site"):
            try:
                services.plan_publish(plan)
                done += 1
            except services.ExamError as exc:
                self.message_user(request, f"{plan}: {exc.message}", messages.ERROR)
        if done:
            self.message_user(request, _("%(n)s plans published.") % {"n": done}, messages.SUCCESS)

    @admin.action(description=_("Run the draw for plans whose window has closed"))
    def run_draw(self, request, queryset):
        ids = services.plans_allocate(list(queryset.values_list("pk", flat=True)))
        services.decisions_notify(ids)
        self.message_user(
            request, _("Draw run for %(n)s plans (plans still open or already drawn are skipped).") % {"n": len(ids)}
        )

    @admin.action(description=_("Cancel the selected plans (the office cancels: fees refunded, ranks kept)"))
    def cancel_plans(self, request, queryset):
        for plan in queryset.select_related("city", "site"):
            try:
                n = services.plan_cancel(plan, actor=request.user)
            except services.ExamError as exc:
                self.message_user(request, f"{plan}: {exc.message}", messages.ERROR)
            else:
                self.message_user(
                    request,
                    _("%(plan)s cancelled; %(n)s candidates told, paid fees refunded.") % {"plan": plan, "n": n},
                    messages.SUCCESS,
                )

    def get_urls(self):
        view = self.admin_site.admin_view
        return [
            path("bulk/", view(self.bulk_view), name="exams_examplan_bulk"),
            path("import/", view(self.import_view), name="exams_examplan_import"),
            path("<int:plan_id>/results/", view(self.results_view), name="exams_examplan_results"),
            *super().get_urls(),
        ]

    def _context(self, request, title, **extra):
        return {**self.admin_site.each_context(request), "opts": self.model._meta, "title": title, **extra}

    def bulk_view(self, request):
        if not self.has_add_permission(request):
            raise PermissionDenied
        city = clerk_city(request.user)
        form = exam_forms.BulkPlanForm(request.POST or None, city=city)
        if request.method == "POST" and form.is_valid():
            data = form.cleaned_data
            try:
                plans = services.plans_create(
                    site=data["site"],
                    subject=data["subject"],
                    classes=data["classes"],
                    first_date=data["first_date"],
                    days=data["days"],
                    sessions=data["sessions"],
                    capacity=data["capacity"],
                    working_days_only=data["working_days_only"],
                )
                if data["publish"]:
                    for plan in plans:
                        services.plan_publish(plan)
            except services.ExamError as exc:
                form.add_error(None, exc.message)
            else:
                self.message_user(request, _("%(n)s sessions created.") % {"n": len(plans)}, messages.SUCCESS)
                return redirect("admin:exams_examplan_changelist")
        return TemplateResponse(
            request, "exams/admin/form.html", self._context(request, _("Create a week of sessions"), form=form)
        )

    def import_view(self, request):
        if not self.has_add_permission(request):
            raise PermissionDenied
        city = _city(request)
        form = exam_forms.CsvImportForm(request.POST or None, request.FILES or None)
        if request.method == "POST" and form.is_valid():
            if city is None:
                form.add_error(None, _("Open the administration on a city site to import its plans."))
            else:
                try:
                    plans = services.plans_import_csv(city, form.cleaned_data["file"])
                except services.ExamError as exc:
                    form.add_error(None, exc.message)
                else:
                    self.message_user(
                        request, _("%(n)s sessions imported as drafts.") % {"n": len(plans)}, messages.SUCCESS
                    )
                    return redirect("admin:exams_examplan_changelist")
        help_text = _("Columns: %(columns)s. Subject 1, 2, 3 (road test) or 4 (safe and civil driving theory).") % {
            "columns": ",".join(services.CSV_COLUMNS)
        }
        return TemplateResponse(
            request,
            "exams/admin/form.html",
            self._context(request, _("Import sessions from CSV"), form=form, help_text=help_text, multipart=True),
        )

    def results_view(self, request, plan_id):
        plan = get_object_or_404(self.get_queryset(request).select_related("site"), pk=plan_id)
        if not self.has_change_permission(request, plan):
            raise PermissionDenied
        bookings = list(
            ExamRequest.objects.filter(
                plan=plan, status__in=[ExamRequest.Status.ALLOCATED, ExamRequest.Status.COMPLETED]
            )
            .select_related("record", "result")
            .order_by("rank", "id")
        )
        rows = []
        for req in bookings:
            form = (
                exam_forms.ResultRowForm(request.POST or None, prefix=f"r{req.pk}")
                if req.status == "allocated"
                else None
            )
            rows.append((req, form))
        if request.method == "POST":
            saved = 0
            for req, form in rows:
                if form is None or not form.is_valid() or not form.cleaned_data["outcome"]:
                    continue
                data = form.cleaned_data
                try:
                    services.result_record(
                        req, data["outcome"], actor=request.user, score=data["score"], retake_score=data["retake_score"]
                    )
                    saved += 1
                except services.ExamError as exc:
                    self.message_user(request, f"{req.number}: {exc.message}", messages.ERROR)
            if saved:
                self.message_user(request, _("%(n)s results entered.") % {"n": saved}, messages.SUCCESS)
            return redirect("admin:exams_examplan_results", plan.pk)
        return TemplateResponse(
            request,
            "exams/admin/results.html",
            self._context(request, _("Results: %(plan)s") % {"plan": plan}, plan=plan, rows=rows),
        )


@admin.register(LearnerRecord)
class LearnerRecordAdmin(MaskedIdMixin, CityScopedAdmin):
    form = exam_forms.LearnerRecordForm
    list_display = [
        "name",
        "id_masked",
        "licence_class",
        "application_accepted_at",
        "permit_issued_on",
        "permit_valid_until",
        "status",
        "city",
    ]
    list_filter = ["city", "status", "licence_class"]
    # ID numbers are searched by keyed hash (portal.admin_idnumbers).
    search_fields = ["name", "=permit_number"]
    readonly_fields = [
        "permit_number",
        "permit_issued_on",
        "permit_valid_until",
        "subject1_passed_on",
        "subject2_passed_on",
        "road_passed_on",
        "safety_passed_on",
        "subject2_bookings",
        "road_bookings",
        "last_exam_on",
        "last_cancel_at",
        "priority_used",
        "status",
        "voided_on",
        "permit_link",
    ]

    def get_readonly_fields(self, request, obj=None):
        if obj is not None:
            return ["city", "id_masked", *self.readonly_fields]
        return self.readonly_fields

    def get_fields(self, request, obj=None):
        if obj is None:
            return ["city", "id_number", "name", "licence_class", "application_accepted_at", "holds_car_licence"]
        # The full ID number is typed in once, at registration; afterwards it is shown masked.
        return [
            "city",
            "id_masked",
            "name",
            "licence_class",
            "application_accepted_at",
            "holds_car_licence",
            *self.readonly_fields,
        ]

    def get_form(self, request, obj=None, **kwargs):
        if obj is not None:
            kwargs["form"] = forms.ModelForm
        return super().get_form(request, obj, **kwargs)

    @admin.display(description=_("learner permit"))
    def permit_link(self, obj):
        from django.utils.html import format_html

        if not obj.permit_issued_on:
            return "-"
        return format_html(
            '<a href="{}">{}</a>', reverse("admin:exams_learnerrecord_permit", args=[obj.pk]), _("Print (PDF)")
        )

    def get_urls(self):
        view = self.admin_site.admin_view
        return [
            path("<int:record_id>/permit.pdf", view(self.permit_view), name="exams_learnerrecord_permit"),
            *super().get_urls(),
        ]

    def permit_view(self, request, record_id):
        record = get_object_or_404(
            self.get_queryset(request).select_related("city"), pk=record_id, permit_issued_on__isnull=False
        )
        return HttpResponse(permit.render(record), content_type="application/pdf")


@admin.register(ExamRequest)
class ExamRequestAdmin(MaskedIdMixin, CityScopedAdmin):
    change_list_template = "exams/admin/request_change_list.html"
    clerk_can = ("view",)
    list_display = ["number_display", "id_masked", "plan", "channel", "status", "priority", "rank", "created_at"]
    list_filter = ["status", "channel", "subject", "city"]
    search_fields = []  # by ID number through its keyed hash (portal.admin_idnumbers)
    list_select_related = ["plan__site"]
    actions = ["cancel_at_counter"]
    readonly_fields = [f.name if f.name != "id_number" else "id_masked" for f in ExamRequest._meta.fields]
    fields = readonly_fields

    @admin.display(description=_("request number"))
    def number_display(self, obj):
        return obj.number

    def has_add_permission(self, request, *args):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    @admin.action(description=_("Cancel the selected bookings at the counter"))
    def cancel_at_counter(self, request, queryset):
        for req in queryset.select_related("plan__city", "plan__site"):
            try:
                services.booking_cancel(req, actor=request.user)
            except services.ExamError as exc:
                self.message_user(request, f"{req.number}: {exc.message}", messages.ERROR)
            else:
                self.message_user(
                    request,
                    _("%(number)s cancelled; the seat is offered to the next candidate.") % {"number": req.number},
                )

    def get_urls(self):
        return [
            path("book/", self.admin_site.admin_view(self.book_view), name="exams_examrequest_book"),
            *super().get_urls(),
        ]

    def book_view(self, request):
        """Book on behalf of a candidate (telephone or counter) under the same rules as online."""
        city = _city(request)
        if city is None or not self.has_view_permission(request):
            raise PermissionDenied
        plans = ExamPlan.objects.filter(
            city=city, status=ExamPlan.Status.PUBLISHED, closes_on__gt=timezone.localdate()
        ).select_related("site")
        form = exam_forms.ClerkBookingForm(request.POST or None, plans=plans)
        if request.method == "POST" and form.is_valid():
            try:
                req = services.request_create(
                    plan=form.cleaned_data["plan"],
                    id_number=form.cleaned_data["id_number"],
                    channel=form.cleaned_data["channel"],
                    actor=request.user,
                )
            except services.ExamError as exc:
                for reason in exc.reasons:
                    form.add_error(None, reason)
            else:
                self.message_user(
                    request,
                    _("Request %(number)s entered for the candidate.") % {"number": req.number},
                    messages.SUCCESS,
                )
                return redirect("admin:exams_examrequest_changelist")
        return TemplateResponse(request, "exams/admin/form.html", self._context(request, form))

    def _context(self, request, form):
        return {
            **self.admin_site.each_context(request),
            "opts": self.model._meta,
            "title": _("Book on behalf of a candidate"),
            "form": form,
        }


@admin.register(ExamResult)
class ExamResultAdmin(CityScopedAdmin):
    city_field = "request__city"
    clerk_can = ("view",)
    list_display = ["request", "outcome", "score", "retake_score", "entered_at", "entered_by"]
    list_filter = ["outcome"]
    list_select_related = ["request__plan", "entered_by"]

    def has_add_permission(self, request, *args):
        return False

    def has_change_permission(self, request, obj=None):
        return False


# The inspection desk's admins register themselves on import (docs/architecture.md).
from exams import admin_inspection  # noqa: E402, F401
