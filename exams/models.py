"""Exam sites, published plans (sessions), learner records, seat requests and results.

The database enforces what must hold under a rush: one live request or booking per candidate
and subject (partial unique constraint), one result per booking, and the plan's status moves
forward by conditional UPDATEs in exams.services.
"""

from django.contrib.postgres.fields import ArrayField
from django.db import models
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy
from simple_history.models import HistoricalRecords

from portal import identity
from portal.idfields import IdHashField, IdNumberField


class Subject(models.TextChoices):
    # docs/rules.md §3: 科目三 has two parts booked separately; "4" is the popular "科目四".
    ONE = "1", _("Subject 1 (theory)")
    TWO = "2", _("Subject 2 (closed-site skills)")
    ROAD = "3", _("Subject 3 road test")
    SAFETY = "4", _("Subject 3 safe and civil driving theory")


class LicenceClass(models.TextChoices):
    A1 = "A1", _("A1 large bus")
    A2 = "A2", _("A2 heavy trailer")
    A3 = "A3", _("A3 city bus")
    B1 = "B1", _("B1 medium bus")
    B2 = "B2", _("B2 large truck")
    C1 = "C1", _("C1 small car")
    C2 = "C2", _("C2 small automatic car")
    C3 = "C3", _("C3 low-speed truck")
    C4 = "C4", _("C4 tricar")
    C5 = "C5", _("C5 small automatic car for the disabled")
    C6 = "C6", _("C6 light trailer")
    D = "D", _("D ordinary three-wheeled motorcycle")
    E = "E", _("E ordinary two-wheeled motorcycle")
    F = "F", _("F light motorcycle")
    M = "M", _("M wheeled machinery")
    N = "N", _("N trolleybus")
    P = "P", _("P tram")


class ExamSite(models.Model):
    """A test centre (考场) with the subjects and classes it examines and its daily load (R-DL art 48)."""

    city = models.ForeignKey("portal.City", on_delete=models.PROTECT, related_name="exam_sites", verbose_name=_("city"))
    name = models.CharField(_("name"), max_length=64)
    address = models.CharField(_("address"), max_length=200, blank=True)
    subjects = ArrayField(models.CharField(max_length=1, choices=Subject.choices), verbose_name=_("subjects examined"))
    licence_classes = ArrayField(models.CharField(max_length=2), verbose_name=_("licence classes examined"))
    daily_capacity = models.PositiveIntegerField(_("daily capacity"))
    is_active = models.BooleanField(_("in use"), default=True)

    history = HistoricalRecords()

    class Meta:
        ordering = ["city", "name"]
        verbose_name = _("exam site")
        verbose_name_plural = _("exam sites")
        constraints = [models.UniqueConstraint(fields=["city", "name"], name="examsite_unique_name")]

    def __str__(self):
        return self.name


