from django.db import models
from django.utils.translation import gettext_lazy as _

from notices import kinds


class Notice(models.Model):
    """One notice to one person (by ID number: they may not have an account yet)."""

    id_number = models.CharField(_("recipient ID number"), max_length=18, db_index=True)
    city = models.ForeignKey("portal.City", on_delete=models.PROTECT, null=True, blank=True, verbose_name=_("city"))
    kind = models.CharField(_("kind"), max_length=64)
    context = models.JSONField(_("context"), default=dict, blank=True)
    # Makes notify() idempotent: a sweep or task that runs twice creates one notice.
    dedupe_key = models.CharField(max_length=200, null=True, blank=True, unique=True)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True, db_index=True)
    read_at = models.DateTimeField(_("read at"), null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("notice")
        verbose_name_plural = _("notices")
        indexes = [models.Index(fields=["id_number", "read_at"], name="notice_inbox")]

    def __str__(self):
        return f"{self.kind} {self.created_at:%Y-%m-%d}"

    @property
    def title(self) -> str:
        return kinds.render(kinds.get(self.kind).title, self.context)

    @property
    def body(self) -> str:
        return kinds.render(kinds.get(self.kind).body, self.context)
