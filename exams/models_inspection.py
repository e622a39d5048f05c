"""Inspection booking (车检预约, docs/rules.md §6.4): stations, their time slots, bookings.

Part of the exams app because the founding document's category is one service, "驾考和车检预约"
(docs/architecture.md). What must hold under a rush is enforced by PostgreSQL: a slot's
`booked` never exceeds its `capacity` (the conditional UPDATE in exams.services.inspection and,
as the last line of defence, a check constraint), and a vehicle has at most one active booking
(partial unique constraint).
"""

from django.contrib.postgres.fields import ArrayField
from django.db import models
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy
from simple_history.models import HistoricalRecords

from portal import identity
from portal.idfields import IdHashField, IdNumberField
from portal.models import Vehicle


class InspectionStation(models.Model):
    """A motor-vehicle inspection station (机动车检验机构) and its slot template."""

    city = models.ForeignKey(
        "portal.City", on_delete=models.PROTECT, related_name="inspection_stations", verbose_name=_("city")
    )
    name = models.CharField(_("name"), max_length=64)
    address = models.CharField(_("address"), max_length=200)
    phone = models.CharField(_("phone"), max_length=32, blank=True)
    lanes = models.PositiveSmallIntegerField(_("inspection lanes"), default=1)
    vehicle_kinds = ArrayField(
        models.CharField(max_length=16, choices=Vehicle.Kind.choices), verbose_name=_("vehicle kinds tested")
    )
    # The template slots are generated from (exams.services.inspection.slots_generate).
    opens_at = models.TimeField(_("opens at"))
    closes_at = models.TimeField(_("closes at"))
    break_from = models.TimeField(_("midday break from"), null=True, blank=True)
    break_until = models.TimeField(_("midday break until"), null=True, blank=True)
    slot_minutes = models.PositiveSmallIntegerField(_("slot length (minutes)"), default=60)
    slot_capacity = models.PositiveSmallIntegerField(
        _("vehicles per slot"), help_text=_("Across all lanes; each generated slot starts with this capacity")
    )
    is_active = models.BooleanField(_("in use"), default=True)

    history = HistoricalRecords()

    class Meta:
        ordering = ["city", "name"]
        verbose_name = _("inspection station")
        verbose_name_plural = _("inspection stations")
        constraints = [
            models.UniqueConstraint(fields=["city", "name"], name="inspectionstation_unique_name"),
            models.CheckConstraint(
                condition=models.Q(closes_at__gt=models.F("opens_at")), name="inspectionstation_hours_order"
            ),
            models.CheckConstraint(condition=models.Q(slot_minutes__gte=10), name="inspectionstation_slot_length"),
        ]

    def __str__(self):
        return self.name

    @property
    def hours(self) -> str:
        text = f"{self.opens_at:%H:%M}-{self.closes_at:%H:%M}"
        if self.break_from and self.break_until:
            text = f"{self.opens_at:%H:%M}-{self.break_from:%H:%M}, {self.break_until:%H:%M}-{self.closes_at:%H:%M}"
        return text

    @property
    def kind_labels(self) -> list[str]:
        labels = dict(Vehicle.Kind.choices)
        return [str(labels.get(k, k)) for k in self.vehicle_kinds]

    def tests_kind(self, kind: str) -> bool:
        return kind in self.vehicle_kinds


