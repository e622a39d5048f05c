"""Applications for replacement and renewal by post, their timeline, electronic documents, the
province's fee table, compulsory-insurance records and hospital-uploaded medical certificates.

docs/rules.md §4 holds the rules. Every write goes through certificates.services.
"""

import secrets
from decimal import Decimal

from django.db import models
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy
from simple_history.models import HistoricalRecords

from portal import identity
from portal.idfields import IdHashField, IdNumberField


class Item(models.TextChoices):
    PLATES = "plates", _("number plates (replace or exchange)")
    VEHICLE_LICENCE = "vehicle_licence", _("vehicle licence (行驶证)")
    REGISTRATION_CERT = "registration_cert", _("registration certificate (登记证书)")
    INSPECTION_MARK = "inspection_mark", _("inspection mark of an inspection-exempt car")
    MARK_REISSUE = "mark_reissue", _("replacement of a lost or damaged inspection mark")
    LICENCE_RENEWAL = "licence_renewal", _("driving-licence renewal on expiry")
    LICENCE_REPLACEMENT = "licence_replacement", _("replacement of a lost or damaged driving licence")


VEHICLE_ITEMS = (Item.PLATES, Item.VEHICLE_LICENCE, Item.REGISTRATION_CERT, Item.INSPECTION_MARK, Item.MARK_REISSUE)
# Items of the inspection mark: applied for on any city's site (docs/rules.md §4.1).
MARK_ITEMS = (Item.INSPECTION_MARK, Item.MARK_REISSUE)
LICENCE_ITEMS = (Item.LICENCE_RENEWAL, Item.LICENCE_REPLACEMENT)


class Fee(models.Model):
    """The province's fee table (docs/rules.md §4.4): one row per fee, edited by the province
    administrator. Postage is a row too. The amount charged is copied onto each application."""

    class Code(models.TextChoices):
        PLATES = "plates", _("reflective number plates (pair)")
        TEMPORARY_PLATE = "temporary_plate", _("temporary plate")
        VEHICLE_LICENCE = "vehicle_licence", _("vehicle licence (行驶证)")
        REGISTRATION_CERT = "registration_cert", _("registration certificate (登记证书)")
        INSPECTION_MARK = "inspection_mark", _("inspection mark")
        DRIVING_LICENCE = "driving_licence", _("driving licence (驾驶证)")
        POSTAGE = "postage", _("postage (EMS)")

    code = models.CharField(_("fee"), max_length=20, choices=Code.choices, unique=True)
    amount = models.DecimalField(_("amount (yuan)"), max_digits=8, decimal_places=2)
    note = models.CharField(_("source"), max_length=200, blank=True)

    history = HistoricalRecords()

    class Meta:
        ordering = ["code"]
        verbose_name = _("fee")
        verbose_name_plural = _("fee table")
        constraints = [models.CheckConstraint(condition=models.Q(amount__gte=0), name="cert_fee_not_negative")]

    def __str__(self):
        return f"{self.get_code_display()}: {self.amount}"


class CompulsoryInsurance(models.Model):
    """A compulsory traffic-accident liability insurance policy (交强险) of a vehicle, as the
    insurance information platform reports it (synced in a deployment, demo data here)."""

    vehicle = models.ForeignKey("portal.Vehicle", on_delete=models.CASCADE, related_name="+", verbose_name=_("vehicle"))
    policy_number = models.CharField(_("policy number"), max_length=32, unique=True)
    insurer = models.CharField(_("insurer"), max_length=64)
    valid_from = models.DateField(_("valid from"))
    valid_until = models.DateField(_("valid until"))

    history = HistoricalRecords()

    class Meta:
        ordering = ["-valid_until"]
        verbose_name = _("compulsory insurance policy")
        verbose_name_plural = _("compulsory insurance policies")
        indexes = [models.Index(fields=["vehicle", "valid_until"], name="cert_insurance_vehicle")]

    def __str__(self):
        return self.policy_number


