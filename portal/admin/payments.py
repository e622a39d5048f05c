from django.contrib import admin, messages
from django.utils.translation import gettext_lazy as _

from portal.admin_helpers import CityScopedAdmin
from portal.models import Payment, Refund
from portal.payments import services


class RefundInline(admin.TabularInline):
    model = Refund
    extra = 0
    can_delete = False
    fields = [
        "refund_number",
        "amount",
        "status",
        "reason",
        "gateway_refund_id",
        "requested_by",
        "created_at",
        "completed_at",
    ]
    readonly_fields = fields

    def has_add_permission(self, request, obj=None):
        return False


@admin.register(Payment)
class PaymentAdmin(CityScopedAdmin):
    """Payments are changed by the gateway's notifications and by refunds only: every field is read-only."""

    list_display = [
        "order_number",
        "city",
        "purpose",
        "description",
        "amount",
        "refunded_amount",
        "status",
        "created_at",
        "paid_at",
    ]
    list_filter = ["city", "status", "purpose", "gateway"]
    search_fields = ["=order_number", "=gateway_transaction_id", "reference"]  # + payer by keyed hash
    date_hierarchy = "created_at"
    show_full_result_count = False
    clerk_can = ("view",)
    inlines = [RefundInline]
    actions = ["refund_in_full", "reconcile_now"]
    exclude = ["payer_id_number"]

    def get_readonly_fields(self, request, obj=None):
        return [f.name for f in Payment._meta.fields if f.name != "payer_id_number"] + ["masked_payer_id"]

    @admin.display(description=_("payer's ID number"))
    def masked_payer_id(self, obj):
        return obj.masked_payer_id

    def has_add_permission(self, request, *args):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

    @admin.action(description=_("Refund the selected payments in full"))
    def refund_in_full(self, request, queryset):
        if not request.user.is_superuser:
            self.message_user(request, _("Only a province administrator may refund."), messages.ERROR)
            return
        done = 0
        for payment in queryset:
            try:
                services.request_refund(payment, reason=str(_("Refunded by the administration")), by=request.user)
                done += 1
            except services.PaymentError as exc:
                self.message_user(request, f"{payment.order_number}: {exc}", messages.ERROR)
        if done:
            self.message_user(request, _("%(count)d payments refunded.") % {"count": done}, messages.SUCCESS)

    @admin.action(description=_("Ask the payment service about the selected open payments"))
    def reconcile_now(self, request, queryset):
        if not request.user.is_superuser:  # a write; clerks only look at payments
            self.message_user(request, _("Only a province administrator may ask the payment service."), messages.ERROR)
            return
        changed = services.reconcile(older_than_minutes=0)
        self.message_user(request, _("%(count)d payments updated.") % {"count": changed}, messages.INFO)


@admin.register(Refund)
class RefundAdmin(CityScopedAdmin):
    city_field = "payment__city"
    list_display = ["refund_number", "payment", "amount", "status", "gateway_answer", "created_at", "completed_at"]
    list_filter = ["status"]
    search_fields = ["=refund_number", "=payment__order_number"]
    clerk_can = ("view",)

    def get_readonly_fields(self, request, obj=None):
        return [f.name for f in Refund._meta.fields] + ["gateway_answer"]

    @admin.display(description=_("payment service's answer"))
    def gateway_answer(self, obj):
        """Why the gateway refused (kept in the refund's history by request_refund)."""
        if obj.status != Refund.Status.FAILED:
            return "-"
        row = obj.history.filter(history_change_reason__startswith="gateway refused").first()
        return row.history_change_reason.removeprefix("gateway refused: ") if row else "-"

    def has_add_permission(self, request, *args):
        return False

    def has_delete_permission(self, request, obj=None):
        return False
