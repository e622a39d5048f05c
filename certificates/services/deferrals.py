"""Deferral of renewal, review or medical for military service or a stay abroad (R-DL deferral
article, docs/rules.md §4.7): the holder asks with a document, a clerk of the issuing city
approves or refuses with a reason; an approval moves the licence's due date in the registry."""

import datetime

from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

import notices
from certificates import rules
from certificates.models import Deferral
from certificates.services.common import CertificateError
from portal import registry_services
from portal.models import DrivingLicence

DOCUMENT_MAX_BYTES = 5 * 1024 * 1024


def deferral_base(licence: DrivingLicence, subject: str, today: datetime.date) -> datetime.date:
    """What the 3 years count from: the expiry for renewal, the day of the request otherwise."""
    if subject == Deferral.Subject.RENEWAL:
        return licence.valid_until
    return today


def deferral_refusals(licence: DrivingLicence, subject: str, until: datetime.date, today: datetime.date) -> list[str]:
    """Why this deferral cannot be asked for; empty when it can."""
    out = []
    if licence.status == DrivingLicence.Status.CANCELLED:
        return [_("Your driving licence is cancelled: a deferral is no longer possible.")]
    if subject == Deferral.Subject.RENEWAL:
        if licence.valid_until is None:
            return [_("Your driving licence is valid long-term; it needs no renewal.")]
        if today > licence.valid_until + datetime.timedelta(days=365):
            return [_("Your licence expired more than a year ago: it can no longer be deferred.")]
    base = deferral_base(licence, subject, today)
    latest = rules.deferral_latest_until(base)
    if until <= max(base, today):
        out.append(_("The date to defer to must be after %(date)s.") % {"date": max(base, today)})
    elif until > latest:
        out.append(_("A deferral runs at most 3 years: the latest date is %(date)s.") % {"date": latest.isoformat()})
    return out


def _notify(deferral: Deferral, step: str, **extra) -> None:
    notices.notify(
        f"certificates.deferral_{step}",
        id_number=deferral.applicant.id_number,
        city=deferral.city,
        context={
            "subject": str(deferral.get_subject_display()),
            "until": deferral.until.isoformat(),
            **{k: str(v) for k, v in extra.items()},
        },
        dedupe_key=f"certificates:deferral:{deferral.pk}:{step}",
    )


def deferral_submit(user, *, licence_id: int, subject: str, reason: str, until, details: str, document) -> Deferral:
    """The holder's request. `document` is an upload already checked by portal.uploads (PDF, JPG
    or PNG by content). Only the holder's own licence; one open request per licence and subject."""
    if subject not in Deferral.Subject.values or reason not in Deferral.Reason.values:
        raise CertificateError(_("Choose what to defer and why."))
    licence = DrivingLicence.objects.held_by(user.id_number).filter(pk=licence_id).first()
    if licence is None:
        raise CertificateError(_("Choose one of your driving licences."))
    today = timezone.localdate()
    refusals = deferral_refusals(licence, subject, until, today)
    if refusals:
        raise CertificateError(" ".join(refusals))
    if document is None or document.size is None or document.size > DOCUMENT_MAX_BYTES:
        raise CertificateError(_("Attach the document that proves the service or the stay abroad."))
    data = document.read()
    content_type = (
        "application/pdf"
        if document.name.endswith(".pdf")
        else ("image/png" if document.name.endswith(".png") else "image/jpeg")
    )
    try:
        with transaction.atomic():
            deferral = Deferral(
                city=licence.city,
                applicant=user,
                licence=licence,
                subject=subject,
                reason=reason,
                details=" ".join((details or "").split())[:200],
                until=until,
                document=data,
                document_type=content_type,
                submitted_at=timezone.now(),
            )
            deferral._history_user = user
            deferral.save()
            _notify(deferral, "submitted")
    except IntegrityError:
        raise CertificateError(_("You already asked to defer this; wait for the office's answer.")) from None
    return deferral


def _decide(deferral: Deferral, by, status: str, reason: str = "") -> Deferral:
    with transaction.atomic():
        locked = Deferral.objects.select_for_update().get(pk=deferral.pk)
        if locked.status != Deferral.Status.SUBMITTED:
            raise CertificateError(_("This request was already decided."))
        locked.status = status
        locked.decided_at = timezone.now()
        locked.decided_by = by
        locked.refusal_reason = reason
        locked._history_user = by
        locked._change_reason = status
        locked.save(update_fields=["status", "decided_at", "decided_by", "refusal_reason"])
        return locked


def deferral_approve(deferral: Deferral, by) -> Deferral:
    """Approve and move the licence's due date (registry field read by the notice sweeps and the
    renewal window, docs/rules.md §4.7)."""
    with transaction.atomic():
        deferral = _decide(deferral, by, Deferral.Status.APPROVED)
        registry_services.licence_deferral_set(
            deferral.licence_id, deferral.subject, deferral.until, by=by, reason=f"deferral {deferral.pk} approved"
        )
        _notify(deferral, "approved")
    return deferral


def deferral_refuse(deferral: Deferral, by, reason: str) -> Deferral:
    reason = " ".join((reason or "").split())
    if not reason:
        raise CertificateError(_("Give the reason for the refusal: the applicant reads it."))
    with transaction.atomic():
        deferral = _decide(deferral, by, Deferral.Status.REFUSED, reason[:300])
        _notify(deferral, "refused", reason=reason[:300])
    return deferral
