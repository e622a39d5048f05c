"""Medical certificates uploaded by authorised institutions (R-DL art 14, art 28 para 2;
docs/rules.md §4.5). Staff see and correct only their own institution's uploads, for 24 hours
after the first version; a correction is a new version, the old one is kept."""

import datetime

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from certificates import rules
from certificates.models import MedicalCertificate
from certificates.services.common import CertificateError
from portal import identity
from portal.models import DrivingLicence, User, Vehicle

FIELDS = (
    "exam_date",
    "height_cm",
    "vision_left",
    "vision_right",
    "vision_corrected",
    "colour_vision",
    "hearing_ok",
    "limbs_ok",
    "trunk_neck_ok",
    "conclusion",
    "classes_fit",
    "doctor_name",
)


def _staff_institution(user):
    if not (user.is_authenticated and user.is_active and user.is_hospital_staff):
        raise CertificateError(_("Only staff of an authorised medical institution may do this."))
    institution = user.medical_institution
    if not institution.is_active:
        raise CertificateError(_("Your institution is no longer authorised to issue medical certificates."))
    return institution


def person_known(id_number: str, name: str) -> bool:
    """The ID number and name match an account or a registry record (licence or vehicle)."""
    key = identity.id_key(id_number)
    name = name.strip()
    return (
        User.objects.filter(id_number_hash=key, real_name=name).exists()
        or DrivingLicence.objects.filter(id_number_hash=key, holder_name=name).exists()
        or Vehicle.objects.filter(owner_id_number_hash=key, owner_name=name).exists()
    )


def _check(data: dict) -> None:
    today = timezone.localdate()
    exam_date = data["exam_date"]
    if exam_date > today:
        raise CertificateError(_("The exam date cannot be in the future."))
    if rules.medical_valid_until(exam_date) < today:
        raise CertificateError(_("An exam more than 6 months ago gives no valid certificate."))
    if data["conclusion"] == MedicalCertificate.Conclusion.FIT and not data["classes_fit"]:
        raise CertificateError(_("List the licence classes the person is fit for."))
    if data["conclusion"] == MedicalCertificate.Conclusion.UNFIT:
        data["classes_fit"] = []


def medical_upload(user, *, id_number: str, name: str, **data) -> MedicalCertificate:
    institution = _staff_institution(user)
    id_number = identity.validate_id_number(id_number)
    if not person_known(id_number, name):
        raise CertificateError(
            _("The ID number and name match no account or registry record: check both against the ID card.")
        )
    if "C5" in data.get("classes_fit", []) and not institution.may_certify_c5:
        raise CertificateError(_("Only provincially designated institutions may certify class C5."))
    _check(data)
    now = timezone.now()
    certificate = MedicalCertificate(
        institution=institution,
        city=institution.city,
        id_number=identity.normalize_id_number(id_number),
        name=name.strip(),
        uploaded_by=user,
        uploaded_at=now,
        first_uploaded_at=now,
        **{k: data[k] for k in FIELDS},
    )
    certificate._history_user = user
    certificate._change_reason = "uploaded"
    certificate.save()
    return certificate


def correction_deadline(certificate: MedicalCertificate) -> datetime.datetime:
    return certificate.first_uploaded_at + datetime.timedelta(hours=rules.MEDICAL_CORRECTION_HOURS)


def medical_correct(user, certificate: MedicalCertificate, **data) -> MedicalCertificate:
    """A new version of a certificate of the staff member's own institution, within 24 hours;
    the person (ID number, name) cannot change: a wrong person means a new certificate."""
    institution = _staff_institution(user)
    if "C5" in data.get("classes_fit", []) and not institution.may_certify_c5:
        raise CertificateError(_("Only provincially designated institutions may certify class C5."))
    _check(data)
    now = timezone.now()
    with transaction.atomic():
        old = MedicalCertificate.objects.select_for_update().filter(pk=certificate.pk, institution=institution).first()
        if old is None:
            raise CertificateError(_("No such certificate of your institution."))
        if not old.is_current:
            raise CertificateError(_("This version was already corrected; correct the newest one."))
        if now > correction_deadline(old):
            raise CertificateError(_("Certificates can be corrected only within 24 hours of the upload."))
        old.is_current = False
        old._history_user = user
        old._change_reason = "superseded"
        old.save(update_fields=["is_current"])
        new = MedicalCertificate(
            institution=institution,
            city=old.city,
            id_number=old.id_number,
            name=old.name,
            uploaded_by=user,
            uploaded_at=now,
            first_uploaded_at=old.first_uploaded_at,
            supersedes=old,
            **{k: data[k] for k in FIELDS},
        )
        new._history_user = user
        new._change_reason = "corrected"
        new.save()
    return new
