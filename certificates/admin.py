"""Clerks' certificate desk: the review queue by waiting time, approve or reject (refund),
produced, handed over, the daily mail-out with address labels; the province's fee table.
Every change goes through certificates.services."""

import datetime

from django import forms
from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpResponse
from django.shortcuts import get_object_or_404, redirect
from django.template.loader import render_to_string
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils import timezone
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _
from simple_history.admin import SimpleHistoryAdmin

from certificates import labels, selectors, services
from certificates.models import (
    Application,
    CaseEvent,
    CompulsoryInsurance,
    ElectronicDocument,
    Fee,
    MedicalCertificate,
    VehicleTax,
)
from portal import processcache
from portal.admin_helpers import CityScopedAdmin, clerk_city
from portal.postal import selectors as postal_selectors

QUEUE_PAGE = 25
COUNT_CAP = 1000
# The tabs' counts are indicative (each row's own flag is exact): kept for half a minute per city
# in each process (portal.processcache), which saves the queue page a Redis round trip; each
# worker counting again every 30 s costs less (the counts are capped).
COUNTS_TTL = 30


def _city(request):
    """The clerk's city, or for a province administrator the city site they are on."""
    return clerk_city(request.user) or getattr(request, "city", None)


def _capped(n: int) -> str:
    return f"{COUNT_CAP}+" if n > COUNT_CAP else str(n)


def _count_tabs(key) -> dict:
    city_id, today = key
    counts = {}
    for value in Application.QUEUE:
        base = Application.objects.filter(city_id=city_id, status=value).order_by()
        # Capped: an exact count of 100,000 waiting cases helps nobody and costs a scan.
        n = base[: COUNT_CAP + 1].count()
        late = base.filter(due_on__lt=today)[: COUNT_CAP + 1].count()
        counts[value] = (_capped(n), _capped(late) if late else "")
    return counts


_counts = processcache.TimedCache(_count_tabs, ttl=COUNTS_TTL)


def _tab_counts(city, today) -> dict:
    """Per queue state: how many cases, and how many past their legal time limit (capped)."""
    return _counts.get((city.pk, today))


@admin.register(Fee)
class FeeAdmin(SimpleHistoryAdmin):
    """The province's fee table: the province administrator edits it, clerks only read it."""

    list_display = ["code", "amount", "note"]
    readonly_fields = ["code"]

    def has_add_permission(self, request):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return request.user.is_superuser or getattr(request.user, "is_province_admin", False)

    def has_view_permission(self, request, obj=None):
        return request.user.is_active and request.user.is_staff

    def has_module_permission(self, request):
        return request.user.is_active and request.user.is_staff


@admin.register(CompulsoryInsurance)
class CompulsoryInsuranceAdmin(CityScopedAdmin):
    city_field = "vehicle__city"
    clerk_can = ("view",)
    list_display = ["policy_number", "vehicle", "insurer", "valid_from", "valid_until"]
    search_fields = ["=policy_number", "=vehicle__plate_number"]
    raw_id_fields = ["vehicle"]


@admin.register(VehicleTax)
class VehicleTaxAdmin(CityScopedAdmin):
    """As the tax authority reports it (docs/rules.md §4.1): clerks read it."""

    city_field = "vehicle__city"
    clerk_can = ("view",)
    list_display = ["vehicle", "tax_year", "status", "certificate_number", "collected_by"]
    list_filter = ["status", "tax_year"]
    search_fields = ["=certificate_number", "=vehicle__plate_number"]
    raw_id_fields = ["vehicle"]


@admin.register(ElectronicDocument)
class ElectronicDocumentAdmin(CityScopedAdmin):
    city_field = "application__city"
    clerk_can = ("view",)
    list_display = ["kind", "subject", "masked_name", "valid_from", "valid_until", "issued_at", "voided_at"]
    list_filter = ["kind"]
    exclude = ["token"]

    def has_add_permission(self, request, *args):
        return False