class VehicleTax(models.Model):
    """One tax year of a vehicle's vehicle and vessel tax (车船税), paid or exempt, as the tax
    authority reports it (insurers collect it with the compulsory insurance: 车船税法 art 6;
    synced in a deployment, demo data here). The inspection mark needs every year since the last
    inspection on record (车船税法 art 10; docs/rules.md §4.1)."""

    class Status(models.TextChoices):
        PAID = "paid", _("paid (完税)")
        EXEMPT = "exempt", _("exempt or reduced to nil (减免税)")

    vehicle = models.ForeignKey("portal.Vehicle", on_delete=models.CASCADE, related_name="+", verbose_name=_("vehicle"))
    tax_year = models.PositiveSmallIntegerField(_("tax year"))
    status = models.CharField(_("status"), max_length=8, choices=Status.choices, default=Status.PAID)
    certificate_number = models.CharField(_("tax or exemption certificate number"), max_length=32)
    collected_by = models.CharField(_("collected by"), max_length=64, blank=True)

    history = HistoricalRecords()

    class Meta:
        ordering = ["-tax_year"]
        verbose_name = _("vehicle and vessel tax year")
        verbose_name_plural = _("vehicle and vessel tax")
        constraints = [models.UniqueConstraint(fields=["vehicle", "tax_year"], name="cert_tax_one_per_year")]

    def __str__(self):
        return f"{self.tax_year} {self.certificate_number}"


class Application(models.Model):
    class Status(models.TextChoices):
        SUBMITTED = "submitted", _("submitted, awaiting payment")
        UNDER_REVIEW = "under_review", _("under review")
        APPROVED = "approved", _("approved, in production")
        REJECTED = "rejected", _("rejected")
        PRODUCED = "produced", _("produced, awaiting mail-out or collection")
        MAILED = "mailed", _("mailed")
        CLOSED = "closed", _("closed")
        CANCELLED = "cancelled", pgettext_lazy("application status", "cancelled")

    OPEN = (Status.SUBMITTED, Status.UNDER_REVIEW, Status.APPROVED, Status.PRODUCED, Status.MAILED)
    # What a clerk acts on, in the queue.
    QUEUE = (Status.UNDER_REVIEW, Status.APPROVED, Status.PRODUCED)

    class Kind(models.TextChoices):
        REPLACE = "replace", _("lost: replacement (补领)")
        EXCHANGE = "exchange", _("damaged: exchange (换领)")
        EXPIRY = "expiry", _("validity ends")

    class Delivery(models.TextChoices):
        POST = "post", _("by post to my address")
        COLLECT = "collect", _("I collect it at the office")

    number = models.CharField(_("case number"), max_length=20, unique=True)
    city = models.ForeignKey("portal.City", on_delete=models.PROTECT, related_name="+", verbose_name=_("city"))
    item = models.CharField(_("item"), max_length=20, choices=Item.choices)
    applicant = models.ForeignKey(
        "portal.User", on_delete=models.PROTECT, related_name="+", verbose_name=_("applicant")
    )
    # Keyed as portal.identity.id_key() keys it (docs/rules.md §1).
    id_number = IdNumberField(_("applicant's ID number"))
    id_number_hash = IdHashField(source="id_number", db_index=True)
    vehicle = models.ForeignKey(
        "portal.Vehicle", on_delete=models.PROTECT, null=True, blank=True, related_name="+", verbose_name=_("vehicle")
    )
    licence = models.ForeignKey(
        "portal.DrivingLicence",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("driving licence"),
    )
    kind = models.CharField(_("reason"), max_length=10, choices=Kind.choices)
    reason_text = models.CharField(_("details"), max_length=200, blank=True)
    temporary_plate_days = models.PositiveSmallIntegerField(_("temporary plate (days)"), default=0)
    medical = models.ForeignKey(
        "certificates.MedicalCertificate",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("medical certificate"),
    )
    delivery = models.CharField(_("delivery"), max_length=8, choices=Delivery.choices)
    cash_on_delivery = models.BooleanField(_("pay cash on delivery"), default=False)
    recipient_name = models.CharField(pgettext_lazy("mail", "recipient"), max_length=64, blank=True)
    recipient_phone = models.CharField(_("recipient's phone"), max_length=11, blank=True)
    address = models.CharField(_("address"), max_length=300, blank=True)
    postcode = models.CharField(_("postcode"), max_length=6, blank=True)
    fee = models.DecimalField(_("fee (yuan)"), max_digits=8, decimal_places=2, default=Decimal("0"))
    postage = models.DecimalField(_("postage (yuan)"), max_digits=8, decimal_places=2, default=Decimal("0"))
    takes_back_old = models.BooleanField(_("old document taken back"), default=False)
    status = models.CharField(_("status"), max_length=16, choices=Status.choices, default=Status.SUBMITTED)
    submitted_at = models.DateTimeField(_("submitted at"))
    # When the office's time limit started: payment received (or nothing to pay online).
    accepted_at = models.DateTimeField(_("accepted at"), null=True, blank=True)
    due_on = models.DateField(_("legal time limit"), null=True, blank=True)
    decided_at = models.DateTimeField(_("decided at"), null=True, blank=True)
    rejection_reason = models.CharField(_("reason for rejection"), max_length=300, blank=True)
    returned_count = models.PositiveSmallIntegerField(_("shipments returned"), default=0)
    closed_at = models.DateTimeField(_("closed at"), null=True, blank=True)

    history = HistoricalRecords()

    class Meta:
        ordering = ["-submitted_at"]
        verbose_name = _("application")
        verbose_name_plural = _("applications")
        constraints = [
            # docs/rules.md §4.2: one open application per item and vehicle or licence.
            models.UniqueConstraint(
                fields=["item", "vehicle"],
                condition=models.Q(status__in=["submitted", "under_review", "approved", "produced", "mailed"])
                & models.Q(vehicle__isnull=False),
                name="cert_one_open_per_vehicle_item",
            ),
            models.UniqueConstraint(
                fields=["item", "licence"],
                condition=models.Q(status__in=["submitted", "under_review", "approved", "produced", "mailed"])
                & models.Q(licence__isnull=False),
                name="cert_one_open_per_licence_item",
            ),
            models.CheckConstraint(
                condition=models.Q(vehicle__isnull=False) | models.Q(licence__isnull=False),
                name="cert_application_has_subject",
            ),
            models.CheckConstraint(condition=models.Q(temporary_plate_days__lte=15), name="cert_temp_plate_15_days"),
        ]
        indexes = [
            # The clerk's queue: a city's cases in a state, oldest waiting first.
            models.Index(fields=["city", "status", "accepted_at", "id"], name="cert_queue"),
            # How many of them are past their legal time limit.
            models.Index(fields=["city", "status", "due_on"], name="cert_queue_due"),
        ]

    def __str__(self):
        return self.number

    @property
    def reference(self) -> str:
        return f"certificates.application:{self.pk}"

    @property
    def total(self) -> Decimal:
        return self.fee + self.postage

    @property
    def is_open(self) -> bool:
        return self.status in self.OPEN

    @property
    def subject_label(self) -> str:
        if self.vehicle_id:
            return str(self.vehicle)
        return self.licence.masked_id_number if self.licence_id else ""