class InspectionSlot(models.Model):
    """One time slot of one station on one day, with how many vehicles it takes and has booked."""

    city = models.ForeignKey("portal.City", on_delete=models.PROTECT, related_name="+", verbose_name=_("city"))
    station = models.ForeignKey(
        InspectionStation, on_delete=models.PROTECT, related_name="slots", verbose_name=_("station")
    )
    date = models.DateField(_("date"))
    starts_at = models.TimeField(_("starts at"))
    ends_at = models.TimeField(_("ends at"))
    capacity = models.PositiveSmallIntegerField(pgettext_lazy("inspection slot", "capacity"))
    # Kept by the conditional UPDATEs of exams.services.inspection, never by a form.
    booked = models.PositiveSmallIntegerField(_("booked"), default=0)

    history = HistoricalRecords()

    class Meta:
        ordering = ["date", "starts_at", "station"]
        verbose_name = _("inspection slot")
        verbose_name_plural = _("inspection slots")
        constraints = [
            models.UniqueConstraint(fields=["station", "date", "starts_at"], name="inspectionslot_unique_start"),
            models.CheckConstraint(condition=models.Q(ends_at__gt=models.F("starts_at")), name="inspectionslot_order"),
            # The last line of defence behind the conditional UPDATE (docs/architecture.md).
            models.CheckConstraint(
                condition=models.Q(booked__lte=models.F("capacity")), name="inspectionslot_not_overbooked"
            ),
        ]
        indexes = [models.Index(fields=["city", "date"], name="inspectionslot_city_date")]

    def __str__(self):
        return f"{self.date} {self.session} {self.station}"

    @property
    def session(self) -> str:
        return f"{self.starts_at:%H:%M}-{self.ends_at:%H:%M}"

    @property
    def free(self) -> int:
        return max(self.capacity - self.booked, 0)


class InspectionBooking(models.Model):
    """A citizen's booking of a slot for one of their vehicles, and its outcome."""

    class Status(models.TextChoices):
        BOOKED = "booked", _("booked")
        CANCELLED = "cancelled", _("cancelled")
        PASSED = "passed", _("inspected: passed")
        FAILED = "failed", _("inspected: failed")
        NO_SHOW = "no_show", _("did not come")

    city = models.ForeignKey("portal.City", on_delete=models.PROTECT, related_name="+", verbose_name=_("city"))
    slot = models.ForeignKey(InspectionSlot, on_delete=models.PROTECT, related_name="bookings", verbose_name=_("slot"))
    vehicle = models.ForeignKey(
        "portal.Vehicle", on_delete=models.PROTECT, related_name="inspection_bookings", verbose_name=_("vehicle")
    )
    # The booker: the vehicle's owner at booking time. Encrypted, found by its keyed hash
    # identity.id_key() (portal.idfields, docs/rules.md §1).
    id_number = IdNumberField(_("ID number"))
    id_number_hash = IdHashField(db_index=True)
    status = models.CharField(_("status"), max_length=10, choices=Status.choices, default=Status.BOOKED)
    # The validity end this inspection renews (the registry's value when booked).
    due_on = models.DateField(_("inspection due on"), null=True, blank=True)
    moves = models.PositiveSmallIntegerField(_("times moved"), default=0)
    created_at = models.DateTimeField(_("booked at"), auto_now_add=True)
    changed_at = models.DateTimeField(_("last changed at"), auto_now=True)
    result_at = models.DateTimeField(_("result entered at"), null=True, blank=True)
    result_note = models.CharField(_("result note"), max_length=200, blank=True)
    result_by = models.ForeignKey(
        "portal.User", on_delete=models.SET_NULL, null=True, blank=True, related_name="+", verbose_name=_("entered by")
    )
    # docs/rules.md §6.4: a passed car with unsettled violations gets its mark (and new validity)
    # only once they are settled; until then this stays empty.
    mark_issued_at = models.DateTimeField(_("inspection mark issued at"), null=True, blank=True)
    valid_until_after = models.DateField(_("inspection valid until (after this inspection)"), null=True, blank=True)

    history = HistoricalRecords()

    class Meta:
        ordering = ["-created_at"]
        verbose_name = _("inspection booking")
        verbose_name_plural = _("inspection bookings")
        constraints = [
            models.UniqueConstraint(
                fields=["vehicle"], condition=models.Q(status="booked"), name="inspectionbooking_one_active"
            )
        ]
        indexes = [models.Index(fields=["city", "status"], name="inspectionbooking_city_status")]

    def __str__(self):
        return self.number

    @property
    def number(self) -> str:
        return f"J{self.pk:08d}"

    @property
    def masked_id_number(self) -> str:
        return identity.mask_id_number(self.id_number)

    @property
    def is_active(self) -> bool:
        return self.status == self.Status.BOOKED

    @property
    def mark_pending(self) -> bool:
        return self.status == self.Status.PASSED and self.mark_issued_at is None
