"""Accident quick settlement (交通事故快处快赔, docs/rules.md §5.7): a minor property-damage
accident between two motor vehicles, settled online by the two parties (自行协商协议书) or by a
clerk's simple-procedure determination (简易程序事故认定书).

A case moves forward only through conditional UPDATEs in violations.services.accidents; the
database keeps one row per party and role, one insurer notice per party, one document number.
"""

import uuid

from django.db import models
from django.utils.translation import gettext_lazy as _
from simple_history.models import HistoricalRecords

from portal.idfields import IdHashField, IdNumberField


class Situation(models.TextChoices):
    """The standard situations of the quick-settlement responsibility table (docs/rules.md §5.7).
    `ONE_PARTY` situations: the party who did it bears full responsibility, the other none;
    `EQUAL` ones: both bear equal responsibility."""

    REAR_END = "rear_end", _("Rear-end collision (追尾)")
    LANE_CHANGE = "lane_change", _("Changing lanes without giving way (变更车道)")
    REVERSING = "reversing", _("Reversing (倒车)")
    DOOR_OPENING = "door_opening", _("Opening or closing a door in the way of traffic (开关车门)")
    WRONG_WAY = "wrong_way", _("Driving against the traffic (逆行)")
    NO_YIELD = "no_yield", _("Not giving way as required (未按规定让行)")
    SIGNAL = "signal", _("Passing against a traffic signal (违反交通信号)")
    U_TURN = "u_turn", _("Turning round without giving way (掉头)")
    ROLLING = "rolling", _("A parked car rolling (溜车)")
    BOTH_LANE_CHANGE = "both_lane_change", _("Both changing lanes at once (同时变更车道)")


EQUAL_SITUATIONS = frozenset({Situation.BOTH_LANE_CHANGE})


class Responsibility(models.TextChoices):
    # R-PROC-ACC art 60: full, main, equal, secondary, none.
    FULL = "full", _("full responsibility")
    MAIN = "main", _("main responsibility")
    EQUAL = "equal", _("equal responsibility")
    SECONDARY = "secondary", _("secondary responsibility")
    NONE = "none", _("no responsibility")


class Weather(models.TextChoices):
    SUNNY = "sunny", _("sunny")
    CLOUDY = "cloudy", _("cloudy")
    RAIN = "rain", _("rain")
    SNOW = "snow", _("snow")
    FOG = "fog", _("fog")


class AccidentCase(models.Model):
    class Status(models.TextChoices):
        OPEN = "open", _("waiting for the other party to join")
        JOINED = "joined", _("both parties confirmed the facts")
        AGREED = "agreed", _("settled by agreement")
        AWAITING_CLERK = "awaiting_clerk", _("waiting for the traffic police to decide")
        DETERMINED = "determined", _("decided by the traffic police")
        LAPSED = "lapsed", _("lapsed: the other party did not confirm")
        WITHDRAWN = "withdrawn", _("withdrawn")

    city = models.ForeignKey("portal.City", on_delete=models.PROTECT, related_name="+", verbose_name=_("city"))
    # What party A reads out to party B at the scene: random, never a row id (docs/rules.md §5.7).
    join_code = models.CharField(_("join code"), max_length=12, unique=True)
    status = models.CharField(_("status"), max_length=16, choices=Status.choices, default=Status.OPEN)
    created_at = models.DateTimeField(_("started at"))
    lapses_at = models.DateTimeField(_("lapses at unless the other party confirms"))
    occurred_at = models.DateTimeField(_("time of the accident"))
    place = models.CharField(_("place"), max_length=200)
    weather = models.CharField(_("weather"), max_length=8, choices=Weather.choices)
    no_injury = models.BooleanField(_("nobody injured"))
    vehicles_drivable = models.BooleanField(_("both vehicles drivable"))
    joined_at = models.DateTimeField(_("other party confirmed at"), null=True, blank=True)
    # The proposal on the table: a situation and who did it ("A"/"B"; empty for an equal one).
    situation = models.CharField(_("situation"), max_length=20, choices=Situation.choices, blank=True)
    fault_role = models.CharField(_("party at fault"), max_length=1, blank=True)
    proposed_by = models.CharField(_("proposed by"), max_length=1, blank=True)
    proposal_version = models.PositiveIntegerField(_("proposal version"), default=0)
    agreed_at = models.DateTimeField(_("agreed at"), null=True, blank=True)
    clerk_requested_at = models.DateTimeField(_("clerk asked at"), null=True, blank=True)
    clerk_requested_by = models.CharField(_("clerk asked by"), max_length=1, blank=True)
    decide_by = models.DateField(_("decide by"), null=True, blank=True)
    decided_at = models.DateTimeField(_("decided at"), null=True, blank=True)
    decided_by = models.ForeignKey(
        "portal.User", on_delete=models.PROTECT, null=True, blank=True, related_name="+", verbose_name=_("decided by")
    )
    decision_note = models.CharField(_("facts and reasons"), max_length=500, blank=True)
    a_responsibility = models.CharField(
        _("party A's responsibility"), max_length=10, choices=Responsibility.choices, blank=True
    )
    b_responsibility = models.CharField(
        _("party B's responsibility"), max_length=10, choices=Responsibility.choices, blank=True
    )
    document_number = models.CharField(_("document number"), max_length=24, null=True, blank=True, unique=True)

    history = HistoricalRecords()

    class Meta:
        ordering = ["-created_at"]
        verbose_name = _("accident case")
        verbose_name_plural = _("accident cases")
        indexes = [
            models.Index(fields=["city", "status", "clerk_requested_at"], name="accident_clerk_queue"),
            models.Index(fields=["status", "lapses_at"], name="accident_lapse_sweep"),
        ]

    def __str__(self):
        return self.document_number or f"{self.pk}"

    def party(self, role: str):
        return next((p for p in self.parties.all() if p.role == role), None)


