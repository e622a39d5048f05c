import functools

from django.contrib import admin
from django.contrib.admin.apps import AdminConfig
from django.http import Http404, HttpResponseRedirect
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

    def admin_view(self, view, cacheable=False):
        """Every admin page: a NUL byte in the address or a filter is refused before any query.

        PostgreSQL cannot hold NUL in a string, so `?status=%00` or a NUL in an object id reached
        the database as an error (500). A filter answers like any bad filter (?e=1, the
        changelist's "invalid lookup" message); an id or path is not found.
        """
        inner = super().admin_view(view, cacheable)

        @functools.wraps(inner)
        def guarded(request, *args, **kwargs):
            if "\x00" in request.path or any("\x00" in str(a) for a in (*args, *kwargs.values())):
                raise Http404
            if any("\x00" in key or "\x00" in value for key, values in request.GET.lists() for value in values):
                return HttpResponseRedirect(request.path + "?e=1")
            return inner(request, *args, **kwargs)

        return guarded


class PortalAdminConfig(AdminConfig):
    default_site = "portal.admin_site.PortalAdminSite"
