import secrets

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy
from simple_history.models import HistoricalRecords

from notices import catalogue
from portal import identity
from portal.idfields import IdHashField, IdNumberField


class Notice(models.Model):
    """One notice to one person (by ID number: they may not have an account yet).

    No history: notices are written once by notify() or a sweep and only ever marked read;
    their Delivery rows are the record of what went out.
    """

    id_number = IdNumberField(_("recipient ID number"))

    id_number_hash = IdHashField(source="id_number")
    # Neither indexed nor a database constraint: each costs the sweeps' bulk inserts (the deferred
    # FK check alone was a fifth of a million-row sweep), nothing hot filters notices by city, and
    # cities are never deleted (PROTECT still guards deletes made through Django).
    city = models.ForeignKey(
        "portal.City",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        db_index=False,
        db_constraint=False,
        verbose_name=_("city"),
    )
    kind = models.CharField(_("kind"), max_length=64)
    context = models.JSONField(_("context"), default=dict, blank=True)
    # Makes notify() and the sweeps idempotent: a sweep or task that runs twice creates one notice.
    # A constraint rather than unique=True, which would add a second (LIKE) index on the column.
    dedupe_key = models.CharField(max_length=200, null=True, blank=True)
    created_at = models.DateTimeField(_("created at"), default=timezone.now)
    read_at = models.DateTimeField(_("read at"), null=True, blank=True)
    # Set once the SMS/push Delivery rows have been planned (services.dispatch_new).
    dispatched_at = models.DateTimeField(_("channels planned at"), null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("notice")
        verbose_name_plural = _("notices")
        constraints = [models.UniqueConstraint(fields=["dedupe_key"], name="notice_dedupe_key")]
        indexes = [
            # The inbox list and the header's unread badge (a person has few notices).
            models.Index(fields=["id_number_hash", "-created_at"], name="notice_inbox_list"),
            # deliver_pending picks up notices whose channels are not planned yet.
            models.Index(fields=["id"], name="notice_undispatched", condition=models.Q(dispatched_at__isnull=True)),
        ]

    def __str__(self):
        return f"{self.kind} {self.created_at:%Y-%m-%d}"

    def _kind(self):
        try:
            return catalogue.get(self.kind)
        except LookupError:
            return None

    @property
    def title(self) -> str:
        kind = self._kind()
        return catalogue.render(kind.title, self.context) if kind else self.kind

    @property
    def body(self) -> str:
        kind = self._kind()
        return catalogue.render(kind.body, self.context) if kind else ""

    @property
    def masked_id_number(self) -> str:
        return identity.mask_id_number(self.id_number)


class Delivery(models.Model):
    """One attempt series to carry a notice over one channel (SMS or app push)."""

    class Channel(models.TextChoices):
        SMS = "sms", _("SMS")
        PUSH = "push", _("app push")

    class Status(models.TextChoices):
        PENDING = "pending", _("pending")
        SENT = "sent", _("sent")
        DELIVERED = "delivered", _("delivered")
        FAILED = "failed", _("failed")

    notice = models.ForeignKey(Notice, on_delete=models.CASCADE, related_name="deliveries", verbose_name=_("notice"))
    channel = models.CharField(_("channel"), max_length=8, choices=Channel.choices)
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+", verbose_name=_("recipient")
    )
    status = models.CharField(_("status"), max_length=10, choices=Status.choices, default=Status.PENDING)
    # Urgent kinds ignore quiet hours; copied from the kind when the delivery is planned.
    urgent = models.BooleanField(_("urgent"), default=False)
    attempts = models.PositiveSmallIntegerField(_("attempts"), default=0)
    next_attempt_at = models.DateTimeField(_("next attempt at"), null=True, blank=True)
    text = models.TextField(_("text sent"), blank=True)
    message_id = models.CharField(_("gateway message id"), max_length=64, blank=True)
    last_error = models.CharField(_("last error"), max_length=200, blank=True)
    created_at = models.DateTimeField(_("created at"), default=timezone.now)
    sent_at = models.DateTimeField(_("sent at"), null=True, blank=True)
    receipt_at = models.DateTimeField(_("receipt at"), null=True, blank=True)

    class Meta:
        ordering = ["-id"]
        verbose_name = _("delivery")
        verbose_name_plural = _("deliveries")
        constraints = [
            models.UniqueConstraint(fields=["notice", "channel"], name="delivery_one_per_channel"),
            models.UniqueConstraint(
                fields=["channel", "message_id"], name="delivery_message_id", condition=~models.Q(message_id="")
            ),
        ]
        indexes = [
            models.Index(fields=["next_attempt_at"], name="delivery_due", condition=models.Q(status="pending")),
        ]

    def __str__(self):
        return f"{self.get_channel_display()} #{self.notice_id} {self.get_status_display()}"


