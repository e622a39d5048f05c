"""Plate-number preselection: blocks of numbers, the pool, selections, holds and bans.

Who holds a number is decided by PostgreSQL: conditional UPDATEs on PlateNumber.status plus the
partial-unique constraints below (the last line of defence when two requests race).
"""

import datetime

from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from simple_history.models import HistoricalRecords

from portal import identity
from portal.idfields import IdHashField, IdNumberField


class PlateType(models.TextChoices):
    SMALL_CAR = "02", _("small car")
    LARGE_NEV = "51", _("large new-energy vehicle")
    SMALL_NEV = "52", _("small new-energy vehicle")


class NumberBlock(models.Model):
    """A block (号段) of numbers defined by per-position serial ranges, e.g. 苏H A000A-C999Z."""

    class Status(models.TextChoices):
        DRAFT = "draft", _("draft")
        ANNOUNCED = "announced", _("announced")
        OPEN = "open", _("open")

    city = models.ForeignKey(
        "portal.City", on_delete=models.PROTECT, related_name="plate_blocks", verbose_name=_("city")
    )
    plate_type = models.CharField(_("plate type"), max_length=2, choices=PlateType.choices, default=PlateType.SMALL_CAR)
    prefix = models.CharField(_("prefix"), max_length=2, help_text=_("Province character and issuing letter, e.g. 苏H"))
    serial_from = models.CharField(_("first serial"), max_length=6, help_text=_("e.g. A000A"))
    serial_to = models.CharField(
        _("last serial"), max_length=6, help_text=_("e.g. C999Z; each position runs over its own range")
    )
    size = models.PositiveIntegerField(_("numbers in the block"), default=0)
    status = models.CharField(_("status"), max_length=10, choices=Status.choices, default=Status.DRAFT)
    opens_at = models.DateTimeField(_("opens at"), null=True, blank=True)
    announced_at = models.DateTimeField(_("announced at"), null=True, blank=True)
    opened_at = models.DateTimeField(_("opened at"), null=True, blank=True)
    created_at = models.DateTimeField(_("created at"), default=timezone.now)
    history = HistoricalRecords()

    class Meta:
        ordering = ["city", "plate_type", "created_at", "id"]
        verbose_name = _("number block")
        verbose_name_plural = _("number blocks")
        indexes = [models.Index(fields=["city", "plate_type", "status"], name="plateblock_city_type_status")]

    def __str__(self):
        return f"{self.prefix}{self.serial_from}–{self.prefix}{self.serial_to}"


class BannedPattern(models.Model):
    """A pattern of serials a city keeps out of online selection (auction, police, 3 same digits)."""

    city = models.ForeignKey(
        "portal.City", on_delete=models.PROTECT, related_name="plate_patterns", verbose_name=_("city")
    )
    pattern = models.CharField(
        _("pattern"),
        max_length=100,
        help_text=_("Regular expression over the serial, e.g. (\\d)\\1\\1 for three same digits, ^8888 or 6$."),
    )
    reason = models.CharField(_("reason"), max_length=100)
    is_active = models.BooleanField(_("active"), default=True)
    history = HistoricalRecords()

    class Meta:
        verbose_name = _("withheld pattern")
        verbose_name_plural = _("withheld patterns")

    def __str__(self):
        return self.pattern


class PlateNumber(models.Model):
    """One number of an open block. `sort_key` is a random value fixed at creation, so a random
    batch is an index range scan from a random point (no ORDER BY random() over the pool)."""

    class Status(models.TextChoices):
        AVAILABLE = "available", _("available")
        WITHHELD = "withheld", _("withheld")
        BACKUP = "backup", _("reserved as a backup")
        HELD = "held", _("held for a vehicle")
        REGISTERED = "registered", _("registered")

    city = models.ForeignKey("portal.City", on_delete=models.PROTECT, related_name="+", verbose_name=_("city"))
    # The two foreign keys below have no index of their own: the composite indexes in Meta start
    # with them, and every claim, confirmation and release changes an indexed column of this row,
    # so each index is one more insertion per write under a rush.
    block = models.ForeignKey(
        NumberBlock, on_delete=models.PROTECT, related_name="numbers", verbose_name=_("block"), db_index=False
    )
    plate_type = models.CharField(_("plate type"), max_length=2, choices=PlateType.choices)
    number = models.CharField(_("number"), max_length=10, unique=True)
    serial = models.CharField(_("serial"), max_length=6)
    status = models.CharField(_("status"), max_length=10, choices=Status.choices, default=Status.AVAILABLE)
    sort_key = models.FloatField()
    claimed_selection = models.ForeignKey(
        "plates.Selection", on_delete=models.SET_NULL, null=True, blank=True, related_name="+", db_index=False
    )
    claim_expires_at = models.DateTimeField(null=True, blank=True)
    taken_at = models.DateTimeField(_("taken at"), null=True, blank=True)

    class Meta:
        verbose_name = _("plate number")
        verbose_name_plural = _("plate numbers")
        indexes = [
            models.Index(
                fields=["city", "plate_type", "sort_key"], name="platenumber_draw", condition=Q(status="available")
            ),
            models.Index(fields=["claimed_selection", "status"], name="platenumber_claims"),
            models.Index(
                fields=["status", "claim_expires_at"], name="platenumber_backup_expiry", condition=Q(status="backup")
            ),
            models.Index(fields=["block", "status"], name="platenumber_block_status"),
            # The daily take (selectors.daily_take), which times the next block's announcement.
            models.Index(
                fields=["city", "plate_type", "taken_at"], name="platenumber_taken", condition=Q(taken_at__isnull=False)
            ),
        ]

    def __str__(self):
        return self.number


