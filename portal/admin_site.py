from django.contrib import admin
from django.contrib.admin.apps import AdminConfig
from django.utils.translation import gettext_lazy as _

from portal.admin_helpers import clerk_city


class PortalAdminSite(admin.AdminSite):
    site_header = _("open122 administration")
    site_title = _("open122 administration")
    index_title = _("Records")

    def has_permission(self, request):
        """Clerks work only on their own city's site; province administrators anywhere."""
        user = request.user
        if not (user.is_active and user.is_staff):
            return False
        if user.is_superuser:
            return True
        city = clerk_city(user)
        return city is not None and getattr(request, "city", None) == city

    def login(self, request, extra_context=None):
        # The "authenticated as ..., but not authorised" line shows the username, which is the
        # ID number: masked, like everywhere else on a page.
        extra_context = dict(extra_context or {})
        if request.user.is_authenticated:
            extra_context["username"] = request.user.masked_id_number
        return super().login(request, extra_context)


class PortalAdminConfig(AdminConfig):
    default_site = "portal.admin_site.PortalAdminSite"
