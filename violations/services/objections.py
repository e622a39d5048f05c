"""Objections (异议) to records: filed online with photos, decided by a clerk within 5 working
days (R-PROC art 20; docs/rules.md §5.2); an upheld objection deletes the record."""

import io

from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

import notices
from portal import audit, identity, workdays
from violations.models import Objection, ObjectionPhoto, Violation
from violations.services.common import ViolationError

DECIDE_WORKING_DAYS = 5
MAX_PHOTOS = 3
MAX_PHOTO_BYTES = 2 * 1024 * 1024
# Decided by what the bytes are, never by the file name or the browser's content type.
_FORMATS = {"JPEG": "image/jpeg", "PNG": "image/png"}


def check_photo(upload) -> tuple[bytes, str]:
    """The photo's bytes and content type, or a ViolationError naming the file."""
    name = getattr(upload, "name", "") or "?"
    if upload.size > MAX_PHOTO_BYTES:
        raise ViolationError(_("%(name)s is larger than 2 MB.") % {"name": name})
    data = upload.read()
    if len(data) > MAX_PHOTO_BYTES:
        raise ViolationError(_("%(name)s is larger than 2 MB.") % {"name": name})
    from PIL import Image, UnidentifiedImageError

    try:
        with Image.open(io.BytesIO(data)) as image:
            kind = image.format
            image.verify()
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError, Image.DecompressionBombError):
        kind = None
    if kind not in _FORMATS:
        raise ViolationError(_("%(name)s is not a JPEG or PNG photo.") % {"name": name})
    return data, _FORMATS[kind]


def may_object(violation, id_number: str) -> bool:
    from violations.models import Binding

    key = identity.id_key(id_number)
    if violation.vehicle.owner_id_number_hash == key:
        return True
    return Binding.objects.filter(
        vehicle_id=violation.vehicle_id,
        driver_id_number_hash=key,
        status=Binding.Status.ACTIVE,
        approved_at__lt=violation.occurred_at,
    ).exists()


def objection_file(violation, *, user, reason: str, photos=()) -> Objection:
    reason = (reason or "").strip()
    if not may_object(violation, user.id_number):
        raise ViolationError(_("Only the owner or a registered driver may object to this record."))
    if not reason:
        raise ViolationError(_("Say why the record is wrong."))
    if len(photos) > MAX_PHOTOS:
        raise ViolationError(_("At most %(n)s photos.") % {"n": MAX_PHOTOS})
    checked = [check_photo(p) for p in photos]
    now = timezone.now()
    try:
        with transaction.atomic():
            won = Violation.objects.filter(pk=violation.pk, status=Violation.Status.UNHANDLED).update(
                status=Violation.Status.OBJECTED
            )
            if not won:
                raise ViolationError(_("An objection can be filed only against a record that is not handled yet."))
            audit.record(violation, "objection filed", user)
            objection = Objection(
                violation=violation,
                city=violation.city,
                filer_id_number=identity.normalize_id_number(user.id_number),
                filer_name=user.real_name,
                reason=reason[:2000],
                filed_at=now,
                due_on=workdays.add_working_days(timezone.localdate(now), DECIDE_WORKING_DAYS),
            )
            objection._history_user = user
            objection.save()
            for data, content_type in checked:
                ObjectionPhoto.objects.create(objection=objection, data=data, content_type=content_type, size=len(data))
    except IntegrityError:
        raise ViolationError(_("An objection to this record is already under review.")) from None
    return objection


def objection_decide(objection, *, upheld: bool, note: str, by) -> Objection:
    note = (note or "").strip()
    if not note:
        raise ViolationError(_("Give the reason for the decision."))
    with transaction.atomic():
        status = Objection.Status.UPHELD if upheld else Objection.Status.REJECTED
        won = Objection.objects.filter(pk=objection.pk, status=Objection.Status.PENDING).update(
            status=status, decided_at=timezone.now(), decided_by=by, decision_note=note[:300]
        )
        if not won:
            raise ViolationError(_("This objection has already been decided."))
        audit.record(objection, f"{status}: {note[:80]}", by)
        violation = objection.violation
        if upheld:
            Violation.objects.filter(pk=violation.pk, status=Violation.Status.OBJECTED).update(
                status=Violation.Status.DELETED, deleted_reason=(_("Objection upheld: %(note)s") % {"note": note})[:300]
            )
        else:
            Violation.objects.filter(pk=violation.pk, status=Violation.Status.OBJECTED).update(
                status=Violation.Status.UNHANDLED
            )
        audit.record(violation, "objection upheld: deleted" if upheld else "objection rejected", by)
        notices.notify(
            "violations.objection_decided",
            id_number=objection.filer_id_number,
            city=objection.city,
            context={
                "plate": violation.plate_number,
                "time": timezone.localtime(violation.occurred_at).strftime("%Y-%m-%d %H:%M"),
                "outcome": str(_("upheld, the record is deleted") if upheld else _("rejected, the record stands")),
                "note": note[:300],
            },
            dedupe_key=f"violations.objection:{objection.pk}",
        )
    objection.refresh_from_db()
    return objection
