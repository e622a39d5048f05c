"""Reads of the certificates app, the public API other apps may use:

    newest_valid_medical(id_number, on=None) -> MedicalCertificate | None
    medicals_fit_since(rows) -> set of ID-number keys (the 70+ medical sweep, through portal.hooks)
    institutions_for(city)

and the reads this app's pages and services share.
"""

import datetime
import re

from django.db.models import Count, Q, Subquery
from django.utils import timezone

from certificates import rules
from certificates.models import (
    LICENCE_ITEMS,
    Application,
    CompulsoryInsurance,
    Deferral,
    ElectronicDocument,
    Fee,
    Item,
    MedicalCertificate,
    VehicleTax,
)
from portal import identity
from portal.models import DrivingLicence, MedicalInstitution, User, Vehicle
from portal.processcache import TimedCache


def newest_valid_medical(id_number: str, on: datetime.date | None = None, licence_class: str | None = None):
    """The newest current (not superseded) medical certificate of a person that is still valid
    on `on` (6 months from the exam, docs/rules.md §4.5) and concludes "fit"; with
    licence_class, only one that lists that class. Exams and licence renewal use this."""
    on = on or timezone.localdate()
    qs = MedicalCertificate.objects.filter(
        id_number_hash=identity.id_key(id_number),
        is_current=True,
        conclusion=MedicalCertificate.Conclusion.FIT,
        exam_date__gte=rules.medical_oldest_valid_exam(on),
        exam_date__lte=on,
    ).select_related("institution")
    if licence_class:
        qs = qs.filter(classes_fit__contains=[licence_class])
    return qs.order_by("-exam_date", "-id").first()


def medicals_fit_since(rows) -> set[str]:
    """Of `rows` (id_number_hash, since), the keys whose holder has a current certificate
    concluding "fit" examined on or after `since`: the 70+ yearly medical submitted after a
    points cycle ended (docs/rules.md §6.2). One query for a whole sweep's candidates; notices
    asks through portal.hooks.medicals_since."""
    since = {key: day for key, day in rows}
    if not since:
        return set()
    found = MedicalCertificate.objects.filter(
        id_number_hash__in=list(since),
        is_current=True,
        conclusion=MedicalCertificate.Conclusion.FIT,
        exam_date__gte=min(since.values()),
    ).values_list("id_number_hash", "exam_date")
    return {key for key, exam_date in found if exam_date >= since[key]}


def medicals_of(id_number: str):
    """A citizen's own certificates, current versions, newest first."""
    return (
        MedicalCertificate.objects.filter(id_number_hash=identity.id_key(id_number), is_current=True)
        .select_related("institution")
        .order_by("-exam_date", "-id")
    )


def institutions_for(city, c5_only: bool = False):
    qs = MedicalInstitution.objects.filter(city=city, is_active=True).order_by("name")
    return qs.filter(may_certify_c5=True) if c5_only else qs


def institution_certificates(institution):
    """What one institution's staff may see: only their own institution's uploads."""
    return MedicalCertificate.objects.filter(institution=institution)


def valid_insurance(vehicle, on: datetime.date):
    return (
        CompulsoryInsurance.objects.filter(vehicle=vehicle, valid_from__lte=on, valid_until__gte=on)
        .order_by("-valid_until")
        .first()
    )


def untaxed_years(vehicle, years) -> list[int]:
    """The years of `years` with no vehicle and vessel tax on record as paid or exempt."""
    years = list(years)
    if not years:
        return []
    done = set(VehicleTax.objects.filter(vehicle=vehicle, tax_year__in=years).values_list("tax_year", flat=True))
    return [year for year in years if year not in done]


def vehicle_has_unsettled_violations(vehicle) -> bool:
    """Asked of the violations app through its public selector (design: apps read each other
    only through selectors)."""
    from violations import selectors as violation_selectors

    return violation_selectors.vehicle_has_unsettled(vehicle)


def _load_fees(_key) -> dict:
    return {**rules.NATIONAL_FEES, **dict(Fee.objects.values_list("code", "amount"))}


# Read on every submission; a change in the admin reaches every process within a minute
# (portal.processcache).
_fees = TimedCache(_load_fees)


def fees() -> dict[str, object]:
    """The province's fee table, the national standard for any fee it does not list."""
    return _fees.get()


