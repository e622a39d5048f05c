"""What the platform knows of vehicles and licences: synced from the office systems in a real
deployment, filled by `manage.py demo` here. Rows link to citizens by ID number, not by account,
so a citizen who registers later sees theirs at once."""

from django.db import models
from django.utils.translation import gettext_lazy as _
from simple_history.models import HistoricalRecords

from portal import identity
from portal.idfields import BirthDateField, IdHashField, IdNumberField


class PlateType(models.TextChoices):
    # GA 24.7 号牌种类 codes (hpzl); the portal handles the ones preselection and notices need.
    LARGE = "01", _("large vehicle")
    SMALL = "02", _("small car")
    MOTORCYCLE = "07", _("ordinary motorcycle")
    TRAILER = "15", _("trailer")
    LARGE_NEV = "51", _("large new-energy vehicle")
    SMALL_NEV = "52", _("small new-energy vehicle")


class VehicleQuerySet(models.QuerySet):
    def owned_by(self, id_number: str):
        return self.filter(owner_id_number_hash=identity.id_key(id_number))


class Vehicle(models.Model):
    class Kind(models.TextChoices):
        # Inspection cycles depend on these groups (实施条例 art 16; docs/rules.md §6.1).
        SMALL_PASSENGER = "small_passenger", _("small/micro passenger car")
        LARGE_PASSENGER = "large_passenger", _("large/medium passenger vehicle")
        TRUCK = "truck", _("truck")
        MOTORCYCLE = "motorcycle", _("motorcycle")
        OTHER = "other", _("tractor or other")

    class Status(models.TextChoices):
        NEW = "new", _("new, not yet registered")
        NORMAL = "normal", _("normal")
        OVERDUE_INSPECTION = "overdue", _("inspection overdue")
        SCRAP = "scrap", _("compulsory scrapping")
        DEREGISTERED = "deregistered", _("deregistered")

    city = models.ForeignKey("portal.City", on_delete=models.PROTECT, related_name="vehicles", verbose_name=_("city"))
    vin = models.CharField(_("VIN"), max_length=17, unique=True)
    conformity_cert_number = models.CharField(_("conformity certificate number"), max_length=32, blank=True)
    # A driver binding another person's car proves it with the engine number's last 6 characters.
    # A database default too: set-based seeding (bench, sync jobs) may leave the column out.
    engine_number = models.CharField(_("engine number"), max_length=32, blank=True, default="", db_default="")
    plate_number = models.CharField(_("plate number"), max_length=10, null=True, blank=True, unique=True)
    plate_type = models.CharField(_("plate type"), max_length=2, choices=PlateType.choices, default=PlateType.SMALL)
    owner_id_number = IdNumberField(_("owner's ID number"))
    owner_id_number_hash = IdHashField(source="owner_id_number", db_index=True)
    owner_name = models.CharField(_("owner"), max_length=64)
    # The owner's mobile on file (联系电话): the registry's proof of who may see the record online.
    owner_mobile = models.CharField(_("owner's mobile on file"), max_length=11, blank=True, default="", db_default="")
    kind = models.CharField(_("vehicle kind"), max_length=16, choices=Kind.choices, default=Kind.SMALL_PASSENGER)
    is_commercial = models.BooleanField(_("commercial use"), default=False)
    is_van = models.BooleanField(_("van (面包车)"), default=False)
    seats = models.PositiveSmallIntegerField(_("seats"), default=5)
    brand = models.CharField(_("brand"), max_length=32, blank=True)
    model_name = models.CharField(_("model"), max_length=64, blank=True)
    manufactured_on = models.DateField(_("manufactured on"), null=True, blank=True)
    registered_on = models.DateField(_("registered on"), null=True, blank=True)
    inspection_valid_until = models.DateField(_("inspection valid until"), null=True, blank=True)
    status = models.CharField(_("status"), max_length=16, choices=Status.choices, default=Status.NEW)

    objects = VehicleQuerySet.as_manager()
    history = HistoricalRecords()

    class Meta:
        ordering = ["id"]
        verbose_name = _("vehicle")
        verbose_name_plural = _("vehicles")
        indexes = [
            models.Index(fields=["city", "status"], name="vehicle_city_status"),
            models.Index(fields=["inspection_valid_until"], name="vehicle_inspection_until"),
        ]

    def __str__(self):
        return self.plate_number or self.vin

    @property
    def masked_owner_id(self) -> str:
        return identity.mask_id_number(self.owner_id_number)


