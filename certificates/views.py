"""Citizen, hospital and public pages. Thin: every decision is in certificates.services."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.forms.utils import ErrorDict
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from certificates import forms, rules, selectors, services
from certificates.models import LICENCE_ITEMS, Application, Item, MedicalCertificate
from portal import identity
from portal.decorators import city_required, redirect_to_verify, registry_verified_required
from portal.models import DrivingLicence
from portal.payments import selectors as payment_selectors
from portal.postal import selectors as postal_selectors
from portal.ratelimits import client_ip
from portal.verification import VerificationError

ITEM_SLUGS = {item.value.replace("_", "-"): item for item in Item}
SLUG_OF = {item: slug for slug, item in ITEM_SLUGS.items()}


def _item(slug) -> Item:
    try:
        return ITEM_SLUGS[slug]
    except KeyError:
        raise Http404(_("No such service.")) from None


@city_required
def start(request):
    items = [(SLUG_OF[item], item.label, _notes(item)) for item in Item]
    mine = []
    if request.user.is_authenticated and not request.user.registry_verified:
        return redirect_to_verify(request)
    if request.user.is_authenticated:
        mine = list(selectors.applications_of(request.user.id_number, request.city)[:10])
    return render(request, "certificates/start.html", {"items": items, "mine": mine})


def _notes(item) -> str:
    return {
        Item.PLATES: _("Same number; made within 15 working days; a temporary plate for up to 15 days on request."),
        Item.VEHICLE_LICENCE: _("Issued within 1 working day; a damaged licence is taken back."),
        Item.REGISTRATION_CERT: _("Issued within 1 working day; a damaged certificate is taken back."),
        Item.INSPECTION_MARK: _(
            "For inspection-exempt cars, within 3 months before the validity ends; violations settled, "
            "compulsory insurance valid and the vehicle and vessel tax paid. Comes with an electronic mark."
        ),
        Item.MARK_REISSUE: _(
            "While the inspection is valid and the compulsory insurance too; issued within 1 working day with a new "
            "electronic mark, the old one void."
        ),
        Item.LICENCE_RENEWAL: _(
            "From 90 days before expiry (online up to 11 months after); needs a medical certificate under 6 months "
            "old uploaded by an authorised institution. Comes with an electronic licence."
        ),
        Item.LICENCE_REPLACEMENT: _("Not while the licence is seized or suspended; issued within 1 working day."),
    }[item]


@city_required
@login_required
@registry_verified_required
def choose(request, item_slug):
    """Every vehicle or licence of the citizen with what keeps each from this item, if anything."""
    item = _item(item_slug)
    today = timezone.localdate()
    rows = []
    for subject in services.subjects(item, request.user):
        kwargs = {"licence": subject} if item in LICENCE_ITEMS else {"vehicle": subject}
        rows.append((subject, services.refusals(item, request.user, request.city, today=today, **kwargs)))
    context = {"item": item, "slug": item_slug, "rows": rows, "notes": _notes(item)}
    if item == Item.LICENCE_RENEWAL:
        context["institutions"] = selectors.institutions_for(request.city)
    return render(request, "certificates/choose.html", context)


def _subject(request, item, subject_id):
    # The user's ID number and mobile are loaded with the subject (selectors.own_subject).
    subject = selectors.own_subject(item, request.user, subject_id)
    if subject is None:
        raise Http404
    return {"licence": subject} if item in LICENCE_ITEMS else {"vehicle": subject}


@city_required
@login_required
@registry_verified_required
def apply(request, item_slug, subject_id):
    item = _item(item_slug)
    if subject_id > 2**62:
        raise Http404
    subject = _subject(request, item, subject_id)
    # A POST is checked by the service itself (once, right before the case is written).
    found = services.refusals(item, request.user, request.city, **subject) if request.method != "POST" else []
    if found:
        return render(
            request,
            "certificates/choose.html",
            {"item": item, "slug": item_slug, "rows": [(next(iter(subject.values())), found)], "notes": _notes(item)},
        )
    # The postal address on file (docs/rules.md §1.1) is offered; the citizen may post elsewhere.
    initial = {
        "recipient_name": request.user.real_name,
        "recipient_phone": request.user.mobile,
        "address": request.user.postal_address,
        "postcode": request.user.postcode,
    }
    form = forms.apply_form(item)(request.POST or None, initial=initial)
    sms_notice = sms_error = None
    if request.method == "POST" and "send_code" in request.POST:
        try:
            services.send_code(request.user, client_ip(request))
        except VerificationError as exc:
            sms_error = str(exc)
        else:
            sms_notice = _("A code was sent to %(mobile)s.") % {"mobile": request.user.masked_mobile}
        # The page comes back with what was typed; no field errors for a form not yet submitted.
        form = forms.apply_form(item)(request.POST)
        form._errors = ErrorDict()
    elif request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            application = services.application_submit(
                user=request.user,
                city=request.city,
                item=item,
                code=data["code"],
                kind=data["kind"],
                reason_text=data.get("reason_text") or "",
                temporary_plate_days=data.get("temporary_plate_days") or 0,
                delivery=data["delivery"],
                cash_on_delivery=data.get("cash_on_delivery") or False,
                recipient_name=data.get("recipient_name") or "",
                recipient_phone=data.get("recipient_phone") or "",
                address=data.get("address") or "",
                postcode=data.get("postcode") or "",
                **subject,
            )
        except VerificationError as exc:
            form.add_error("code", str(exc))
        except services.CertificateError as exc:
            form.add_error(None, exc.message + (f" ({exc.where})" if exc.where else ""))
        else:
            messages.success(request, _("Submitted as case %(number)s.") % {"number": application.number})
            return redirect("certificates:case", application.number)
    fees = {
        delivery: services.charges(item, delivery=delivery, temporary_plate_days=0)
        for delivery in Application.Delivery.values
    }
    return render(
        request,
        "certificates/apply.html",
        {
            "item": item,
            "slug": item_slug,
            "subject": next(iter(subject.values())),
            "form": form,
            "fees": fees,
            "temp_fee": selectors.fees().get("temporary_plate"),
            "medical": selectors.newest_valid_medical(request.user.id_number) if item == Item.LICENCE_RENEWAL else None,
            "sms_notice": sms_notice,
            "sms_error": sms_error,
            "sms_sent": bool(sms_notice),
        },
    )


@city_required
@login_required
@registry_verified_required
def cases(request):
    return render(
        request, "certificates/cases.html", {"cases": selectors.applications_of(request.user.id_number, request.city)}
    )


def _own_case(request, number) -> Application:
    if len(number) > 20:
        raise Http404
    return get_object_or_404(
        Application.objects.select_related("vehicle", "licence", "city", "applicant"),
        number=number,
        city=request.city,
        id_number_hash=identity.id_key(request.user.id_number),
    )


@city_required
@login_required
@registry_verified_required
def case(request, number):
    application = _own_case(request, number)
    shipment = postal_selectors.latest_shipment(application.reference)
    documents = selectors.documents_of(application)
    return render(
        request,
        "certificates/case.html",
        {
            "case": application,
            "events": list(application.events.all()),
            "shipment": shipment,
            "tracking": postal_selectors.tracking(shipment) if shipment else [],
            "payment": payment_selectors.paid_payment(application.reference),
            "documents": [
                (d, request.build_absolute_uri(reverse("certificates:verify", args=[d.token]))) for d in documents
            ],
        },
    )


@city_required
@login_required
@registry_verified_required
@require_POST
def pay(request, number):
    application = _own_case(request, number)
    try:
        payment = services.application_pay(application, request)
    except services.CertificateError as exc:
        messages.error(request, exc.message)
        return redirect("certificates:case", application.number)
    return redirect(payment.cashier_url)


@city_required
@login_required
@registry_verified_required
@require_POST
def withdraw(request, number):
    application = _own_case(request, number)
    try:
        services.application_withdraw(application, request.user)
    except services.CertificateError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, _("Case %(number)s withdrawn.") % {"number": application.number})
    return redirect("certificates:case", application.number)


@city_required
@login_required
def document_qr(request, number, token):
    from django.http import HttpResponse

    application = _own_case(request, number)
    document = get_object_or_404(application.documents, token=token[:40])
    svg = services.qr_svg(request.build_absolute_uri(reverse("certificates:verify", args=[document.token])))
    return HttpResponse(svg, content_type="image/svg+xml")


def verify(request, token):
    """Public: anyone holding the QR code sees whether the document is valid. No ID number and
    only a masked name."""
    document = selectors.document_by_token(token[:40]) if len(token) <= 40 else None
    return render(
        request,
        "certificates/verify.html",
        {"document": document, "today": timezone.localdate()},
        status=200 if document else 404,
    )


@city_required
def institutions(request):
    return render(
        request,
        "certificates/institutions.html",
        {"institutions": selectors.institutions_for(request.city), "valid_months": rules.MEDICAL_VALID_MONTHS},
    )


@city_required
@login_required
def my_medicals(request):
    today = timezone.localdate()
    newest = selectors.newest_valid_medical(request.user.id_number, today)
    rows = [(m, rules.medical_valid_until(m.exam_date)) for m in selectors.medicals_of(request.user.id_number)]
    return render(
        request,
        "certificates/my_medicals.html",
        {"rows": rows, "newest": newest, "today": today, "institutions": selectors.institutions_for(request.city)},
    )


# --- Hospital staff -------------------------------------------------------------------------


def _staff(request):
    user = request.user
    if not (user.is_authenticated and user.is_active and user.is_hospital_staff):
        raise Http404(_("This page is for staff of authorised medical institutions."))
    return user.medical_institution


def _own_certificate(request, pk) -> MedicalCertificate:
    institution = _staff(request)
    if pk > 2**62:
        raise Http404
    # Another institution's certificate is simply not found (404), whatever the URL.
    return get_object_or_404(selectors.institution_certificates(institution), pk=pk)


@city_required
@login_required
def hospital(request):
    institution = _staff(request)
    certificates = list(selectors.institution_certificates(institution).filter(is_current=True)[:100])
    now = timezone.now()
    rows = [(c, now <= services.correction_deadline(c)) for c in certificates]
    return render(request, "certificates/hospital.html", {"institution": institution, "rows": rows})


@city_required
@login_required
def hospital_new(request):
    institution = _staff(request)
    form = forms.MedicalForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            certificate = services.medical_upload(request.user, **form.cleaned_data)
        except services.CertificateError as exc:
            form.add_error(None, exc.message)
        else:
            messages.success(request, _("Certificate saved for %(name)s.") % {"name": certificate.masked_name})
            return redirect("certificates:hospital_detail", certificate.pk)
    return render(request, "certificates/hospital_form.html", {"form": form, "institution": institution})


@city_required
@login_required
def hospital_detail(request, pk):
    certificate = _own_certificate(request, pk)
    versions = []
    current = certificate
    while current is not None:
        versions.append(current)
        current = current.supersedes
    return render(
        request,
        "certificates/hospital_detail.html",
        {
            "certificate": certificate,
            "versions": versions,
            "may_correct": certificate.is_current and timezone.now() <= services.correction_deadline(certificate),
            "valid_until": rules.medical_valid_until(certificate.exam_date),
        },
    )


@city_required
@login_required
def hospital_correct(request, pk):
    certificate = _own_certificate(request, pk)
    form = forms.MedicalCorrectionForm(
        request.POST or None, initial=forms.MedicalCorrectionForm.initial_from(certificate)
    )
    if request.method == "POST" and form.is_valid():
        try:
            new = services.medical_correct(request.user, certificate, **form.cleaned_data)
        except services.CertificateError as exc:
            form.add_error(None, exc.message)
        else:
            messages.success(request, _("Correction saved; the earlier version is kept."))
            return redirect("certificates:hospital_detail", new.pk)
    return render(
        request,
        "certificates/hospital_form.html",
        {"form": form, "institution": certificate.institution, "certificate": certificate},
    )


# --- deferral of renewal, review or medical (docs/rules.md §4.7) -------------------------------
@city_required
@login_required
@registry_verified_required
def deferral(request):
    licences = list(DrivingLicence.objects.held_by(request.user.id_number).order_by("-valid_from"))
    form = forms.DeferralForm(request.POST or None, request.FILES or None, licences=licences)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            services.deferral_submit(
                request.user,
                licence_id=data["licence"],
                subject=data["subject"],
                reason=data["reason"],
                until=data["until"],
                details=data["details"],
                document=data["document"],
            )
        except services.CertificateError as exc:
            form.add_error(None, exc.message)
        else:
            messages.success(request, _("Your request was sent to the issuing office for review."))
            return redirect("certificates:deferral")
    return render(
        request,
        "certificates/deferral.html",
        {"form": form, "licences": licences, "mine": list(selectors.deferrals_of(request.user)[:20])},
    )


@login_required
def deferral_document(request, token):
    """A request's document, for its applicant and the clerks of its city only."""
    from django.http import HttpResponse

    found = selectors.deferral_document(str(token)[:40], request.user)
    if found is None:
        raise Http404
    response = HttpResponse(bytes(found.document), content_type=found.document_type)
    response["X-Content-Type-Options"] = "nosniff"
    response["Cache-Control"] = "private, no-store"
    response["Content-Disposition"] = "inline"
    return response
