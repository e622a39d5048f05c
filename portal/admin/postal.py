from django.contrib import admin
from django.urls import reverse
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from portal.admin_helpers import CityScopedAdmin
from portal.models import Shipment, ShipmentEvent


class ShipmentEventInline(admin.TabularInline):
    model = ShipmentEvent
    extra = 0
    can_delete = False
    fields = ["occurred_at", "status", "description", "location", "event_id", "received_at"]
    readonly_fields = fields

    def has_add_permission(self, request, obj=None):
        return False


@admin.register(Shipment)
class ShipmentAdmin(CityScopedAdmin):
    """Shipments are booked by the services and moved by carrier events: read-only here."""

    list_display = [
        "tracking_number",
        "city",
        "purpose",
        "masked_recipient",
        "masked_phone",
        "contents",
        "cod_amount",
        "status",
        "created_at",
    ]
    list_filter = ["city", "status", "carrier", "take_back_old_document"]
    search_fields = ["=tracking_number", "reference"]
    date_hierarchy = "created_at"
    show_full_result_count = False
    clerk_can = ("view",)
    inlines = [ShipmentEventInline]
    exclude = ["recipient_phone"]

    def get_readonly_fields(self, request, obj=None):
        return [f.name for f in Shipment._meta.fields if f.name != "recipient_phone"] + ["masked_phone", "sandbox_link"]

    @admin.display(description=_("recipient's phone"))
    def masked_phone(self, obj):
        return obj.masked_phone

    @admin.display(description=pgettext_lazy("mail", "recipient"))
    def masked_recipient(self, obj):
        return obj.masked_recipient

    @admin.display(description=_("sandbox carrier"))
    def sandbox_link(self, obj):
        if obj.carrier != "sandbox" or not obj.tracking_number:
            return "-"
        return format_html(
            '<a href="{}">{}</a>', reverse("postal:sandbox", args=[obj.tracking_number]), _("Move this shipment")
        )

    def has_add_permission(self, request, *args):
        return False

    def has_delete_permission(self, request, obj=None):
        return False