class CaseEvent(models.Model):
    """One step of an application's timeline, as the citizen sees it."""

    class Kind(models.TextChoices):
        SUBMITTED = "submitted", pgettext_lazy("case event", "submitted")
        PAID = "paid", pgettext_lazy("case event", "paid")
        UNDER_REVIEW = "under_review", _("under review")
        APPROVED = "approved", pgettext_lazy("case event", "approved")
        REJECTED = "rejected", pgettext_lazy("case event", "rejected")
        REFUNDED = "refunded", pgettext_lazy("case event", "fees refunded")
        PRODUCED = "produced", _("in production: document made")
        MAILED = "mailed", pgettext_lazy("case event", "mailed")
        CARRIER = "carrier", _("carrier event")
        DELIVERED = "delivered", pgettext_lazy("case event", "delivered")
        TAKEN_BACK = "taken_back", _("old document taken back by the courier")
        RETURNED = "returned", _("shipment returned to the office")
        COLLECTED = "collected", _("collected at the office")
        CLOSED = "closed", pgettext_lazy("case event", "closed")
        CANCELLED = "cancelled", pgettext_lazy("case event", "cancelled")

    application = models.ForeignKey(Application, on_delete=models.CASCADE, related_name="events")
    kind = models.CharField(max_length=16, choices=Kind.choices)
    at = models.DateTimeField()
    by = models.ForeignKey("portal.User", on_delete=models.PROTECT, null=True, blank=True, related_name="+")
    note = models.CharField(max_length=300, blank=True)

    class Meta:
        ordering = ["at", "id"]
        verbose_name = _("case event")
        verbose_name_plural = _("case events")

    def __str__(self):
        return f"{self.application} {self.kind}"