def own_subject(item, user, pk: int):
    """The user's own driving licence (licence items) or vehicle with this pk, or None.

    Found by the hash of the ID number, which the session's cached user carries. The ID number
    and mobile are never cached (portal.auth_backends.UNCACHED_FIELDS) and every page of an
    application needs both. The subject was matched on the hash of the user's ID number, so its
    own copy of the number is the user's: it is set on `user` from there (no subquery, and no
    second decryption). The mobile comes back in the same statement as a subquery on the user's
    primary key (one round trip where the user's fields and the subject were two)."""
    # One filter() call for both conditions: each call clones the queryset.
    if item in LICENCE_ITEMS:
        qs, number = DrivingLicence.objects.filter(id_number_hash=user.id_number_hash, pk=pk), "id_number"
    else:
        qs, number = Vehicle.objects.filter(owner_id_number_hash=user.id_number_hash, pk=pk), "owner_id_number"
    deferred = user.get_deferred_fields()
    if "mobile" in deferred:
        # The subquery's output field is the user's own mobile field.
        qs = qs.annotate(_applicant_mobile=Subquery(User.objects.filter(pk=user.pk).values("mobile")))
    # At most one row (the primary key): no ORDER BY (the model's default, or first()'s) to compile.
    subject = next(iter(qs.order_by()[:1]), None)
    if subject is not None:
        if "mobile" in deferred:
            user.mobile = subject._applicant_mobile
        if "id_number" in deferred:
            user.id_number = identity.normalize_id_number(getattr(subject, number))
    return subject


def applications_of(id_number: str, city=None):
    qs = Application.objects.filter(id_number_hash=identity.id_key(id_number)).select_related("vehicle", "licence")
    if city is not None:
        qs = qs.filter(city=city)
    return qs.order_by("-submitted_at")


def open_application(item: str, *, vehicle=None, licence=None):
    qs = Application.objects.filter(item=item, status__in=Application.OPEN)
    return qs.filter(vehicle=vehicle).first() if vehicle is not None else qs.filter(licence=licence).first()


def queue(city, status: str, limit: int = 25, offset: int = 0) -> list[dict]:
    """A clerk's queue: the city's cases in one state, longest waiting first (an index scan on
    cert_queue however long the queue is), as plain rows for the page."""
    items, deliveries = dict(Item.choices), dict(Application.Delivery.choices)
    rows = list(
        Application.objects.filter(city=city, status=status)
        .order_by("accepted_at", "id")
        .values(
            "pk",
            "number",
            "item",
            "accepted_at",
            "due_on",
            "delivery",
            "returned_count",
            "vehicle__plate_number",
            "vehicle__vin",
            "licence__id_number",
        )[offset : offset + limit]
    )
    for row in rows:
        row["item_label"] = items.get(row["item"], row["item"])
        row["delivery_label"] = deliveries.get(row["delivery"], row["delivery"])
        plate, vin, licence = row.pop("vehicle__plate_number"), row.pop("vehicle__vin"), row.pop("licence__id_number")
        row["subject"] = plate or vin or (identity.mask_id_number(licence) if licence else "")
    return rows


def queue_counts(city, today: datetime.date) -> dict:
    """Per queue state: how many, and how many are past their legal time limit."""
    rows = (
        Application.objects.filter(city=city, status__in=Application.QUEUE)
        .values("status")
        .annotate(n=Count("id"), late=Count("id", filter=Q(due_on__lt=today)))
    )
    return {row["status"]: (row["n"], row["late"]) for row in rows}


def mailout_list(city):
    """Produced cases to post that have no live shipment yet (the day's mail-out list)."""
    return (
        Application.objects.filter(city=city, status=Application.Status.PRODUCED, delivery=Application.Delivery.POST)
        .select_related("vehicle", "licence")
        .order_by("accepted_at", "id")
    )


def document_by_token(token: str):
    return ElectronicDocument.objects.filter(token=token).first()


def documents_of(application):
    return list(application.documents.order_by("-issued_at"))


_TOKEN_RE = re.compile(r"[A-Za-z0-9_-]{1,40}")


def deferrals_of(user):
    """A holder's own deferral requests, newest first (without the documents' bytes)."""
    return Deferral.objects.filter(applicant=user).defer("document").select_related("licence")


def deferral_document(token: str, user):
    """A request whose document `user` may open: its applicant or a clerk of its city (None otherwise)."""
    from portal.admin_helpers import clerk_city

    if not user.is_authenticated or not _TOKEN_RE.fullmatch(token or ""):
        return None
    deferral = Deferral.objects.filter(document_token=token).select_related("city").first()
    if deferral is None:
        return None
    if user.is_superuser or deferral.applicant_id == user.pk or clerk_city(user) == deferral.city:
        return deferral
    return None


def deferral_queue(city):
    """Requests awaiting a clerk of `city`, oldest first."""
    return (
        Deferral.objects.filter(city=city, status=Deferral.Status.SUBMITTED)
        .defer("document")
        .select_related("licence", "applicant")
        .order_by("submitted_at", "id")
    )
