import functools

from django.contrib import admin, messages
from django.contrib.admin.apps import AdminConfig
from django.http import Http404, HttpResponseRedirect
from django.utils import timezone
from django.utils.translation import gettext as gettext_now
from django.utils.translation import gettext_lazy as _

from portal.admin_helpers import clerk_city


def calendar_years_missing(today=None) -> list[int]:
    """Years whose holiday arrangement looks unentered: no make-up working day (调休) on file.

    Every State Council arrangement since 2008 has make-up days; a year with none is the
    placeholder seeded from the fixed-date holidays (portal/cities_data.py). The current year
    is checked always, the coming year from October (the notice comes out in Oct-Dec).
    """
    from portal.models import Holiday

    today = today or timezone.localdate()
    years = [today.year] + ([today.year + 1] if today.month >= 10 else [])
    entered = set(
        Holiday.objects.filter(kind=Holiday.Kind.WORKDAY, date__year__in=years).values_list("date__year", flat=True)
    )
    return [year for year in years if year not in entered]


def warn_missing_calendar(request) -> None:
    user = request.user
    if not (user.is_active and (user.is_superuser or getattr(user, "role", "") == "province")):
        return
    for year in calendar_years_missing():
        messages.warning(
            request,
            gettext_now(
                "The holiday calendar for %(year)d has no make-up working days yet: enter the State "
                "Council's arrangement under Holiday calendar (docs/operations.md), or deadlines that "
                "count working days will be wrong."
            )
            % {"year": year},
        )


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

    def index(self, request, extra_context=None):
        warn_missing_calendar(request)
        return super().index(request, extra_context)

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
