from django.contrib.auth.models import AbstractBaseUser, BaseUserManager, PermissionsMixin
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from simple_history.models import HistoricalRecords

from portal import identity
from portal.idfields import EncryptedOutboxText, IdHashField, IdNumberField


class UserManager(BaseUserManager):
    use_in_migrations = True

    def create_user(self, id_number, mobile, real_name, password=None, **extra):
        user = self.model(
            id_number=identity.normalize_id_number(id_number),
            mobile=identity.normalize_mobile(mobile),
            real_name=real_name,
            **extra,
        )
        user.set_password(password)
        user.save(using=self._db)
        return user

    def get_by_natural_key(self, username):
        # The ID number column is encrypted: the login name is found by its keyed hash.
        return self.get(id_number_hash=identity.id_key(username))

    def create_superuser(self, id_number, mobile, real_name, password=None, **extra):
        extra.update(is_staff=True, is_superuser=True, role=User.Role.PROVINCE_ADMIN)
        return self.create_user(id_number, mobile, real_name, password, **extra)


class IdentityCheck(models.TextChoices):
    REGISTRY_SMS = "registry_sms", _("SMS code to the mobile on file in the registry")
    COUNTER = "counter", _("in person at a counter")


class User(AbstractBaseUser, PermissionsMixin):
    """One real-name account, valid on every city site of the province."""

    class Role(models.TextChoices):
        CITIZEN = "citizen", _("citizen")
        CLERK = "clerk", _("clerk")
        HOSPITAL = "hospital", _("hospital staff")
        PROVINCE_ADMIN = "province", _("province administrator")

    real_name = models.CharField(_("real name"), max_length=32)
    # Stored normalised (upper-case X), encrypted; look-ups by id_number_hash = identity.id_key().
    id_number = IdNumberField(_("resident ID number"))
    id_number_hash = IdHashField(source="id_number", unique=True)
    mobile = models.CharField(_("mobile number"), max_length=11, unique=True)
    role = models.CharField(_("role"), max_length=10, choices=Role.choices, default=Role.CITIZEN)
    medical_institution = models.ForeignKey(
        "portal.MedicalInstitution",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="staff",
        verbose_name=_("medical institution"),
    )
    is_staff = models.BooleanField(_("may use the admin"), default=False)
    is_active = models.BooleanField(_("active"), default=True)
    date_joined = models.DateTimeField(_("registered at"), default=timezone.now)
    # docs/rules.md §1: an account whose ID number has registry records sees them only once the
    # person is verified: by an SMS code to the mobile on file in the registry (automatic while
    # the account's own, SMS-proven mobile is that mobile) or by a clerk at a counter.
    identity_verified_at = models.DateTimeField(_("identity verified at"), null=True, blank=True)
    identity_verified_how = models.CharField(
        _("identity verified by"), max_length=16, choices=IdentityCheck.choices, blank=True, default="", db_default=""
    )
    identity_note = models.CharField(
        _("reason recorded by the clerk"), max_length=200, blank=True, default="", db_default=""
    )
    # The postal address on file (联系地址, R-DL art 81; docs/rules.md §1.1): prefilled on forms
    # that post documents. Changed only through portal.contact_services.
    postal_address = models.CharField(_("postal address"), max_length=300, blank=True, default="", db_default="")
    postcode = models.CharField(_("postcode"), max_length=6, blank=True, default="", db_default="")

    objects = UserManager()
    # Who changed whose role, staff flag or contact details; secrets and login times are not history.
    history = HistoricalRecords(excluded_fields=["password", "last_login"])

    USERNAME_FIELD = "id_number"
    REQUIRED_FIELDS = ["mobile", "real_name"]

    class Meta:
        verbose_name = _("user")
        verbose_name_plural = _("users")
        constraints = [
            models.CheckConstraint(
                condition=~models.Q(role="hospital") | models.Q(medical_institution__isnull=False),
                name="user_hospital_staff_has_institution",
            )
        ]

    def __str__(self):
        return f"{self.real_name} ({self.masked_id_number})"

    @property
    def masked_id_number(self) -> str:
        return identity.mask_id_number(self.id_number)

    @property
    def masked_mobile(self) -> str:
        return identity.mask_mobile(self.mobile)

    @property
    def is_clerk(self) -> bool:
        return self.role == self.Role.CLERK

    @property
    def is_province_admin(self) -> bool:
        return self.is_superuser or self.role == self.Role.PROVINCE_ADMIN

    @property
    def is_hospital_staff(self) -> bool:
        return self.role == self.Role.HOSPITAL and self.medical_institution_id is not None

    @property
    def registry_verified(self) -> bool:
        """May this account see registry data (vehicles, licence, points, notices) and start a
        service? docs/rules.md §1. Views use portal.decorators.registry_verified_required."""
        if self.identity_verified_at is not None:
            return True
        memo = self.__dict__.get("_registry_verified_memo")
        if memo is None:
            from portal import registry

            mobiles = registry.mobiles_on_file(self.id_number)
            # No records: nothing to protect (yet). Records: the account's mobile, proven by SMS at
            # registration, must be one the registry holds for this person.
            memo = mobiles is None or self.mobile in mobiles
            self.__dict__["_registry_verified_memo"] = memo
        return memo

    def get_full_name(self):
        return self.real_name

    def get_short_name(self):
        return self.real_name