class Selection(models.Model):
    """One citizen's preselection session for one new vehicle."""

    class Status(models.TextChoices):
        OPEN = "open", _("selecting")
        DONE = "done", _("number chosen")
        EXHAUSTED = "exhausted", _("ran out: choose at the office")
        CANCELLED = "cancelled", _("cancelled")

    city = models.ForeignKey("portal.City", on_delete=models.PROTECT, related_name="+", verbose_name=_("city"))
    vehicle = models.ForeignKey(
        "portal.Vehicle", on_delete=models.PROTECT, related_name="plate_selections", verbose_name=_("vehicle")
    )
    citizen = models.ForeignKey(
        "portal.User", on_delete=models.PROTECT, related_name="plate_selections", verbose_name=_("citizen")
    )
    plate_type = models.CharField(_("plate type"), max_length=2, choices=PlateType.choices)
    status = models.CharField(_("status"), max_length=10, choices=Status.choices, default=Status.OPEN)
    created_at = models.DateTimeField(_("started at"), default=timezone.now)
    sms_verified_at = models.DateTimeField(_("SMS verified at"), null=True, blank=True)
    batches_drawn = models.PositiveSmallIntegerField(_("random batches drawn"), default=0)
    compose_tries_used = models.PositiveSmallIntegerField(_("self-composed tries used"), default=0)
    last_compose_at = models.DateTimeField(null=True, blank=True)
    ended_at = models.DateTimeField(null=True, blank=True)
    # Who selected from where: the device flags one browser selecting for many citizens; the
    # address is shown to the reviewing clerk only (docs/rules.md §2).
    device_key = models.CharField(max_length=64, blank=True)
    ip = models.GenericIPAddressField(null=True, blank=True)
    history = HistoricalRecords()

    class Meta:
        verbose_name = _("preselection")
        verbose_name_plural = _("preselections")
        constraints = [
            models.UniqueConstraint(
                fields=["vehicle"], condition=Q(status="open"), name="selection_one_live_per_vehicle"
            ),
        ]
        # The scalper check looks back one hour by device (an address alone flags nothing, so it
        # has no index: the address is kept for the office's review only).
        indexes = [
            models.Index(fields=["device_key", "created_at"], name="selection_device_recent"),
        ]

    def __str__(self):
        return f"{self.vehicle} ({self.get_status_display()})"


class RandomBatch(models.Model):
    """One drawn batch of random numbers. Showing a number does not reserve it; moving one to the
    backups does (at most one per batch)."""

    selection = models.ForeignKey(Selection, on_delete=models.CASCADE, related_name="batches")
    numbers = models.JSONField(default=list)
    avoid_four = models.BooleanField(default=False)
    drawn_at = models.DateTimeField(default=timezone.now)
    expires_at = models.DateTimeField()
    backup = models.ForeignKey(PlateNumber, on_delete=models.SET_NULL, null=True, blank=True, related_name="+")

    class Meta:
        ordering = ["-drawn_at", "-id"]

    def __str__(self):
        return f"batch {self.pk} of selection {self.selection_id}"