class ExamPlan(models.Model):
    """One session (场次) of one subject at one site on one day."""

    class Status(models.TextChoices):
        DRAFT = "draft", _("draft")
        PUBLISHED = "published", _("published, taking requests")
        ALLOCATED = "allocated", _("seats allocated")
        DONE = "done", _("results entered")
        CANCELLED = "cancelled", _("cancelled by the office")

    city = models.ForeignKey("portal.City", on_delete=models.PROTECT, related_name="exam_plans", verbose_name=_("city"))
    site = models.ForeignKey(ExamSite, on_delete=models.PROTECT, related_name="plans", verbose_name=_("site"))
    subject = models.CharField(_("subject"), max_length=1, choices=Subject.choices)
    licence_classes = ArrayField(models.CharField(max_length=2), verbose_name=_("licence classes"))
    date = models.DateField(_("exam date"))
    starts_at = models.TimeField(_("session starts"))
    ends_at = models.TimeField(_("session ends"))
    # "seats" alone is a vehicle's passenger capacity in portal's catalogue (核定载客人数).
    capacity = models.PositiveIntegerField(pgettext_lazy("exam plan", "seats"))
    status = models.CharField(_("status"), max_length=10, choices=Status.choices, default=Status.DRAFT)
    published_at = models.DateTimeField(_("published at"), null=True, blank=True)
    # Set at publication; the window is open before this day (docs/rules.md §3: 3 working days ahead).
    closes_on = models.DateField(_("booking window closes on"), null=True, blank=True)
    # The draw's tie-break (docs/rules.md §3): drawn at publication and kept secret while the
    # window is open, so no one can compute a request's hash before applying; its SHA-256
    # commitment is published with the plan, and the seed itself once the window closes, so
    # anyone can check the two against each other and re-run the draw.
    seed = models.CharField(_("draw seed"), max_length=64, blank=True)
    seed_commitment = models.CharField(_("draw seed commitment (SHA-256)"), max_length=64, blank=True)
    allocated_at = models.DateTimeField(_("allocated at"), null=True, blank=True)
    decisions_sent_at = models.DateTimeField(_("draw notices sent at"), null=True, blank=True)

    history = HistoricalRecords()

    class Meta:
        ordering = ["date", "starts_at", "id"]
        verbose_name = _("exam plan")
        verbose_name_plural = _("exam plans")
        indexes = [
            models.Index(fields=["city", "status", "date"], name="examplan_city_status_date"),
            models.Index(fields=["status", "closes_on"], name="examplan_status_closes"),
        ]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(ends_at__gt=models.F("starts_at")), name="examplan_session_order"
            ),
            models.CheckConstraint(condition=models.Q(capacity__gt=0), name="examplan_capacity_positive"),
        ]

    def __str__(self):
        return f"{self.date} {self.starts_at:%H:%M} {self.site} {self.get_subject_display()}"

    @property
    def session(self) -> str:
        return f"{self.starts_at:%H:%M}-{self.ends_at:%H:%M}"


class LearnerRecord(models.Model):
    """A licence application (驾驶证申请) and its progress: permit, passes, bookings used."""

    class Status(models.TextChoices):
        ACTIVE = "active", _("in progress")
        COMPLETED = "completed", _("all subjects passed")
        VOID = "void", _("void")

    city = models.ForeignKey(
        "portal.City", on_delete=models.PROTECT, related_name="learner_records", verbose_name=_("city")
    )
    # Stored as identity.id_key(); the candidate's account is found by it, not linked.
    id_number = IdNumberField(_("ID number"))
    id_number_hash = IdHashField(source="id_number", db_index=True)
    name = models.CharField(_("name"), max_length=64)
    licence_class = models.CharField(_("class applied for"), max_length=2, choices=LicenceClass.choices)
    application_accepted_at = models.DateTimeField(_("application accepted at"))
    holds_car_licence = models.BooleanField(
        _("already holds a car-class licence"),
        default=False,
        help_text=_("Shortens the subject 3 wait for large classes to 30 days"),
    )
    permit_number = models.CharField(_("learner permit number"), max_length=24, blank=True)
    permit_issued_on = models.DateField(_("learner permit issued on"), null=True, blank=True)
    permit_valid_until = models.DateField(_("learner permit valid until"), null=True, blank=True)
    subject1_passed_on = models.DateField(_("subject 1 passed on"), null=True, blank=True)
    subject2_passed_on = models.DateField(_("subject 2 passed on"), null=True, blank=True)
    road_passed_on = models.DateField(_("road test passed on"), null=True, blank=True)
    safety_passed_on = models.DateField(_("safe-driving theory passed on"), null=True, blank=True)
    subject2_bookings = models.PositiveSmallIntegerField(_("subject 2 bookings used"), default=0)
    road_bookings = models.PositiveSmallIntegerField(_("road test bookings used"), default=0)
    last_exam_on = models.DateField(_("last exam date"), null=True, blank=True)
    # A self-cancellation (online withdrawal, counter cancellation) or a no-show: ranks later.
    last_cancel_at = models.DateTimeField(_("last self-cancellation or no-show"), null=True, blank=True)
    priority_used = ArrayField(
        models.CharField(max_length=1), default=list, blank=True, verbose_name=_("priority bookings used")
    )
    status = models.CharField(_("status"), max_length=10, choices=Status.choices, default=Status.ACTIVE)
    voided_on = models.DateField(_("voided on"), null=True, blank=True)
    # The driving school that trains the candidate (a unit account, docs/rules.md §1.2): it sees
    # this record's exam requests and results on its dashboard.
    school = models.ForeignKey(
        "portal.Unit",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        limit_choices_to={"kind": "school"},
        verbose_name=_("driving school"),
    )

    history = HistoricalRecords()

    class Meta:
        ordering = ["-application_accepted_at"]
        verbose_name = _("learner record")
        verbose_name_plural = _("learner records")
        constraints = [
            models.UniqueConstraint(
                fields=["id_number_hash", "licence_class"],
                condition=models.Q(status="active"),
                name="learnerrecord_one_active",
            )
        ]

    def __str__(self):
        return f"{self.name} {self.masked_id_number} {self.licence_class}"

    @property
    def masked_id_number(self) -> str:
        return identity.mask_id_number(self.id_number)

    def passed_on(self, subject: str):
        # Plain-string keys: an Enum member does not hash like the string read from the database.
        return {
            "1": self.subject1_passed_on,
            "2": self.subject2_passed_on,
            "3": self.road_passed_on,
            "4": self.safety_passed_on,
        }[str(subject)]