class DrivingLicenceQuerySet(models.QuerySet):
    def held_by(self, id_number: str):
        return self.filter(id_number_hash=identity.id_key(id_number))


class DrivingLicence(models.Model):
    class Status(models.TextChoices):
        NORMAL = "normal", _("normal")
        FULL_SCORE = "full_score", _("12 points reached")
        SEIZED = "seized", _("seized")
        SUSPENDED = "suspended", _("suspended")
        OVERDUE = "overdue", _("renewal overdue")
        CANCELLED = "cancelled", _("cancelled")

    city = models.ForeignKey(
        "portal.City", on_delete=models.PROTECT, related_name="licences", verbose_name=_("issuing city")
    )
    # The licence number of a mainland driver is their resident ID number; the file number
    # (档案编号) is what identifies the licence record in the office systems.
    id_number = IdNumberField(_("ID number"))
    id_number_hash = IdHashField(source="id_number", db_index=True)
    file_number = models.CharField(_("file number"), max_length=12, unique=True)
    holder_name = models.CharField(_("holder"), max_length=64)
    # From the ID number on every save: the 70+ medical sweep counts ages in SQL (docs/rules.md §6.2).
    holder_born_on = BirthDateField(_("holder born on"), source="id_number")
    mobile = models.CharField(_("holder's mobile on file"), max_length=11, blank=True, default="", db_default="")
    licence_class = models.CharField(_("class"), max_length=8, default="C1")
    first_issued_on = models.DateField(_("first issued on"))
    valid_from = models.DateField(_("valid from"))
    valid_until = models.DateField(_("valid until"), null=True, blank=True, help_text=_("Empty: long-term"))
    points = models.PositiveSmallIntegerField(_("points this cycle"), default=0)
    cycle_start = models.DateField(_("points cycle starts"))
    status = models.CharField(_("status"), max_length=16, choices=Status.choices, default=Status.NORMAL)
    # A deferral the office approved for military service or a stay abroad (R-DL, docs/rules.md
    # §4.7): the date by which renewal, the review (审验) or the medical is due instead. Set only
    # through portal.registry_services.licence_deferral_set; the notice sweeps read the renewal one.
    renewal_deferred_until = models.DateField(_("renewal deferred until"), null=True, blank=True)
    review_deferred_until = models.DateField(_("review deferred until"), null=True, blank=True)
    medical_deferred_until = models.DateField(_("medical deferred until"), null=True, blank=True)

    objects = DrivingLicenceQuerySet.as_manager()
    history = HistoricalRecords()

    class Meta:
        ordering = ["id"]
        verbose_name = _("driving licence")
        verbose_name_plural = _("driving licences")
        constraints = [models.CheckConstraint(condition=models.Q(points__lte=99), name="licence_points_sane")]
        indexes = [
            models.Index(fields=["valid_until"], name="licence_valid_until"),
            # The 70+ medical sweep's range (docs/rules.md §6.2): a small share of all licences.
            models.Index(fields=["holder_born_on"], name="licence_holder_born_on"),
        ]

    def __str__(self):
        return f"{self.licence_class} {self.masked_id_number}"

    @property
    def masked_id_number(self) -> str:
        return identity.mask_id_number(self.id_number)

    @property
    def renewal_due(self):
        """The last day of validity renewal counts from: the deferred date once one is approved."""
        if self.valid_until is None:
            return None
        return max(self.valid_until, self.renewal_deferred_until or self.valid_until)
