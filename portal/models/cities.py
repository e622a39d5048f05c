from django.db import models
from django.utils.translation import gettext_lazy as _
from simple_history.models import HistoricalRecords


class City(models.Model):
    """A prefecture-level city: one website at <code>.<PORTAL_DOMAIN> and one DMV (车管所)."""

    code = models.SlugField(_("site code"), max_length=8, unique=True, help_text=_("Sub-domain, e.g. has"))
    name = models.CharField(_("name"), max_length=32)
    name_en = models.CharField(_("English name"), max_length=64)
    division_code = models.CharField(_("division code"), max_length=6, unique=True)
    # Space-separated when a city has more than one issuing letter (Suzhou: 苏E 苏U).
    plate_prefixes = models.CharField(_("plate prefixes"), max_length=32)
    is_active = models.BooleanField(_("active"), default=True)
    ordering = models.PositiveSmallIntegerField(default=0)

    history = HistoricalRecords()

    class Meta:
        ordering = ["ordering", "division_code"]
        verbose_name = _("city")
        verbose_name_plural = _("cities")

    def __str__(self):
        return self.name

    @property
    def prefix_list(self) -> list[str]:
        return self.plate_prefixes.split()

    @property
    def plate_prefix(self) -> str:
        return self.prefix_list[0]

    @property
    def display_name(self) -> str:
        from django.utils.translation import get_language

        return self.name_en if (get_language() or "").startswith("en") else self.name


class Office(models.Model):
    """A vehicle-administration office or police unit of a city (车管所, 交警大队)."""

    city = models.ForeignKey(City, on_delete=models.PROTECT, related_name="offices", verbose_name=_("city"))
    name = models.CharField(_("name"), max_length=64)
    address = models.CharField(_("address"), max_length=200, blank=True)
    phone = models.CharField(_("phone"), max_length=32, blank=True)

    history = HistoricalRecords()

    class Meta:
        ordering = ["city", "name"]
        verbose_name = _("office")
        verbose_name_plural = _("offices")

    def __str__(self):
        return self.name


class MedicalInstitution(models.Model):
    """An institution authorised to issue physical-condition certificates (R-DL art 28)."""

    city = models.ForeignKey(
        City, on_delete=models.PROTECT, related_name="medical_institutions", verbose_name=_("city")
    )
    name = models.CharField(_("name"), max_length=100)
    licence_number = models.CharField(_("institution licence number"), max_length=64, unique=True)
    address = models.CharField(_("address"), max_length=200, blank=True)
    may_certify_c5 = models.BooleanField(_("may certify disabled drivers (C5)"), default=False)
    is_active = models.BooleanField(_("authorised"), default=True)

    history = HistoricalRecords()

    class Meta:
        ordering = ["city", "name"]
        verbose_name = _("medical institution")
        verbose_name_plural = _("medical institutions")

    def __str__(self):
        return self.name


class CitySetting(models.Model):
    """An override of one [LOCAL] rule for one city; read through portal.citysettings.get()."""

    city = models.ForeignKey(City, on_delete=models.CASCADE, related_name="settings", verbose_name=_("city"))
    key = models.CharField(_("setting"), max_length=64)
    value = models.JSONField(_("value"))
    updated_at = models.DateTimeField(auto_now=True)

    history = HistoricalRecords()

    class Meta:
        constraints = [models.UniqueConstraint(fields=["city", "key"], name="citysetting_unique_key")]
        verbose_name = _("city setting")
        verbose_name_plural = _("city settings")

    def __str__(self):
        return f"{self.city.code}:{self.key}"