def _new_token() -> str:
    return secrets.token_urlsafe(24)


class ElectronicDocument(models.Model):
    """An electronic inspection mark or driving licence (R-REG arts 51-57, R-DL art 61: equal force; docs/rules.md §4.6),
    verified by anyone through the token in its QR code."""

    class Kind(models.TextChoices):
        INSPECTION_MARK = "inspection_mark", _("electronic inspection mark")
        DRIVING_LICENCE = "driving_licence", _("electronic driving licence")

    token = models.CharField(max_length=40, unique=True, default=_new_token)
    kind = models.CharField(_("type"), max_length=16, choices=Kind.choices)
    application = models.ForeignKey(Application, on_delete=models.PROTECT, related_name="documents")
    vehicle = models.ForeignKey("portal.Vehicle", on_delete=models.PROTECT, null=True, blank=True, related_name="+")
    licence = models.ForeignKey(
        "portal.DrivingLicence", on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    # Shown on the public verify page: masked only.
    masked_name = models.CharField(_("holder"), max_length=64)
    subject = models.CharField(_("plate or licence class"), max_length=16)
    valid_from = models.DateField(_("valid from"))
    valid_until = models.DateField(_("valid until"), null=True, blank=True, help_text=_("Empty: long-term"))
    issued_at = models.DateTimeField(_("issued at"))
    voided_at = models.DateTimeField(_("void since"), null=True, blank=True)

    history = HistoricalRecords()

    class Meta:
        ordering = ["-issued_at"]
        verbose_name = _("electronic document")
        verbose_name_plural = _("electronic documents")

    def __str__(self):
        return f"{self.get_kind_display()} {self.subject}"


class MedicalCertificate(models.Model):
    """A physical-condition certificate (身体条件证明) an authorised institution uploaded
    (R-DL art 14, art 28 para 2). A correction is a new row that supersedes the old one."""

    class Colour(models.TextChoices):
        NORMAL = "normal", _("normal")
        RED_GREEN = "red_green", _("red-green colour blind")

    class Conclusion(models.TextChoices):
        FIT = "fit", _("fit to drive the classes listed")
        UNFIT = "unfit", _("not fit to drive")

    institution = models.ForeignKey(
        "portal.MedicalInstitution", on_delete=models.PROTECT, related_name="+", verbose_name=_("institution")
    )
    city = models.ForeignKey("portal.City", on_delete=models.PROTECT, related_name="+", verbose_name=_("city"))
    id_number = IdNumberField(_("ID number"))
    id_number_hash = IdHashField(source="id_number", db_index=True)
    name = models.CharField(_("name"), max_length=32)
    exam_date = models.DateField(_("exam date"))
    height_cm = models.PositiveSmallIntegerField(_("height (cm)"))
    vision_left = models.DecimalField(_("vision, left eye"), max_digits=2, decimal_places=1)
    vision_right = models.DecimalField(_("vision, right eye"), max_digits=2, decimal_places=1)
    vision_corrected = models.BooleanField(_("vision corrected (glasses or lenses)"), default=False)
    colour_vision = models.CharField(_("colour vision"), max_length=10, choices=Colour.choices)
    hearing_ok = models.BooleanField(_("hearing: can tell a 5 m whisper with both ears"))
    limbs_ok = models.BooleanField(_("upper and lower limbs sound"))
    trunk_neck_ok = models.BooleanField(_("trunk and neck move freely"))
    conclusion = models.CharField(_("conclusion"), max_length=6, choices=Conclusion.choices)
    classes_fit = models.JSONField(_("classes fit for"), default=list)
    doctor_name = models.CharField(_("examining doctor"), max_length=32)
    uploaded_by = models.ForeignKey("portal.User", on_delete=models.PROTECT, related_name="+")
    uploaded_at = models.DateTimeField(_("uploaded at"))
    # The version this row corrects; the first version of a certificate has none.
    supersedes = models.OneToOneField(
        "self", on_delete=models.PROTECT, null=True, blank=True, related_name="superseded_by"
    )
    # When the first version was uploaded: corrections are allowed for 24 hours after it.
    first_uploaded_at = models.DateTimeField()
    is_current = models.BooleanField(default=True)

    history = HistoricalRecords()

    class Meta:
        ordering = ["-exam_date", "-id"]
        verbose_name = _("medical certificate")
        verbose_name_plural = _("medical certificates")
        indexes = [
            models.Index(
                fields=["id_number_hash", "-exam_date"],
                condition=models.Q(is_current=True),
                name="cert_medical_current",
            )
        ]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(height_cm__gte=50) & models.Q(height_cm__lte=250), name="cert_medical_height"
            ),
        ]

    def __str__(self):
        return f"{self.masked_name} {self.exam_date}"

    @property
    def masked_id_number(self) -> str:
        return identity.mask_id_number(self.id_number)

    @property
    def masked_name(self) -> str:
        return self.name[:1] + "*" * (len(self.name) - 1) if self.name else ""