LIVE_STATUSES = ("requested", "allocated", "offered")


class ExamRequest(models.Model):
    """A request for a seat (预约申请); once allocated it is the booking itself."""

    class Channel(models.TextChoices):
        ONLINE = "online", _("internet")
        PHONE = "phone", _("telephone")
        COUNTER = "counter", _("counter")

    class Status(models.TextChoices):
        REQUESTED = "requested", _("being processed")
        WITHDRAWN = "withdrawn", _("withdrawn")
        ALLOCATED = "allocated", _("seat allocated")
        NOT_ALLOCATED = "not_allocated", _("not allocated")
        CANCELLED = "cancelled", _("cancelled at the counter")
        OFFERED = "offered", _("freed seat offered")
        OFFER_DECLINED = "offer_declined", _("offer declined")
        OFFER_EXPIRED = "offer_expired", _("offer expired")
        UNPAID = "unpaid", _("freed: fee not paid in time")
        OFFICE_CANCELLED = "office_cancelled", _("cancelled by the office")
        COMPLETED = "completed", _("exam taken")

    plan = models.ForeignKey(ExamPlan, on_delete=models.PROTECT, related_name="requests", verbose_name=_("plan"))
    record = models.ForeignKey(
        LearnerRecord, on_delete=models.PROTECT, related_name="requests", verbose_name=_("learner record")
    )
    city = models.ForeignKey("portal.City", on_delete=models.PROTECT, related_name="+", verbose_name=_("city"))
    id_number = IdNumberField(_("ID number"))
    id_number_hash = IdHashField(source="id_number")
    # Copied from the plan so the database can enforce one live request per subject.
    subject = models.CharField(_("subject"), max_length=1, choices=Subject.choices)
    channel = models.CharField(_("channel"), max_length=8, choices=Channel.choices, default=Channel.ONLINE)
    status = models.CharField(_("status"), max_length=16, choices=Status.choices, default=Status.REQUESTED)
    # The ranking key (docs/rules.md §3), fixed when the request is made.
    priority = models.BooleanField(_("priority booking (permit under 6 months)"), default=False)
    key_time = models.DateTimeField(_("ranking time"))
    draw_hash = models.CharField(_("draw hash"), max_length=64)
    rank = models.PositiveIntegerField(_("rank in the draw"), null=True, blank=True)
    created_at = models.DateTimeField(_("requested at"), auto_now_add=True)
    decided_at = models.DateTimeField(_("decided at"), null=True, blank=True)
    offer_expires_at = models.DateTimeField(_("offer expires at"), null=True, blank=True)
    # The exam fee of an allocated seat (docs/rules.md §3), fixed when the seat is given: paid
    # through portal.payments by fee_due_at or the seat is freed; None: the subject has no fee.
    fee = models.DecimalField(_("exam fee (yuan)"), max_digits=8, decimal_places=2, null=True, blank=True)
    fee_due_at = models.DateTimeField(_("fee to be paid by"), null=True, blank=True)
    fee_paid_at = models.DateTimeField(_("fee paid at"), null=True, blank=True)
    created_by = models.ForeignKey(
        "portal.User", on_delete=models.SET_NULL, null=True, blank=True, related_name="+", verbose_name=_("entered by")
    )

    history = HistoricalRecords()

    class Meta:
        ordering = ["plan", "rank", "id"]
        verbose_name = _("exam request")
        verbose_name_plural = _("exam requests")
        constraints = [
            models.UniqueConstraint(
                fields=["id_number_hash", "subject"],
                condition=models.Q(status__in=LIVE_STATUSES),
                name="examrequest_one_live_per_subject",
            )
        ]
        indexes = [
            models.Index(fields=["plan", "status"], name="examrequest_plan_status"),
            models.Index(fields=["id_number_hash", "subject", "status"], name="examrequest_person_subject"),
            models.Index(fields=["status", "offer_expires_at"], name="examrequest_offer_expiry"),
        ]

    def __str__(self):
        return self.number

    @property
    def number(self) -> str:
        """The public request number shown in the draw list."""
        return f"{self.plan_id}-{self.pk:07d}"

    @property
    def masked_id_number(self) -> str:
        return identity.mask_id_number(self.id_number)

    @property
    def is_live(self) -> bool:
        return self.status in LIVE_STATUSES

    @property
    def payment_reference(self) -> str:
        """The reference of this booking's fee in portal.payments."""
        return f"exams.request:{self.pk}"

    @property
    def fee_owed(self) -> bool:
        return self.status == self.Status.ALLOCATED and self.fee is not None and self.fee_paid_at is None


