"""Violation codes, violation records, penalty decisions, bindings of non-owned vehicles, the
watch list, objections and study for point reduction (docs/rules.md §5).

The database enforces what must hold when two people act at once: one decision per record
(unique), one live binding per vehicle and driver (partial unique), the record's status moves
forward only through conditional UPDATEs in violations/services.
"""

import uuid

from django.db import models
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy
from simple_history.models import HistoricalRecords

from portal import identity
from portal.idfields import IdHashField, IdNumberField

POINT_VALUES = (12, 9, 6, 3, 1, 0)  # R-PTS art 8: the only point values (docs/rules.md §5.1)


class ViolationCode(models.Model):
    """One row of the national violation-code table (违法代码), province-wide."""

    code = models.CharField(_("violation code"), max_length=6, unique=True)
    description = models.CharField(_("description"), max_length=300)
    legal_basis = models.CharField(_("rule broken"), max_length=300)
    penalty_basis = models.CharField(_("penalty basis"), max_length=300)
    fine_min = models.DecimalField(_("lowest fine (yuan)"), max_digits=8, decimal_places=2)
    fine_max = models.DecimalField(_("highest fine (yuan)"), max_digits=8, decimal_places=2)
    points = models.PositiveSmallIntegerField(_("points"), choices=[(p, str(p)) for p in POINT_VALUES])
    suspension = models.BooleanField(_("licence suspension or revocation may apply"), default=False)
    detention = models.BooleanField(_("detention may apply"), default=False)
    online_allowed = models.BooleanField(_("may be handled online"), default=True)
    source = models.CharField(_("source"), max_length=300)
    is_active = models.BooleanField(_("in use"), default=True)

    history = HistoricalRecords()

    class Meta:
        ordering = ["code"]
        verbose_name = _("violation code")
        verbose_name_plural = _("violation codes")
        constraints = [
            models.CheckConstraint(condition=models.Q(points__in=POINT_VALUES), name="vcode_points_valid"),
            models.CheckConstraint(condition=models.Q(fine_max__gte=models.F("fine_min")), name="vcode_fine_range"),
        ]

    def __str__(self):
        return f"{self.code} {self.description}"


class Violation(models.Model):
    """One recorded violation of one vehicle."""

    class Status(models.TextChoices):
        UNHANDLED = "unhandled", _("not handled")
        DECIDED = "decided", _("decided, fine unpaid")
        PAID = "paid", _("paid")
        OBJECTED = "objected", _("objection under review")
        DELETED = "deleted", pgettext_lazy("violation status", "deleted")

    class Source(models.TextChoices):
        CAMERA = "camera", _("camera (非现场)")
        ONSITE = "onsite", _("on-site ticket")

    # Statuses in which a record still stands in the way (certificates asks through selectors).
    UNSETTLED = (Status.UNHANDLED, Status.OBJECTED, Status.DECIDED)

    # No single-column indexes on city and vehicle: the composite indexes below lead with them
    # (two fewer index insertions per record on a table of tens of millions of rows).
    city = models.ForeignKey(
        "portal.City", on_delete=models.PROTECT, related_name="+", verbose_name=_("city"), db_index=False
    )
    vehicle = models.ForeignKey(
        "portal.Vehicle", on_delete=models.PROTECT, related_name="violations", verbose_name=_("vehicle"), db_index=False
    )
    # The plate as recorded: plates change hands, and the clerk searches by what was captured.
    plate_number = models.CharField(_("plate number"), max_length=10)
    # No index on code or entered_by: codes are retired (is_active), never deleted, and clerks are
    # deactivated, not deleted; an index on them would only cost every insertion.
    code = models.ForeignKey(
        ViolationCode, on_delete=models.PROTECT, related_name="+", verbose_name=_("code"), db_index=False
    )
    occurred_at = models.DateTimeField(_("time"))
    place = models.CharField(_("place"), max_length=200)
    fine = models.DecimalField(_("fine (yuan)"), max_digits=8, decimal_places=2)
    points = models.PositiveSmallIntegerField(_("points"))
    source = models.CharField(_("recorded by"), max_length=8, choices=Source.choices, default=Source.CAMERA)
    status = models.CharField(_("status"), max_length=10, choices=Status.choices, default=Status.UNHANDLED)
    entered_at = models.DateTimeField(_("entered at"))
    # R-PROC art 20: the owner is told within 5 working days of entry; set when the notice is written.
    notify_by = models.DateField(_("notify by"))
    notified_at = models.DateTimeField(_("owner notified at"), null=True, blank=True)
    deleted_reason = models.CharField(_("reason for deletion"), max_length=300, blank=True)
    entered_by = models.ForeignKey(
        "portal.User",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("entered by"),
        db_index=False,
    )

    history = HistoricalRecords()

    class Meta:
        ordering = ["-occurred_at", "-id"]
        verbose_name = _("violation")
        verbose_name_plural = _("violations")
        indexes = [
            models.Index(fields=["vehicle", "occurred_at"], name="violation_vehicle_time"),
            models.Index(fields=["city", "plate_number", "occurred_at"], name="violation_city_plate_time"),
            models.Index(fields=["city", "occurred_at"], name="violation_city_time"),
            models.Index(
                fields=["notify_by"], name="violation_unnotified", condition=models.Q(notified_at__isnull=True)
            ),
        ]
        constraints = [
            models.CheckConstraint(condition=models.Q(fine__gte=0), name="violation_fine_not_negative"),
            models.CheckConstraint(condition=models.Q(points__in=POINT_VALUES), name="violation_points_valid"),
            models.CheckConstraint(
                condition=~models.Q(status="deleted") | ~models.Q(deleted_reason=""), name="violation_deleted_reason"
            ),
        ]

    def __str__(self):
        return f"{self.plate_number} {self.occurred_at:%Y-%m-%d %H:%M} {self.code.code}"