class Hold(models.Model):
    """A number held for a vehicle until the end of its deadline day, then registered or gone."""

    class Status(models.TextChoices):
        HELD = "held", _("held")
        REGISTERED = "registered", _("registered")
        ABANDONED = "abandoned", _("abandoned")
        LAPSED = "lapsed", _("lapsed")
        RELEASED = "released", _("released by the office")

    class Source(models.TextChoices):
        ONLINE = "online", _("online")
        HALL = "hall", _("office hall")

    city = models.ForeignKey("portal.City", on_delete=models.PROTECT, related_name="+", verbose_name=_("city"))
    number = models.ForeignKey(PlateNumber, on_delete=models.PROTECT, related_name="holds", verbose_name=_("number"))
    vehicle = models.ForeignKey(
        "portal.Vehicle", on_delete=models.PROTECT, related_name="plate_holds", verbose_name=_("vehicle")
    )
    selection = models.OneToOneField(Selection, on_delete=models.PROTECT, null=True, blank=True, related_name="hold")
    citizen = models.ForeignKey(
        "portal.User",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="plate_holds",
        verbose_name=_("citizen"),
    )
    # Through identity.id_key(); bans and notices go to the person, account or not.
    holder_id_number = IdNumberField(_("holder's ID number"))
    holder_id_number_hash = IdHashField(source="holder_id_number", db_index=True)
    source = models.CharField(_("source"), max_length=8, choices=Source.choices, default=Source.ONLINE)
    status = models.CharField(_("status"), max_length=10, choices=Status.choices, default=Status.HELD)
    selected_on = models.DateField(_("selected on"))
    expires_at = models.DateTimeField(_("held until"))
    created_at = models.DateTimeField(_("created at"), default=timezone.now)
    ended_at = models.DateTimeField(_("ended at"), null=True, blank=True)
    reminder_sent_at = models.DateTimeField(null=True, blank=True)
    flagged = models.BooleanField(_("flagged for review"), default=False)
    flag_reason = models.CharField(_("why flagged"), max_length=200, blank=True)
    invoice = models.FileField(_("purchase invoice"), upload_to="plates/invoices/%Y/%m/", blank=True)
    invoice_uploaded_at = models.DateTimeField(_("invoice uploaded at"), null=True, blank=True)
    # Set when the invoice of a flagged hold arrives: from then on the office has the next step.
    review_due_at = models.DateTimeField(_("review due by"), null=True, blank=True)
    approved_by = models.ForeignKey(
        "portal.User", on_delete=models.PROTECT, null=True, blank=True, related_name="+", verbose_name=_("approved by")
    )
    approved_at = models.DateTimeField(_("approved at"), null=True, blank=True)
    registered_by = models.ForeignKey(
        "portal.User",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("registered by"),
    )
    history = HistoricalRecords(excluded_fields=["invoice"])

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("held number")
        verbose_name_plural = _("held numbers")
        constraints = [
            models.UniqueConstraint(
                fields=["vehicle"], condition=Q(status__in=["held", "registered"]), name="hold_one_live_per_vehicle"
            ),
            models.UniqueConstraint(
                fields=["number"], condition=Q(status__in=["held", "registered"]), name="hold_one_live_per_number"
            ),
        ]
        indexes = [models.Index(fields=["status", "expires_at"], name="hold_status_expiry")]

    def __str__(self):
        return f"{self.number} → {self.vehicle.vin}"

    @property
    def masked_holder_id(self) -> str:
        return identity.mask_id_number(self.holder_id_number)

    @property
    def needs_review(self) -> bool:
        return self.flagged and self.approved_at is None

    @property
    def under_review(self) -> bool:
        """The invoice is in and the office has not decided: the hold cannot lapse meanwhile."""
        return self.needs_review and self.invoice_uploaded_at is not None

    @property
    def review_overdue(self) -> bool:
        return self.under_review and self.review_due_at is not None and self.review_due_at < timezone.now()


class Ban(models.Model):
    """No online preselection for a person while starts_at <= now < ends_at and not lifted."""

    city = models.ForeignKey("portal.City", on_delete=models.PROTECT, related_name="+", verbose_name=_("city"))
    id_number = IdNumberField(_("ID number"))
    id_number_hash = IdHashField(source="id_number", db_index=True)
    hold = models.OneToOneField(Hold, on_delete=models.PROTECT, null=True, blank=True, related_name="ban")
    starts_at = models.DateTimeField(_("from"))
    ends_at = models.DateTimeField(_("until"))
    reason = models.CharField(_("reason"), max_length=200)
    lifted_at = models.DateTimeField(_("lifted at"), null=True, blank=True)
    lifted_by = models.ForeignKey(
        "portal.User", on_delete=models.PROTECT, null=True, blank=True, related_name="+", verbose_name=_("lifted by")
    )
    lift_reason = models.CharField(_("why lifted"), max_length=200, blank=True)
    history = HistoricalRecords()

    class Meta:
        ordering = ["-starts_at", "-id"]
        verbose_name = _("preselection ban")
        verbose_name_plural = _("preselection bans")

    def __str__(self):
        return f"{identity.mask_id_number(self.id_number)} {self.starts_at:%Y-%m-%d}–{self.ends_at:%Y-%m-%d}"

    @property
    def masked_id_number(self) -> str:
        return identity.mask_id_number(self.id_number)

    @property
    def last_day(self):
        """The last local day of the ban (ends_at is the first instant after it)."""
        return (timezone.localtime(self.ends_at) - datetime.timedelta(microseconds=1)).date()

    @property
    def is_active(self) -> bool:
        now = timezone.now()
        return self.lifted_at is None and self.starts_at <= now < self.ends_at