class Preference(models.Model):
    """A citizen's choice of channels for one kind. No row: the kind's defaults."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="notice_preferences")
    kind = models.CharField(_("kind"), max_length=64)
    sms = models.BooleanField(_("SMS"), default=True)
    push = models.BooleanField(_("app push"), default=True)
    history = HistoricalRecords()

    class Meta:
        verbose_name = _("notice preference")
        verbose_name_plural = _("notice preferences")
        constraints = [models.UniqueConstraint(fields=["user", "kind"], name="preference_one_per_kind")]

    def __str__(self):
        return self.kind


def _new_token() -> str:
    return secrets.token_urlsafe(32)


class CalendarFeed(models.Model):
    """The secret part of a citizen's private calendar URL (never the ID number or mobile)."""

    user = models.OneToOneField(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="calendar_feed")
    token = models.CharField(max_length=64, unique=True, default=_new_token)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        verbose_name = _("calendar feed")
        verbose_name_plural = _("calendar feeds")

    def __str__(self):
        return f"calendar #{self.user_id}"


class Announcement(models.Model):
    """A public announcement on a city's site: posted by notices.announce() (plates, exams,
    scrapping sweep) from a registered kind, or written by a clerk in the admin."""

    city = models.ForeignKey("portal.City", on_delete=models.PROTECT, related_name="+", verbose_name=_("city"))
    kind = models.CharField(_("kind"), max_length=64, blank=True, help_text=_("Empty for a clerk's own announcement"))
    context = models.JSONField(_("context"), default=dict, blank=True)
    title_text = models.CharField(_("title"), max_length=200, blank=True)
    body_text = models.TextField(_("text"), blank=True)
    dedupe_key = models.CharField(max_length=200, null=True, blank=True, unique=True, editable=False)
    published = models.BooleanField(_("published"), default=True)
    published_at = models.DateTimeField(_("published at"), default=timezone.now)
    history = HistoricalRecords()

    class Meta:
        ordering = ["-published_at", "-id"]
        verbose_name = _("announcement")
        verbose_name_plural = _("announcements")
        indexes = [models.Index(fields=["city", "published", "-published_at"], name="announcement_public")]

    def __str__(self):
        return self.title

    def _kind(self):
        if not self.kind:
            return None
        try:
            return catalogue.get(self.kind)
        except LookupError:
            return None

    @property
    def title(self) -> str:
        kind = self._kind()
        return catalogue.render(kind.title, self.context) if kind else (self.title_text or self.kind)

    @property
    def body(self) -> str:
        kind = self._kind()
        return catalogue.render(kind.body, self.context) if kind else self.body_text


class Article(models.Model):
    """A traffic-safety article (交通安全宣传) written by a clerk for their city's site."""

    city = models.ForeignKey("portal.City", on_delete=models.PROTECT, related_name="+", verbose_name=_("city"))
    title = models.CharField(_("title"), max_length=200)
    summary = models.CharField(_("summary"), max_length=300, blank=True)
    body = models.TextField(_("text"))
    published = models.BooleanField(_("published"), default=False)
    published_at = models.DateTimeField(_("published at"), default=timezone.now)
    history = HistoricalRecords()

    class Meta:
        ordering = ["-published_at", "-id"]
        verbose_name = _("traffic-safety article")
        verbose_name_plural = _("traffic-safety articles")

    def __str__(self):
        return self.title