class Decision(models.Model):
    """A penalty decision (处罚决定书) issued when a record is handled; the fine is paid on it."""

    class Status(models.TextChoices):
        UNPAID = "unpaid", _("unpaid")
        PAID = "paid", _("paid")

    number = models.CharField(_("decision number"), max_length=32, unique=True)
    violation = models.OneToOneField(
        Violation, on_delete=models.PROTECT, related_name="decision", verbose_name=_("violation")
    )
    city = models.ForeignKey("portal.City", on_delete=models.PROTECT, related_name="+", verbose_name=_("city"))
    licence = models.ForeignKey(
        "portal.DrivingLicence", on_delete=models.PROTECT, related_name="+", verbose_name=_("handler's licence")
    )
    handler_id_number = IdNumberField(_("handler's ID number"))
    handler_id_number_hash = IdHashField(source="handler_id_number", db_index=True)
    handler_name = models.CharField(_("handler"), max_length=64)
    decided_at = models.DateTimeField(_("decided at"))
    due_on = models.DateField(_("pay without surcharge by"))
    fine = models.DecimalField(_("fine (yuan)"), max_digits=8, decimal_places=2)
    points = models.PositiveSmallIntegerField(_("points"))
    # The points cycle the points count in; moved on when unpaid points carry over (R-PTS art 15).
    points_cycle_start = models.DateField(_("points counted in the cycle starting"))
    status = models.CharField(_("status"), max_length=8, choices=Status.choices, default=Status.UNPAID)
    paid_at = models.DateTimeField(_("paid at"), null=True, blank=True)
    paid_amount = models.DecimalField(_("paid (yuan)"), max_digits=9, decimal_places=2, null=True, blank=True)
    surcharge_paid = models.DecimalField(
        _("surcharge paid (yuan)"), max_digits=9, decimal_places=2, null=True, blank=True
    )
    payment_order = models.CharField(_("payment order"), max_length=32, blank=True)

    history = HistoricalRecords()

    class Meta:
        ordering = ["-decided_at"]
        verbose_name = _("penalty decision")
        verbose_name_plural = _("penalty decisions")
        indexes = [models.Index(fields=["licence", "points_cycle_start"], name="decision_licence_cycle")]

    def __str__(self):
        return self.number