class AccidentParty(models.Model):
    """One driver and vehicle of a case. Party A starts it from their registry records; party B's
    plate and licence number are what A typed until B joins and the registry confirms them."""

    class Role(models.TextChoices):
        A = "A", _("party A")
        B = "B", _("party B")

    case = models.ForeignKey(AccidentCase, on_delete=models.CASCADE, related_name="parties")
    role = models.CharField(_("role"), max_length=1, choices=Role.choices)
    user = models.ForeignKey(
        "portal.User", on_delete=models.PROTECT, null=True, blank=True, related_name="+", verbose_name=_("account")
    )
    # The licence number (驾驶证号) of a mainland driver is the ID number (portal.identity.id_key).
    # Encrypted at rest, found by its keyed hash (portal.idfields, docs/rules.md §1).
    id_number = IdNumberField(_("licence number"))
    id_number_hash = IdHashField(db_index=True)
    name = models.CharField(_("name"), max_length=64, blank=True)
    mobile = models.CharField(_("mobile"), max_length=11, blank=True)
    plate_number = models.CharField(_("plate number"), max_length=10)
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
    insurer = models.CharField(_("insurer"), max_length=64, blank=True)
    policy_number = models.CharField(_("policy number"), max_length=32, blank=True)
    damage = models.CharField(_("point of impact"), max_length=100)
    confirmed_at = models.DateTimeField(_("confirmed at"), null=True, blank=True)

    history = HistoricalRecords()

    class Meta:
        ordering = ["case", "role"]
        verbose_name = _("accident party")
        verbose_name_plural = _("accident parties")
        constraints = [models.UniqueConstraint(fields=["case", "role"], name="accident_party_role")]

    def __str__(self):
        return f"{self.case} {self.role} {self.plate_number}"


class AccidentPhoto(models.Model):
    """Evidence fixed at the scene (R-PROC-ACC art 19), kept in the database and served only to the
    parties and their city's clerks under a random token."""

    class Kind(models.TextChoices):
        SCENE = "scene", _("the scene")
        DAMAGE_A = "damage_a", _("party A's damage")
        DAMAGE_B = "damage_b", _("party B's damage")

    case = models.ForeignKey(AccidentCase, on_delete=models.CASCADE, related_name="photos")
    kind = models.CharField(_("shows"), max_length=10, choices=Kind.choices)
    token = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    content_type = models.CharField(max_length=32)
    data = models.BinaryField()
    size = models.PositiveIntegerField()

    class Meta:
        verbose_name = _("accident photo")
        verbose_name_plural = _("accident photos")

    def __str__(self):
        return f"{self.get_kind_display()} {self.size} B"


class InsurerNotice(models.Model):
    """The report of a settled case to one party's compulsory-insurance (交强险) insurer, sent by
    the backend in violations.insurers; the message kept as sent."""

    class State(models.TextChoices):
        PENDING = "pending", _("to be sent")
        SENT = "sent", _("accepted by the insurer")
        FAILED = "failed", _("refused, retrying")

    case = models.ForeignKey(AccidentCase, on_delete=models.CASCADE, related_name="insurer_notices")
    role = models.CharField(_("party"), max_length=1)
    insurer = models.CharField(_("insurer"), max_length=64)
    reference = models.CharField(_("our reference"), max_length=40, unique=True)
    message = models.JSONField(_("message"))
    state = models.CharField(_("state"), max_length=8, choices=State.choices, default=State.PENDING)
    claim_number = models.CharField(_("insurer's report number"), max_length=64, blank=True)
    attempts = models.PositiveSmallIntegerField(_("attempts"), default=0)
    created_at = models.DateTimeField(_("created at"))
    sent_at = models.DateTimeField(_("sent at"), null=True, blank=True)

    history = HistoricalRecords()

    class Meta:
        ordering = ["-created_at"]
        verbose_name = _("insurer notice")
        verbose_name_plural = _("insurer notices")
        constraints = [models.UniqueConstraint(fields=["case", "role"], name="insurer_notice_one_per_party")]

    def __str__(self):
        return self.reference