class ClerkProfile(models.Model):
    """Ties a clerk to the one city (and office) whose records they may see and change."""

    user = models.OneToOneField(User, on_delete=models.CASCADE, related_name="clerk_profile")
    city = models.ForeignKey("portal.City", on_delete=models.PROTECT, related_name="clerks", verbose_name=_("city"))
    office = models.ForeignKey(
        "portal.Office", on_delete=models.PROTECT, null=True, blank=True, verbose_name=_("office")
    )

    history = HistoricalRecords()

    class Meta:
        verbose_name = _("clerk profile")
        verbose_name_plural = _("clerk profiles")

    def __str__(self):
        return f"{self.user.real_name} @ {self.city}"


class SmsCode(models.Model):
    """One SMS verification code sent to a mobile for one purpose, and its outgoing message.

    Only the code's hash is kept for checking. The row is also the SMS outbox (docs/operations.md
    "SMS outbox"): the message text waits in `text` until the gateway accepts it, then is blanked;
    Celery messages carry only the row id. A row with an empty `text` from the start is never sent
    (a decoy that makes an unknown mobile look like a known one, docs/rules.md §1).
    """

    class SendState(models.TextChoices):
        PENDING = "pending", _("waiting to be sent")
        SENDING = "sending", _("being sent")
        SENT = "sent", _("accepted by the gateway")
        FAILED = "failed", _("gave up")
        EXPIRED = "expired", _("expired before it could be sent")
        NONE = "none", _("nothing to send")

    mobile = models.CharField(max_length=11, db_index=True)
    purpose = models.CharField(max_length=32)
    code_hash = models.CharField(max_length=128)
    ip = models.GenericIPAddressField(null=True, blank=True)
    created_at = models.DateTimeField(default=timezone.now, db_index=True)
    expires_at = models.DateTimeField()
    attempts = models.PositiveSmallIntegerField(default=0)
    used_at = models.DateTimeField(null=True, blank=True)
    # The gateway's message id and delivery receipt (http backend).
    message_id = models.CharField(max_length=64, blank=True, db_index=True)
    delivery_status = models.CharField(max_length=16, blank=True)
    # Outbox: what to send, whether it went, and who holds it now (claimed_until).
    # db_default: rows inserted by hand-written SQL (bench seeding) need no value for these.
    # Encrypted (portal.idfields): the text holds the code until the gateway takes it.
    text = EncryptedOutboxText(max_length=300, blank=True, default="", db_default="")
    send_state = models.CharField(
        max_length=8, choices=SendState.choices, default=SendState.NONE, db_default=SendState.NONE
    )
    send_attempts = models.PositiveSmallIntegerField(default=0, db_default=0)
    next_attempt_at = models.DateTimeField(null=True, blank=True)
    claimed_until = models.DateTimeField(null=True, blank=True)
    sent_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        indexes = [
            models.Index(fields=["ip", "created_at"], name="smscode_ip_created"),
            models.Index(
                fields=["next_attempt_at"],
                name="smscode_outbox_due",
                condition=models.Q(send_state__in=["pending", "sending"]),
            ),
        ]

    def __str__(self):
        return f"{identity.mask_mobile(self.mobile)} {self.purpose}"


class SmsQuota(models.Model):
    """The SMS limits of one mobile or one address (docs/rules.md §1): the last send and the
    day's count. Locked (SELECT ... FOR UPDATE) while a code is handed out, so concurrent sends
    cannot both pass the 60-second rule or the daily cap. `key` is a keyed hash, not the number."""

    key = models.CharField(max_length=48, unique=True)
    day = models.DateField()
    day_count = models.PositiveIntegerField(default=0)
    last_sent_at = models.DateTimeField(null=True, blank=True)

    def __str__(self):
        return f"{self.key[:8]}… {self.day} ×{self.day_count}"


class SmsReceiptNonce(models.Model):
    """Nonces of accepted delivery receipts, kept while their timestamp is acceptable: the same
    receipt sent twice is applied once (sweep drops old ones)."""

    nonce = models.CharField(max_length=64, unique=True)
    received_at = models.DateTimeField(default=timezone.now, db_index=True)

    def __str__(self):
        return self.nonce