class Binding(models.Model):
    """A driver's registration of another person's vehicle (备案非本人机动车)."""

    class Status(models.TextChoices):
        REQUESTED = "requested", _("awaiting the owner")
        ACTIVE = "active", _("active")
        REFUSED = "refused", _("refused by the owner")
        REVOKED = "revoked", _("revoked")

    LIVE = (Status.REQUESTED, Status.ACTIVE)

    class Relationship(models.TextChoices):
        SPOUSE = "spouse", _("spouse")
        PARENT = "parent", _("parent")
        CHILD = "child", _("child")
        RELATIVE = "relative", _("other relative")
        EMPLOYEE = "employee", _("employee of the owner")
        FRIEND = "friend", _("friend")

    city = models.ForeignKey("portal.City", on_delete=models.PROTECT, related_name="+", verbose_name=_("city"))
    vehicle = models.ForeignKey(
        "portal.Vehicle", on_delete=models.PROTECT, related_name="bindings", verbose_name=_("vehicle")
    )
    driver_id_number = IdNumberField(_("driver's ID number"))
    driver_id_number_hash = IdHashField(source="driver_id_number", db_index=True)
    driver_name = models.CharField(_("driver"), max_length=64)
    relationship = models.CharField(_("relationship"), max_length=10, choices=Relationship.choices)
    status = models.CharField(_("status"), max_length=10, choices=Status.choices, default=Status.REQUESTED)
    requested_at = models.DateTimeField(_("requested at"))
    # The binding date: only records after it are the driver's to see and handle (docs/rules.md §5.6).
    approved_at = models.DateTimeField(_("approved at"), null=True, blank=True)
    ended_at = models.DateTimeField(_("ended at"), null=True, blank=True)

    history = HistoricalRecords()

    class Meta:
        ordering = ["-requested_at"]
        verbose_name = _("binding of a non-owned vehicle")
        verbose_name_plural = _("bindings of non-owned vehicles")
        constraints = [
            models.UniqueConstraint(
                fields=["vehicle", "driver_id_number_hash"],
                condition=models.Q(status__in=["requested", "active"]),
                name="binding_one_live_per_driver",
            )
        ]

    def __str__(self):
        return f"{self.vehicle} ← {self.masked_driver_id}"

    @property
    def masked_driver_id(self) -> str:
        return identity.mask_id_number(self.driver_id_number)


class WatchEntry(models.Model):
    """The watch list of suspected proxies (涉嫌代替接受处理重点人员名单): a person or a vehicle
    whose online handling stops until a clerk clears the entry."""

    class Reason(models.TextChoices):
        PLATES_PER_DRIVER = "plates_per_driver", _("one driver handled violations of several non-owned plates")
        DRIVERS_PER_PLATE = "drivers_per_plate", _("several drivers handled one plate's violations")
        BINDING_CHANGES = "binding_changes", _("frequent binding and unbinding")

    city = models.ForeignKey("portal.City", on_delete=models.PROTECT, related_name="+", verbose_name=_("city"))
    # Either a person (ID key) or a vehicle.
    id_number = IdNumberField(_("ID number"), blank=True)
    id_number_hash = IdHashField(source="id_number", db_index=True)
    name = models.CharField(_("name"), max_length=64, blank=True)
    vehicle = models.ForeignKey(
        "portal.Vehicle", on_delete=models.PROTECT, null=True, blank=True, related_name="+", verbose_name=_("vehicle")
    )
    reason = models.CharField(_("reason"), max_length=20, choices=Reason.choices)
    detail = models.CharField(_("detail"), max_length=300)
    listed_at = models.DateTimeField(_("listed at"))
    cleared_at = models.DateTimeField(_("cleared at"), null=True, blank=True)
    cleared_by = models.ForeignKey(
        "portal.User", on_delete=models.PROTECT, null=True, blank=True, related_name="+", verbose_name=_("cleared by")
    )
    cleared_reason = models.CharField(_("reason for clearing"), max_length=300, blank=True)

    history = HistoricalRecords()

    class Meta:
        ordering = ["-listed_at"]
        verbose_name = _("watch-list entry")
        verbose_name_plural = _("watch list")
        constraints = [
            models.CheckConstraint(
                condition=~models.Q(id_number_hash="") | models.Q(vehicle__isnull=False), name="watch_person_or_vehicle"
            ),
            models.CheckConstraint(
                condition=models.Q(cleared_at__isnull=True) | ~models.Q(cleared_reason=""), name="watch_cleared_reason"
            ),
            models.UniqueConstraint(
                fields=["id_number_hash", "reason"],
                condition=models.Q(cleared_at__isnull=True, vehicle__isnull=True),
                name="watch_one_open_per_person",
            ),
            models.UniqueConstraint(
                fields=["vehicle", "reason"],
                condition=models.Q(cleared_at__isnull=True, vehicle__isnull=False),
                name="watch_one_open_per_vehicle",
            ),
        ]

    def __str__(self):
        return str(self.vehicle) if self.vehicle_id else identity.mask_id_number(self.id_number)


