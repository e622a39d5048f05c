"""What every topic of the certificates services shares: the error type, case-number drawing,
timeline events and notices."""

import secrets

from django.utils import timezone

import notices
from certificates.models import Application, CaseEvent, Item

# The items' labels (lazy: translated when a notice's context is made, in the language then active).
# get_item_display() would rebuild a hashable dict of every choice on each call, translating every
# label to hash it.
ITEM_LABELS = dict(Item.choices)


class CertificateError(Exception):
    """A request that cannot be done; `message` is for the page, `where` says where to go instead."""

    def __init__(self, message, where: str = ""):
        super().__init__(str(message))
        self.message = str(message)
        self.where = str(where) if where else ""


def new_case_number(city) -> str:
    # 流水号: city division code, local date, 8 random digits (unguessable enough that a number
    # reveals nothing about other cases; the unique constraint catches a clash).
    return f"{city.division_code}{timezone.localtime():%y%m%d}{secrets.randbelow(10**8):08d}"


def add_event(application: Application, kind: str, by=None, note: str = "", at=None) -> CaseEvent:
    return CaseEvent.objects.create(
        application=application,
        kind=kind,
        at=at or timezone.now(),
        by=by if by is not None and by.pk else None,
        note=note[:300],
    )


def save_transition(application: Application, fields: list[str], by=None, reason: str = "") -> None:
    """Save a state change with its history row (who and why)."""
    application._history_user = by if by is not None and getattr(by, "pk", None) else None
    application._change_reason = reason
    application.save(update_fields=fields)


def notify_case(application: Application, step: str, **extra) -> None:
    """One notice per step of a case (kinds registered in certificates.apps)."""
    context = {
        "number": application.number,
        "item": str(ITEM_LABELS.get(application.item, application.item)),
        **{k: str(v) for k, v in extra.items()},
    }
    notices.notify(
        f"certificates.{step}",
        id_number=application.applicant.id_number,
        city=application.city,
        context=context,
        dedupe_key=f"certificates:{application.pk}:{step}:{extra.get('seq', '')}",
    )
