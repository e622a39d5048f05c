"""Clerks' review of deferral requests (docs/rules.md §4.7): the issuing city's clerks see the
document and approve or refuse with a reason, through certificates.services."""

from django import forms
from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.shortcuts import get_object_or_404, redirect
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _

from certificates import services
from certificates.models import Deferral
from portal.admin_helpers import CityScopedAdmin, clerk_city


class RefuseForm(forms.Form):
    reason = forms.CharField(
        label=_("Reason for the refusal"), max_length=300, widget=forms.Textarea(attrs={"rows": 3})
    )


@admin.register(Deferral)
class DeferralAdmin(CityScopedAdmin):
    clerk_can = ("view",)  # decided on the review page, through services
    list_display = ["submitted_at", "subject", "reason", "until", "status", "licence", "review_link"]
    list_filter = ["status", "subject", "reason"]
    list_select_related = ["licence"]
    exclude = ["document"]

    def get_readonly_fields(self, request, obj=None):
        return [f.name for f in Deferral._meta.fields if f.name not in ("document",)]

    def has_add_permission(self, request, *args):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

    def get_urls(self):
        view = self.admin_site.admin_view
        return [
            path("<int:pk>/review/", view(self.review_view), name="certificates_deferral_review"),
            *super().get_urls(),
        ]

    @admin.display(description=_("review"))
    def review_link(self, obj):
        return format_html(
            '<a href="{}">{}</a>', reverse("admin:certificates_deferral_review", args=[obj.pk]), _("open")
        )

    def review_view(self, request, pk):
        city = clerk_city(request.user) or getattr(request, "city", None)
        if city is None or not self.has_view_permission(request):
            raise PermissionDenied
        deferral = get_object_or_404(
            Deferral.objects.defer("document").select_related("licence", "applicant"), pk=pk, city=city
        )
        form = RefuseForm(request.POST if request.POST.get("action") == "refuse" else None)
        if request.method == "POST":
            action = request.POST.get("action")
            try:
                if action == "approve":
                    services.deferral_approve(deferral, request.user)
                    self.message_user(request, _("Deferral approved; the licence's due date moved."), messages.SUCCESS)
                elif action == "refuse":
                    if not form.is_valid():
                        raise services.CertificateError(_("Give the reason for the refusal: the applicant reads it."))
                    services.deferral_refuse(deferral, request.user, form.cleaned_data["reason"])
                    self.message_user(request, _("Deferral refused."), messages.SUCCESS)
                else:
                    raise services.CertificateError(_("Choose one of the buttons."))
            except services.CertificateError as exc:
                self.message_user(request, exc.message, messages.ERROR)
            else:
                return redirect("admin:certificates_deferral_review", deferral.pk)
        context = {
            **self.admin_site.each_context(request),
            "opts": self.model._meta,
            "title": _("Deferral request"),
            "deferral": deferral,
            "form": form,
        }
        return TemplateResponse(request, "certificates/admin/deferral_review.html", context)
