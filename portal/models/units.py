"""Unit accounts (重点对象管理): transport firms, the 两客一危 carriers of passengers and dangerous
goods, and driving schools, each opened by a clerk after checking the unit's licence at the
counter (docs/rules.md §1.2). Rows refer to accounts and registry rows, never to ID numbers."""

from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from simple_history.models import HistoricalRecords


class Unit(models.Model):
    class Kind(models.TextChoices):
        TRANSPORT = "transport", _("road transport firm")
        PASSENGER = "passenger", _("coach or tourist-bus carrier (两客)")
        DANGEROUS = "dangerous", _("dangerous-goods carrier (一危)")
        SCHOOL = "school", _("driving school")

    city = models.ForeignKey("portal.City", on_delete=models.PROTECT, related_name="units", verbose_name=_("city"))
    name = models.CharField(_("unit name"), max_length=100)
    kind = models.CharField(_("kind"), max_length=10, choices=Kind.choices)
    # 道路运输经营许可证 or the driving school's training licence, seen at the counter.
    licence_number = models.CharField(_("operating licence number"), max_length=32, unique=True)
    licence_checked_at = models.DateTimeField(_("licence checked at"), null=True, blank=True, editable=False)
    licence_checked_by = models.ForeignKey(
        "portal.User",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        editable=False,
        related_name="+",
        verbose_name=_("licence checked by"),
    )
    is_active = models.BooleanField(_("active"), default=True)
    created_at = models.DateTimeField(_("created at"), default=timezone.now, editable=False)
    history = HistoricalRecords()

    class Meta:
        ordering = ["name", "id"]
        verbose_name = _("unit")
        verbose_name_plural = _("units")

    def __str__(self):
        return self.name

    @property
    def is_school(self) -> bool:
        return self.kind == self.Kind.SCHOOL


class UnitMember(models.Model):
    """A staff login of a unit; a unit admin adds and removes the others. One unit per account."""

    unit = models.ForeignKey(Unit, on_delete=models.CASCADE, related_name="members", verbose_name=_("unit"))
    user = models.OneToOneField(
        "portal.User", on_delete=models.CASCADE, related_name="unit_membership", verbose_name=_("user")
    )
    is_admin = models.BooleanField(_("unit administrator"), default=False)
    added_at = models.DateTimeField(_("added at"), default=timezone.now)
    history = HistoricalRecords()

    class Meta:
        ordering = ["-is_admin", "id"]
        verbose_name = _("unit staff")
        verbose_name_plural = _("unit staff")

    def __str__(self):
        return f"{self.user.real_name} @ {self.unit}"


class UnitVehicle(models.Model):
    """A vehicle the unit runs (registered to it at the counter)."""

    unit = models.ForeignKey(Unit, on_delete=models.CASCADE, related_name="vehicles", verbose_name=_("unit"))
    vehicle = models.OneToOneField(
        "portal.Vehicle", on_delete=models.CASCADE, related_name="unit_link", verbose_name=_("vehicle")
    )
    added_at = models.DateTimeField(_("added at"), default=timezone.now)
    history = HistoricalRecords()

    class Meta:
        ordering = ["id"]
        verbose_name = _("unit vehicle")
        verbose_name_plural = _("unit vehicles")

    def __str__(self):
        return str(self.vehicle)


class UnitDriver(models.Model):
    """A driver the unit employs (their licence registered to it at the counter)."""

    unit = models.ForeignKey(Unit, on_delete=models.CASCADE, related_name="drivers", verbose_name=_("unit"))
    licence = models.ForeignKey(
        "portal.DrivingLicence",
        on_delete=models.CASCADE,
        related_name="unit_drivers",
        verbose_name=_("driving licence"),
    )
    added_at = models.DateTimeField(_("added at"), default=timezone.now)
    history = HistoricalRecords()

    class Meta:
        ordering = ["id"]
        verbose_name = _("unit driver")
        verbose_name_plural = _("unit drivers")
        constraints = [models.UniqueConstraint(fields=["unit", "licence"], name="unit_driver_once")]

    def __str__(self):
        return str(self.licence)