def _document_token() -> str:
    return secrets.token_urlsafe(24)


class Deferral(models.Model):
    """A licence holder serving in the army or abroad asks to defer renewal, the review (审验) or
    the medical by up to 3 years, with a document; a clerk of the issuing city approves or refuses
    it (R-DL deferral article; docs/rules.md §4.7). An approved deferral moves the licence's due
    date in the registry (portal.registry_services.licence_deferral_set)."""

    class Subject(models.TextChoices):
        RENEWAL = "renewal", _("renewal on expiry (期满换证)")
        REVIEW = "review", _("licence review (审验)")
        MEDICAL = "medical", _("medical certificate (提交身体条件证明)")

    class Reason(models.TextChoices):
        MILITARY = "military", _("military service (服兵役)")
        ABROAD = "abroad", _("staying abroad (出国(境))")

    class Status(models.TextChoices):
        SUBMITTED = "submitted", _("awaiting the office's review")
        APPROVED = "approved", pgettext_lazy("deferral status", "approved")
        REFUSED = "refused", pgettext_lazy("deferral status", "refused")

    # The issuing office decides (the licence's city), whichever city site the holder used.
    city = models.ForeignKey("portal.City", on_delete=models.PROTECT, related_name="+", verbose_name=_("city"))
    applicant = models.ForeignKey(
        "portal.User", on_delete=models.PROTECT, related_name="+", verbose_name=_("applicant")
    )
    licence = models.ForeignKey(
        "portal.DrivingLicence", on_delete=models.PROTECT, related_name="+", verbose_name=_("driving licence")
    )
    subject = models.CharField(_("what is deferred"), max_length=10, choices=Subject.choices)
    reason = models.CharField(_("reason"), max_length=10, choices=Reason.choices)
    details = models.CharField(_("details"), max_length=200, blank=True)
    until = models.DateField(_("deferred until"))
    document = models.BinaryField(_("supporting document"), editable=False)
    document_type = models.CharField(max_length=32, editable=False)
    document_token = models.CharField(max_length=40, unique=True, default=_document_token, editable=False)
    status = models.CharField(_("status"), max_length=10, choices=Status.choices, default=Status.SUBMITTED)
    submitted_at = models.DateTimeField(_("submitted at"))
    decided_at = models.DateTimeField(_("decided at"), null=True, blank=True)
    decided_by = models.ForeignKey(
        "portal.User",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("decided by"),
    )
    refusal_reason = models.CharField(_("reason for refusal"), max_length=300, blank=True)

    # The document's bytes are not copied into every history row.
    history = HistoricalRecords(excluded_fields=["document"])

    class Meta:
        ordering = ["-submitted_at", "-id"]
        verbose_name = _("deferral request")
        verbose_name_plural = _("deferral requests")
        constraints = [
            models.UniqueConstraint(
                fields=["licence", "subject"],
                condition=models.Q(status="submitted"),
                name="cert_one_open_deferral",
            )
        ]
        indexes = [models.Index(fields=["city", "status", "submitted_at"], name="cert_deferral_queue")]

    def __str__(self):
        return f"{self.get_subject_display()} → {self.until}"