class Objection(models.Model):
    """An objection (异议) to a record; the clerk decides within 5 working days (R-PROC art 20)."""

    class Status(models.TextChoices):
        PENDING = "pending", _("under review")
        UPHELD = "upheld", _("upheld: record deleted")
        REJECTED = "rejected", _("rejected: record stands")

    violation = models.ForeignKey(
        Violation, on_delete=models.PROTECT, related_name="objections", verbose_name=_("violation")
    )
    city = models.ForeignKey("portal.City", on_delete=models.PROTECT, related_name="+", verbose_name=_("city"))
    filer_id_number = IdNumberField(_("filed by (ID number)"))
    filer_id_number_hash = IdHashField(source="filer_id_number", db_index=True)
    filer_name = models.CharField(_("filed by"), max_length=64)
    reason = models.TextField(_("reason"), max_length=2000)
    filed_at = models.DateTimeField(_("filed at"))
    due_on = models.DateField(_("decide by"))
    status = models.CharField(_("status"), max_length=10, choices=Status.choices, default=Status.PENDING)
    decided_at = models.DateTimeField(_("decided at"), null=True, blank=True)
    decided_by = models.ForeignKey(
        "portal.User", on_delete=models.PROTECT, null=True, blank=True, related_name="+", verbose_name=_("decided by")
    )
    decision_note = models.CharField(_("reason for the decision"), max_length=300, blank=True)

    history = HistoricalRecords()

    class Meta:
        ordering = ["due_on", "filed_at"]
        verbose_name = _("objection")
        verbose_name_plural = _("objections")
        constraints = [
            models.UniqueConstraint(
                fields=["violation"], condition=models.Q(status="pending"), name="objection_one_pending"
            )
        ]
        indexes = [models.Index(fields=["city", "status", "due_on"], name="objection_queue")]

    def __str__(self):
        return f"{self.violation} ({self.get_status_display()})"


class ObjectionPhoto(models.Model):
    """A photo of an objection, kept in the database and served only through a permission-checked
    view under a random token (never a guessable media URL)."""

    objection = models.ForeignKey(Objection, on_delete=models.CASCADE, related_name="photos")
    token = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    content_type = models.CharField(max_length=32)
    data = models.BinaryField()
    size = models.PositiveIntegerField()

    class Meta:
        verbose_name = _("objection photo")
        verbose_name_plural = _("objection photos")

    def __str__(self):
        return f"{self.content_type} {self.size} B"


class StudyMaterial(models.Model):
    """A lesson of online study for point reduction (学法减分), clerk-editable."""

    title = models.CharField(_("title"), max_length=120)
    body = models.TextField(_("text"))
    order = models.PositiveSmallIntegerField(_("order"), default=0)
    is_active = models.BooleanField(_("in use"), default=True)

    history = HistoricalRecords()

    class Meta:
        ordering = ["order", "id"]
        verbose_name = _("study material")
        verbose_name_plural = _("study materials")

    def __str__(self):
        return self.title


class StudyQuestion(models.Model):
    text = models.CharField(_("question"), max_length=300)
    option_a = models.CharField("A", max_length=200)
    option_b = models.CharField("B", max_length=200)
    option_c = models.CharField("C", max_length=200, blank=True)
    option_d = models.CharField("D", max_length=200, blank=True)
    answer = models.CharField(_("answer"), max_length=1, choices=[(c, c) for c in "ABCD"])
    explanation = models.CharField(_("explanation"), max_length=300, blank=True)
    is_active = models.BooleanField(_("in use"), default=True)

    history = HistoricalRecords()

    class Meta:
        ordering = ["id"]
        verbose_name = _("study question")
        verbose_name_plural = _("study questions")

    def __str__(self):
        return self.text


class StudySession(models.Model):
    """One driver's online study towards a 1-point reduction (R-PTS art 25)."""

    class Status(models.TextChoices):
        STUDYING = "studying", _("studying")
        PASSED = "passed", _("passed: 1 point taken off")
        FAILED = "failed", _("test failed")
        EXPIRED = "expired", _("expired")

    licence = models.ForeignKey(
        "portal.DrivingLicence", on_delete=models.PROTECT, related_name="+", verbose_name=_("licence")
    )
    cycle_start = models.DateField(_("points cycle"))
    started_at = models.DateTimeField(_("started at"))
    last_seen_at = models.DateTimeField(_("last active at"))
    seconds_studied = models.PositiveIntegerField(_("seconds studied"), default=0)
    status = models.CharField(_("status"), max_length=10, choices=Status.choices, default=Status.STUDYING)
    finished_at = models.DateTimeField(_("finished at"), null=True, blank=True)
    points_taken_off = models.PositiveSmallIntegerField(_("points taken off"), default=0)

    history = HistoricalRecords()

    class Meta:
        ordering = ["-started_at"]
        verbose_name = _("study session")
        verbose_name_plural = _("study sessions")
        constraints = [
            models.UniqueConstraint(
                fields=["licence"], condition=models.Q(status="studying"), name="study_one_open_per_licence"
            )
        ]

    def __str__(self):
        return f"{self.licence} {self.started_at:%Y-%m-%d}"


# Accident quick settlement lives in its own module (docs/architecture.md "Accident quick settlement").
from violations.models_accident import (  # noqa: E402, F401
    AccidentCase,
    AccidentParty,
    AccidentPhoto,
    InsurerNotice,
)