class Question(models.Model):
    """A citizen's question to their city's office (业务咨询) and the clerk's answer."""

    city = models.ForeignKey("portal.City", on_delete=models.PROTECT, related_name="+", verbose_name=_("city"))
    asker = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+", verbose_name=_("asked by")
    )
    subject = models.CharField(pgettext_lazy("question", "subject"), max_length=100)
    body = models.TextField(_("question"))
    # What the public page shows instead of the question, when the clerk removes details from it.
    public_body = models.TextField(
        _("question as published"), blank=True, help_text=_("Leave empty to publish the question as asked")
    )
    asked_at = models.DateTimeField(_("asked at"), default=timezone.now)
    answer = models.TextField(_("answer"), blank=True)
    answered_at = models.DateTimeField(_("answered at"), null=True, blank=True)
    answered_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("answered by"),
    )
    published = models.BooleanField(_("published"), default=False)
    history = HistoricalRecords()

    class Meta:
        ordering = ["-asked_at", "-id"]
        verbose_name = _("question")
        verbose_name_plural = _("questions")
        indexes = [models.Index(fields=["city", "published", "-answered_at"], name="question_public")]

    def __str__(self):
        return self.subject


class TravelAdvisory(models.Model):
    """Travel information (出行信息): a traffic control, road works or an event closure a clerk
    publishes for their city (docs/rules.md §6.3). Subscribers of the road or district get a
    notice when it is published or changed (services.travel)."""

    class Kind(models.TextChoices):
        CONTROL = "control", _("traffic control (交通管制)")
        ROAD_WORKS = "road_works", _("road works (道路施工)")
        EVENT = "event", _("event closure (活动封路)")

    city = models.ForeignKey("portal.City", on_delete=models.PROTECT, related_name="+", verbose_name=_("city"))
    kind = models.CharField(_("kind"), max_length=12, choices=Kind.choices)
    # Stored as services.travel.place_key() writes them (NFKC, no spaces), so a subscription
    # matches by equality.
    district = models.CharField(_("district or area"), max_length=32)
    road = models.CharField(_("road"), max_length=64)
    section = models.CharField(
        _("section"), max_length=100, blank=True, help_text=_("e.g. from which crossing to which")
    )
    starts_at = models.DateTimeField(_("starts at"))
    ends_at = models.DateTimeField(_("ends at"))
    detour = models.TextField(_("detour"), blank=True)
    description = models.TextField(_("details"), blank=True)
    published = models.BooleanField(_("published"), default=True)
    # Counts published changes: each one notifies the subscribers once (the notices' dedupe key).
    revision = models.PositiveIntegerField(_("revision"), default=0, editable=False)
    updated_at = models.DateTimeField(_("updated at"), default=timezone.now, editable=False)
    history = HistoricalRecords()

    class Meta:
        ordering = ["starts_at", "id"]
        verbose_name = _("travel notice")
        verbose_name_plural = _("travel notices")
        constraints = [
            models.CheckConstraint(
                condition=models.Q(ends_at__gt=models.F("starts_at")), name="travel_ends_after_start"
            )
        ]
        # The public page: a city's published notices not yet ended.
        indexes = [models.Index(fields=["city", "published", "ends_at"], name="travel_current")]

    def __str__(self):
        return f"{self.get_kind_display()} {self.road} ({self.district})"


class TravelSubscription(models.Model):
    """A citizen's wish to hear of travel notices on one road or in one district of a city."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="travel_subscriptions", verbose_name=_("user")
    )
    city = models.ForeignKey("portal.City", on_delete=models.PROTECT, related_name="+", verbose_name=_("city"))
    road = models.CharField(_("road"), max_length=64, blank=True)
    district = models.CharField(_("district or area"), max_length=32, blank=True)
    created_at = models.DateTimeField(_("created at"), default=timezone.now)
    history = HistoricalRecords()

    class Meta:
        ordering = ["id"]
        verbose_name = _("travel subscription")
        verbose_name_plural = _("travel subscriptions")
        constraints = [
            models.CheckConstraint(
                condition=(models.Q(road="") & ~models.Q(district="")) | (~models.Q(road="") & models.Q(district="")),
                name="travel_subscription_road_or_district",
            ),
            models.UniqueConstraint(fields=["user", "city", "road", "district"], name="travel_subscription_once"),
        ]
        indexes = [
            models.Index(fields=["city", "road"], name="travel_sub_road"),
            models.Index(fields=["city", "district"], name="travel_sub_district"),
        ]

    def __str__(self):
        return self.road or self.district
