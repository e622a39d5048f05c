from django.contrib import admin

from portal.admin_helpers import HistoryAdmin
from portal.models import Holiday


@admin.register(Holiday)
class HolidayAdmin(HistoryAdmin):
    """The province's holiday calendar; add next year's arrangement when the State Council publishes it."""

    list_display = ["date", "kind", "name"]
    list_filter = ["kind"]
    date_hierarchy = "date"

    def changelist_view(self, request, extra_context=None):
        from portal.admin_site import warn_missing_calendar

        warn_missing_calendar(request)
        return super().changelist_view(request, extra_context)
