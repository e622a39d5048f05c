"""Mail-outs through a postal carrier (EMS style): documents sent to citizens, with tracking."""

from decimal import Decimal

from django.db import models
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy
from simple_history.models import HistoricalRecords

from portal import identity


class Shipment(models.Model):
    class Status(models.TextChoices):
        CREATED = "created", pgettext_lazy("shipment status", "created")
        ACCEPTED = "accepted", _("accepted by the carrier")
        IN_TRANSIT = "in_transit", _("in transit")
        DELIVERED = "delivered", pgettext_lazy("shipment status", "delivered")
        FAILED = "failed", _("delivery failed")
        RETURNED = "returned", _("returned to sender")

    # Which moves a carrier event may make; anything else (a late or repeated event) is kept
    # as an event but leaves the status alone.
    TRANSITIONS = {
        Status.CREATED: {Status.ACCEPTED, Status.IN_TRANSIT, Status.DELIVERED, Status.FAILED, Status.RETURNED},
        Status.ACCEPTED: {Status.IN_TRANSIT, Status.DELIVERED, Status.FAILED, Status.RETURNED},
        Status.IN_TRANSIT: {Status.DELIVERED, Status.FAILED, Status.RETURNED},
        Status.FAILED: {Status.IN_TRANSIT, Status.DELIVERED, Status.RETURNED},
        Status.DELIVERED: set(),
        Status.RETURNED: set(),
    }

    city = models.ForeignKey("portal.City", on_delete=models.PROTECT, related_name="shipments", verbose_name=_("city"))
    purpose = models.CharField(_("purpose"), max_length=64, db_index=True)
    # What is being sent, in the owning app's words: "certificates.application:42".
    reference = models.CharField(_("reference"), max_length=100, db_index=True)
    recipient_name = models.CharField(pgettext_lazy("mail", "recipient"), max_length=64)
    recipient_phone = models.CharField(_("recipient's phone"), max_length=20)
    address = models.CharField(_("address"), max_length=300)
    postcode = models.CharField(_("postcode"), max_length=6, blank=True)
    contents = models.CharField(_("contents"), max_length=200)
    cod_amount = models.DecimalField(
        _("cash on delivery (yuan)"), max_digits=10, decimal_places=2, default=Decimal("0")
    )
    take_back_old_document = models.BooleanField(_("courier takes back the old document"), default=False)
    carrier = models.CharField(_("carrier"), max_length=32)
    tracking_number = models.CharField(_("tracking number"), max_length=32, unique=True, null=True, blank=True)
    status = models.CharField(_("status"), max_length=12, choices=Status.choices, default=Status.CREATED, db_index=True)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)
    delivered_at = models.DateTimeField(_("delivered at"), null=True, blank=True)

    history = HistoricalRecords()

    class Meta:
        ordering = ["-created_at"]
        verbose_name = _("shipment")
        verbose_name_plural = _("shipments")
        constraints = [models.CheckConstraint(condition=models.Q(cod_amount__gte=0), name="shipment_cod_not_negative")]

    def __str__(self):
        return self.tracking_number or f"#{self.pk}"

    @property
    def masked_phone(self) -> str:
        return identity.mask_mobile(self.recipient_phone)

    @property
    def masked_recipient(self) -> str:
        name = self.recipient_name
        return name[:1] + "*" * (len(name) - 1) if name else ""

    @property
    def is_final(self) -> bool:
        return not self.TRANSITIONS.get(self.status)


class ShipmentEvent(models.Model):
    """One tracking event as the carrier reported it; the carrier's event id makes it idempotent."""

    shipment = models.ForeignKey(Shipment, on_delete=models.PROTECT, related_name="events", verbose_name=_("shipment"))
    event_id = models.CharField(_("carrier event id"), max_length=64, unique=True)
    status = models.CharField(_("status"), max_length=12, choices=Shipment.Status.choices)
    description = models.CharField(_("description"), max_length=200, blank=True)
    location = models.CharField(_("location"), max_length=100, blank=True)
    occurred_at = models.DateTimeField(_("occurred at"))
    received_at = models.DateTimeField(_("received at"), auto_now_add=True)

    class Meta:
        ordering = ["occurred_at", "pk"]
        verbose_name = _("tracking event")
        verbose_name_plural = _("tracking events")

    def __str__(self):
        return f"{self.occurred_at:%Y-%m-%d %H:%M} {self.get_status_display()}"