@admin.register(MedicalCertificate)
class MedicalCertificateAdmin(CityScopedAdmin):
    clerk_can = ("view",)
    list_display = ["masked_name", "institution", "exam_date", "conclusion", "is_current", "uploaded_at"]
    list_filter = ["is_current", "conclusion"]
    exclude = ["id_number", "name"]

    def has_add_permission(self, request, *args):
        return False

    def has_change_permission(self, request, obj=None):
        return False


class RejectForm(forms.Form):
    reason = forms.CharField(
        label=_("Reason for the rejection"), max_length=300, widget=forms.Textarea(attrs={"rows": 3})
    )


@admin.register(Application)
class ApplicationAdmin(CityScopedAdmin):
    clerk_can = ("view",)  # every change is a button of the desk, through services
    change_list_template = "certificates/admin/application_change_list.html"
    list_display = [
        "number",
        "item",
        "subject_label",
        "status",
        "accepted_at",
        "due_on",
        "delivery",
        "desk_link",
        "city",
    ]
    list_filter = ["status", "item", "delivery"]
    search_fields = ["=number"]
    list_select_related = ["vehicle", "licence", "city"]
    exclude = ["id_number", "recipient_phone"]

    def get_readonly_fields(self, request, obj=None):
        return [f.name for f in Application._meta.fields if f.name not in self.exclude]

    def has_add_permission(self, request, *args):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

    def get_urls(self):
        view = self.admin_site.admin_view
        return [
            path("queue/", view(self.queue_view), name="certificates_application_queue"),
            path("mailout/", view(self.mailout_view), name="certificates_application_mailout"),
            path("mailout/labels.pdf", view(self.labels_view), name="certificates_application_labels"),
            path("<int:pk>/desk/", view(self.desk_view), name="certificates_application_desk"),
            *super().get_urls(),
        ]

    def _context(self, request, title, **extra):
        return {**self.admin_site.each_context(request), "opts": self.model._meta, "title": title, **extra}

    def _lean_context(self, request, title, **extra):
        """The admin frame without the app list: the queue is the page a clerk reloads all day,
        and listing every model of every app (with permission checks) cost more than the queue."""
        site = self.admin_site
        return {
            "site_title": site.site_title,
            "site_header": site.site_header,
            "site_url": site.site_url,
            "has_permission": True,
            "available_apps": [],
            "is_popup": False,
            "is_nav_sidebar_enabled": False,
            "opts": self.model._meta,
            "title": title,
            **extra,
        }

    def _desk_city(self, request):
        city = _city(request)
        if city is None or not self.has_view_permission(request):
            raise PermissionDenied
        return city

    def queue_view(self, request):
        """Longest waiting first, one state at a time (an index scan, however long the queue)."""
        city = self._desk_city(request)
        status = request.GET.get("status") or Application.Status.UNDER_REVIEW
        if status not in Application.QUEUE:
            status = Application.Status.UNDER_REVIEW
        try:
            page = max(0, min(int(request.GET.get("page", "0")), 10000))
        except ValueError:
            page = 0
        today = timezone.localdate()
        rows = selectors.queue(city, status, limit=QUEUE_PAGE, offset=page * QUEUE_PAGE)
        for row in rows:
            row["late"] = row["due_on"] is not None and row["due_on"] < today
            # Formatted here once: the template's date filter is the page's costliest part per row.
            row["accepted"] = (
                timezone.localtime(row["accepted_at"]).strftime("%Y-%m-%d %H:%M") if row["accepted_at"] else ""
            )
            row["due"] = row["due_on"].isoformat() if row["due_on"] else ""
        tabs = [
            (value, Application.Status(value).label, n, late) for value, (n, late) in _tab_counts(city, today).items()
        ]
        context = self._lean_context(
            request,
            _("Certificate cases: review queue"),
            rows=rows,
            tabs=tabs,
            status=status,
            page=page,
            has_next=len(rows) == QUEUE_PAGE,
            late_label=_("past the time limit"),
            user=request.user,
            messages=messages.get_messages(request),
        )
        # Rendered without the context processors: the page shows none of what they add (the
        # notices badge, the city's menus), and each costs a query on a page reloaded all day.
        return HttpResponse(render_to_string("certificates/admin/queue.html", context))

    def desk_view(self, request, pk):
        city = self._desk_city(request)
        application = get_object_or_404(
            Application.objects.select_related("vehicle", "licence", "medical__institution", "city"), pk=pk, city=city
        )
        form = RejectForm(request.POST if request.POST.get("action") == "reject" else None)
        if request.method == "POST":
            action = request.POST.get("action")
            try:
                if action == "approve":
                    services.application_approve(application, request.user)
                    self.message_user(request, _("Case %(n)s approved.") % {"n": application.number}, messages.SUCCESS)
                elif action == "reject":
                    if not form.is_valid():
                        raise services.CertificateError(_("Give the reason for the rejection: the applicant reads it."))
                    services.application_reject(application, request.user, form.cleaned_data["reason"])
                    self.message_user(
                        request, _("Case %(n)s rejected; fees refunded.") % {"n": application.number}, messages.SUCCESS
                    )
                elif action == "produce":
                    services.application_produce(application, request.user)
                    self.message_user(request, _("Case %(n)s marked produced.") % {"n": application.number})
                elif action == "collected":
                    services.application_collected(application, request.user)
                    self.message_user(request, _("Case %(n)s handed over and closed.") % {"n": application.number})
                else:
                    raise services.CertificateError(_("Choose one of the buttons."))
            except services.CertificateError as exc:
                self.message_user(request, exc.message, messages.ERROR)
            else:
                return redirect("admin:certificates_application_desk", application.pk)
        events = list(application.events.select_related("by"))
        shipment = postal_selectors.latest_shipment(application.reference)
        return TemplateResponse(
            request,
            "certificates/admin/desk.html",
            self._context(
                request,
                _("Case %(n)s") % {"n": application.number},
                application=application,
                events=events,
                form=form,
                shipment=shipment,
                today=timezone.localdate(),
                documents=selectors.documents_of(application),
            ),
        )

    def mailout_view(self, request):
        city = self._desk_city(request)
        if request.method == "POST":
            ids = [int(x) for x in request.POST.getlist("case") if x.isdigit()]
            chosen = list(selectors.mailout_list(city).filter(pk__in=ids))
            mailed, problems = services.mailout_create(chosen, request.user)
            for problem in problems:
                self.message_user(request, problem, messages.ERROR)
            if mailed:
                self.message_user(
                    request,
                    _("%(n)s shipments booked with the carrier; print the labels.") % {"n": len(mailed)},
                    messages.SUCCESS,
                )
            return redirect("admin:certificates_application_mailout")
        today = timezone.localdate()
        return TemplateResponse(
            request,
            "certificates/admin/mailout.html",
            self._context(
                request,
                _("Mail-out list"),
                rows=list(selectors.mailout_list(city)[:500]),
                today=today,
                labels_url=reverse("admin:certificates_application_labels") + f"?date={today.isoformat()}",
            ),
        )

    def labels_view(self, request):
        """Labels of every shipment this city's desk booked on a day."""
        city = self._desk_city(request)
        try:
            day = datetime.date.fromisoformat(request.GET.get("date", ""))
        except ValueError:
            raise Http404(_("Give the day as YYYY-MM-DD.")) from None
        events = (
            CaseEvent.objects.filter(application__city=city, kind=CaseEvent.Kind.MAILED, at__date=day)
            .select_related("application")
            .order_by("at", "id")
        )
        rows = []
        for event in events:
            shipment = (
                postal_selectors.shipments_for(event.application.reference).filter(tracking_number=event.note).first()
            )
            if shipment is not None:
                rows.append((event.application, shipment))
        pdf = labels.labels_pdf(rows, str(_("Vehicle administration office of %(city)s") % {"city": city.name}))
        response = HttpResponse(pdf, content_type="application/pdf")
        response["Content-Disposition"] = f'inline; filename="labels-{day.isoformat()}.pdf"'
        return response

    @admin.display(description=_("desk"))
    def desk_link(self, obj):
        return format_html(
            '<a href="{}">{}</a>', reverse("admin:certificates_application_desk", args=[obj.pk]), _("open")
        )


from certificates import admin_deferrals  # noqa: E402,F401  (the deferral review, docs/rules.md §4.7)