class ExamResult(models.Model):
    """The outcome of one booking: the attempt and the free same-day retake (R-DL art 46)."""

    class Outcome(models.TextChoices):
        PASS = "pass", _("passed")
        RETAKE_PASS = "retake_pass", _("failed, passed the retake")
        FAIL = "fail", _("failed (attempt and retake)")
        NO_SHOW = "no_show", _("did not attend")

    request = models.OneToOneField(
        ExamRequest, on_delete=models.PROTECT, related_name="result", verbose_name=_("booking")
    )
    outcome = models.CharField(_("outcome"), max_length=12, choices=Outcome.choices)
    score = models.PositiveSmallIntegerField(_("score"), null=True, blank=True)
    retake_score = models.PositiveSmallIntegerField(_("retake score"), null=True, blank=True)
    entered_at = models.DateTimeField(_("entered at"), auto_now_add=True)
    entered_by = models.ForeignKey(
        "portal.User", on_delete=models.SET_NULL, null=True, blank=True, related_name="+", verbose_name=_("entered by")
    )

    history = HistoricalRecords()

    class Meta:
        verbose_name = _("exam result")
        verbose_name_plural = _("exam results")

    def __str__(self):
        return f"{self.request} {self.get_outcome_display()}"

    @property
    def passed(self) -> bool:
        return self.outcome in (self.Outcome.PASS, self.Outcome.RETAKE_PASS)


# Inspection booking lives in its own module (docs/architecture.md); imported here so Django sees the models.
from exams.models_inspection import InspectionBooking, InspectionSlot, InspectionStation  # noqa: E402

__all__ = [
    "ExamPlan",
    "ExamRequest",
    "ExamResult",
    "ExamSite",
    "InspectionBooking",
    "InspectionSlot",
    "InspectionStation",
    "LearnerRecord",
    "LicenceClass",
    "Subject",
    "LIVE_STATUSES",
]
