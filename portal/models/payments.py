"""Payments of fines and fees through a gateway (Alipay / WeChat Pay style), and their refunds.

One Payment row per attempt: a citizen who abandons the cashier and starts again gets a new
order number. Money is Decimal yuan with 2 places. Status changes go through
portal.payments.services only (conditional updates), never through the admin.
"""

from decimal import Decimal

from django.db import models
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy
from simple_history.models import HistoricalRecords

from portal import identity
from portal.idfields import IdHashField, IdNumberField


class Payment(models.Model):
    class Status(models.TextChoices):
        CREATED = "created", pgettext_lazy("payment status", "created")
        PENDING = "pending", _("awaiting payment")
        PAID = "paid", _("paid")
        FAILED = "failed", _("failed or expired")
        CANCELLED = "cancelled", _("cancelled")
        REFUNDED = "refunded", _("refunded")
        PARTIALLY_REFUNDED = "partially_refunded", _("partially refunded")

    # Statuses in which money has been received.
    SETTLED = (Status.PAID, Status.PARTIALLY_REFUNDED, Status.REFUNDED)
    OPEN = (Status.CREATED, Status.PENDING)

    order_number = models.CharField(_("order number"), max_length=32, unique=True)
    purpose = models.CharField(_("purpose"), max_length=64, db_index=True)
    # What the payment is for, in the owning app's words: "exams.booking:123".
    reference = models.CharField(_("reference"), max_length=100, db_index=True)
    description = models.CharField(_("description"), max_length=200)
    city = models.ForeignKey("portal.City", on_delete=models.PROTECT, related_name="payments", verbose_name=_("city"))
    payer = models.ForeignKey(
        "portal.User",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="payments",
        verbose_name=_("payer account"),
    )
    payer_id_number = IdNumberField(_("payer's ID number"))
    payer_id_number_hash = IdHashField(source="payer_id_number", db_index=True)
    payer_name = models.CharField(_("payer"), max_length=64, blank=True)
    amount = models.DecimalField(_("amount (yuan)"), max_digits=10, decimal_places=2)
    refunded_amount = models.DecimalField(_("refunded (yuan)"), max_digits=10, decimal_places=2, default=Decimal("0"))
    status = models.CharField(_("status"), max_length=20, choices=Status.choices, default=Status.CREATED, db_index=True)
    gateway = models.CharField(_("gateway"), max_length=32)
    gateway_transaction_id = models.CharField(
        _("gateway transaction id"), max_length=64, unique=True, null=True, blank=True
    )
    cashier_url = models.CharField(_("cashier URL"), max_length=500, blank=True)
    # A path on the city site (never an absolute URL: no open redirect) the result page links back to.
    return_path = models.CharField(_("return path"), max_length=300, blank=True)
    failure_reason = models.CharField(_("failure reason"), max_length=200, blank=True)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)
    paid_at = models.DateTimeField(_("paid at"), null=True, blank=True)

    history = HistoricalRecords()

    class Meta:
        ordering = ["-created_at"]
        verbose_name = _("payment")
        verbose_name_plural = _("payments")
        constraints = [
            models.CheckConstraint(condition=models.Q(amount__gt=0), name="payment_amount_positive"),
            models.CheckConstraint(
                condition=models.Q(refunded_amount__gte=0) & models.Q(refunded_amount__lte=models.F("amount")),
                name="payment_refund_within_amount",
            ),
            models.CheckConstraint(
                condition=~models.Q(status__in=["paid", "refunded", "partially_refunded"])
                | models.Q(paid_at__isnull=False),
                name="payment_settled_has_paid_at",
            ),
        ]
        indexes = [models.Index(fields=["status", "created_at"], name="payment_status_created")]

    def __str__(self):
        return f"{self.order_number} {self.amount} ({self.get_status_display()})"

    @property
    def masked_payer_id(self) -> str:
        return identity.mask_id_number(self.payer_id_number)

    @property
    def is_settled(self) -> bool:
        return self.status in self.SETTLED

    @property
    def refundable_amount(self) -> Decimal:
        return self.amount - self.refunded_amount


class Refund(models.Model):
    class Status(models.TextChoices):
        PENDING = "pending", pgettext_lazy("refund status", "pending")
        SUCCEEDED = "succeeded", pgettext_lazy("refund status", "refunded")
        FAILED = "failed", pgettext_lazy("refund status", "failed")

    payment = models.ForeignKey(Payment, on_delete=models.PROTECT, related_name="refunds", verbose_name=_("payment"))
    # Sent to the gateway as the refund request number: a retried request is the same refund.
    refund_number = models.CharField(_("refund number"), max_length=32, unique=True)
    amount = models.DecimalField(_("amount (yuan)"), max_digits=10, decimal_places=2)
    reason = models.CharField(_("reason"), max_length=200)
    status = models.CharField(_("status"), max_length=10, choices=Status.choices, default=Status.PENDING)
    gateway_refund_id = models.CharField(_("gateway refund id"), max_length=64, unique=True, null=True, blank=True)
    requested_by = models.ForeignKey(
        "portal.User", on_delete=models.PROTECT, null=True, blank=True, related_name="+", verbose_name=_("requested by")
    )
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    completed_at = models.DateTimeField(_("completed at"), null=True, blank=True)

    history = HistoricalRecords()

    class Meta:
        ordering = ["-created_at"]
        verbose_name = _("refund")
        verbose_name_plural = _("refunds")
        constraints = [models.CheckConstraint(condition=models.Q(amount__gt=0), name="refund_amount_positive")]

    def __str__(self):
        return f"{self.refund_number} {self.amount}"
