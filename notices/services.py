from django.db import IntegrityError, transaction

from notices import kinds
from notices.models import Notice
from portal import identity


def notify(kind: str, *, id_number: str, city=None, context: dict | None = None, dedupe_key: str | None = None):
    """Create a notice for the person with this ID number; returns it, or None if the
    dedupe_key was already used (so repeated sweeps and retried tasks notify once).

    Context values must be JSON-serialisable (dates as ISO strings).
    """
    kinds.get(kind)  # fail loudly on an unregistered kind
    try:
        with transaction.atomic():
            return Notice.objects.create(
                id_number=identity.id_key(id_number),
                city=city,
                kind=kind,
                context=context or {},
                dedupe_key=dedupe_key,
            )
    except IntegrityError:
        if dedupe_key and Notice.objects.filter(dedupe_key=dedupe_key).exists():
            return None
        raise


def announce(kind: str, *, city, context: dict | None = None, dedupe_key: str | None = None):
    """Post a public announcement (number-block release, exam plan) on a city's site.

    `kind` is a registered notice kind whose title/body render the announcement; the context
    must hold no personal data. Idempotent by dedupe_key. (Stub until the announcements page
    lands: the signature is the contract.)
    """
    kinds.get(kind)
    return None
