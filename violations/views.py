"""Citizen pages of violations. Thin: every decision is in violations.services."""

import functools
from decimal import Decimal

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.db.models import Q
from django.http import Http404, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import formats, timezone, translation
from django.utils.safestring import mark_safe
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from portal import identity, verification
from portal.auth_backends import UNCACHED_FIELDS
from portal.decorators import city_required, redirect_to_verify, registry_verified_required
from portal.ratelimits import client_ip
from portal.replica import replica_reads
from violations import forms, pdf, selectors, services
from violations.models import Binding, Decision, ObjectionPhoto, Violation
from violations.services import objections as objection_services

HANDLE_PURPOSE = services.handling.HANDLE_PURPOSE


def _load_personal_fields(user) -> None:
    """The session's user comes from the cache without ID number and mobile
    (portal.auth_backends.UNCACHED_FIELDS), each loaded by its own query on first use; a page
    that reads both loads them together, one query instead of two."""
    deferred = user.get_deferred_fields() & set(UNCACHED_FIELDS)
    if len(deferred) > 1:
        user.refresh_from_db(fields=sorted(deferred))


def _parse_ids(raw) -> list[int]:
    ids = []
    for part in raw:
        for piece in str(part).split(","):
            piece = piece.strip()
            if piece.isascii() and piece.isdigit() and len(piece) <= 18:
                ids.append(int(piece))
    return sorted(set(ids))[:50]


def visible_records(user, ids=None):
    """The citizen's records: all of their own vehicles', and of bound vehicles those after the
    binding date, with the binding (or None) each is seen through. Two queries: the vehicles
    (owned and bound, one UNION) and the records (an index range scan per vehicle), by the
    account's look-up key."""
    owned, bindings, _licence = selectors.visible_vehicles(user.id_number_hash)
    q = selectors.visible_violations_q(owned, bindings)
    if ids is not None:  # only these of them (the records being handled or objected to)
        q &= Q(pk__in=ids)
    records = (
        Violation.objects.filter(q)
        .exclude(status=Violation.Status.DELETED)
        .select_related("code", "vehicle", "city", "decision")
        .order_by("-occurred_at", "-id")[:200]
    )
    return records, {b.vehicle_id: b for b in bindings}


# What "my violations" reads of a record and its code and decision: the page and
# services.unhandled_refusals, nothing more, as plain values (no model instances built for a few
# fields; no encrypted ID numbers of owners or handlers to decrypt).
_START_FIELDS = (
    *("pk", "city_id", "vehicle_id", "plate_number", "occurred_at", "place", "fine", "points", "source", "status"),
    *("code__code", "code__description", "code__suspension", "code__detention", "code__online_allowed"),
    *("decision__number", "decision__status", "decision__due_on", "decision__fine"),
)
# The vehicle's plate type decides only a bound vehicle's refusals (small cars only): the vehicle
# is joined only for a citizen with bindings. Most citizens see their own vehicles alone, and the
# join would cost every one of their pages about 200 Python calls and a fifth to a third of the
# statement's planning in PostgreSQL (measured on a seeded million-row table, 1 December).
_START_BOUND_FIELDS = (*_START_FIELDS, "vehicle__plate_type")


# My violations' fixed texts. Each {% translate %} tag costs about 70 Python calls whenever it
# renders (a lazy string made, translated, localized and escaped), a printed variable about 15;
# the page has about 20 of them. They are the same for every request in a language, and a
# process's translations do not change while it runs (Django loads each catalogue once), so they
# are translated once per language for the process, as the header's links are reversed once
# (portal.context_processors). The template prints them (labels.<key>), byte for byte what the
# tags printed.
_START_LABELS = {
    "title": gettext_lazy("Violations and fines"),
    "no_licence": gettext_lazy(
        "No driving licence is on file for you: points cannot be recorded, so records are handled at a counter."
    ),
    "online_rule": gettext_lazy(
        "Camera-recorded records with a fine of at most 200 yuan, no suspension or detention, and points that keep "
        "you below 12 may be handled online. Tick the records and handle them together: their points add up."
    ),
    "vehicle": gettext_lazy("Vehicle"),
    "time": gettext_lazy("Time"),
    "place": gettext_lazy("Place"),
    "violation": gettext_lazy("Violation"),
    "fine": gettext_lazy("Fine (yuan)"),
    "points": gettext_lazy("Points"),
    "status": gettext_lazy("Status"),
    "actions": gettext_lazy("What you can do"),
    "choose": gettext_lazy("Choose"),
    "registered": gettext_lazy("registered"),
    "may_handle": gettext_lazy("May be handled online"),
    "object": gettext_lazy("Object to this record"),
    "decision": gettext_lazy("Decision"),
    "under_review": gettext_lazy("Objection under review"),
    "handle": gettext_lazy("Handle the chosen records"),
    "none": gettext_lazy("No violations are recorded for your vehicles."),
}


@functools.lru_cache(maxsize=8)
def _labels(language: str) -> dict:
    # The argument is the cache key: the labels are translated in the active language. Marked
    # safe as {% translate %} marks a literal text's translation (the texts are ours, not input).
    return {key: mark_safe(str(label)) for key, label in _START_LABELS.items()}


def _plain_number(value) -> str:
    return format(value, "f") if isinstance(value, Decimal) else str(value)


def _number_formatter():
    """How the template would print a number ({{ value }}: formats.localize), decided once a page.
    In the portal's languages (no thousands separator, "." before decimals) it comes down to
    _plain_number, a fraction of localize's cost, which is paid for each of a page's numbers."""
    if not settings.USE_THOUSAND_SEPARATOR and formats.get_format("DECIMAL_SEPARATOR") == ".":
        return _plain_number
    return formats.localize


def _start_rows(records, *, owned, bindings, licence, watched) -> list[dict]:
    """My violations' rows, formatted once here: the template only prints them. Labels are
    translated once a page with records (not once a row, nor on a page without any). `owned`:
    the ids of the citizen's own vehicles (whose owner is the citizen, as the records query
    would tell by one more column); `bindings`: their bindings by vehicle id."""
    unhandled = Violation.Status.UNHANDLED
    statuses = {value: str(label) for value, label in Violation.Status.choices}
    sources = {value: str(label) for value, label in Violation.Source.choices}
    number = _number_formatter()
    rows = []
    for record in records:
        status = record["status"]
        row = {
            "id": str(record["pk"]),
            "plate": record["plate_number"],
            "registered": record["vehicle_id"] in bindings,
            "when": timezone.localtime(record["occurred_at"]).strftime("%Y-%m-%d %H:%M"),
            "place": record["place"],
            "code": record["code__code"],
            "description": record["code__description"],
            "source": sources.get(record["source"], record["source"]),
            "fine": number(record["fine"]),
            "points": number(record["points"]),
            "status_label": statuses.get(status, status),
            # What the last column shows, as flags the template tests without comparing (and
            # every key present: a missing one costs the template a failed lookup a row).
            "unhandled": status == unhandled,
            "pick": False,
            "reasons": (),
            "decision": None,
            "due": None,
            "objected": status == Violation.Status.OBJECTED,
        }
        if status == unhandled:
            # Refusals only for records that can be handled: for the others the page shows none.
            owner = record["vehicle_id"] in owned
            reasons = services.unhandled_refusals(
                owner=owner,
                binding=None if owner else bindings.get(record["vehicle_id"]),
                plate_type=None if owner else record["vehicle__plate_type"],  # read with bindings only
                occurred_at=record["occurred_at"],
                source=record["source"],
                city_id=record["city_id"],
                fine=record["fine"],
                suspension=record["code__suspension"],
                detention=record["code__detention"],
                online_allowed=record["code__online_allowed"],
                licence=licence,
            )
            row["reasons"] = watched + reasons if watched else reasons
            row["pick"] = not row["reasons"]
        elif status in (Violation.Status.DECIDED, Violation.Status.PAID) and record["decision__number"] is not None:
            row["decision"] = record["decision__number"]
            if record["decision__status"] == Decision.Status.UNPAID:
                due = services.fine_due(record["decision__fine"], record["decision__due_on"])
                row["due"] = number(due.total)
        rows.append(row)
    return rows


@replica_reads
@city_required
def start(request):
    """My violations: each record with status, fine, points and what the citizen can do.

    Three queries (the vehicles with the licence, the records with whether the watch list names
    the citizen or each record's vehicle, the header's unread count), and the watch list's
    reasons only when it does. Everything is asked by the account's look-up key (cached with the
    session's user): the page never reads or decrypts the ID number. The rows are plain values,
    formatted here once: the template only prints them (tests/violations/test_query_counts.py,
    docs/benchmarks.md)."""
    if not request.user.is_authenticated:
        return render(
            request, "violations/start.html", {"anonymous": True, "labels": _labels(translation.get_language())}
        )
    user = request.user
    if not user.registry_verified:
        return redirect_to_verify(request)
    key = user.id_number_hash
    owned, bindings, licence = selectors.visible_vehicles(key, with_licence=True)
    records = []
    if owned or bindings:  # no vehicle, no records to look for
        # One filter() and the watch list's EXISTS annotated last: each step after it would copy
        # the subquery's conditions again (the same SQL, about 270 Python calls less).
        records = list(
            Violation.objects.filter(
                selectors.visible_violations_q(owned, bindings), ~Q(status=Violation.Status.DELETED)
            )
            .order_by("-occurred_at", "-id")
            .values(*(_START_BOUND_FIELDS if bindings else _START_FIELDS))
            .annotate(watched=services.watch.listed_with_record(key))[:200]
        )
    bindings = {b.vehicle_id: b for b in bindings}
    unhandled = Violation.Status.UNHANDLED
    # The watch list stops online handling: its reasons are read only when it names the citizen
    # or a vehicle with something to handle.
    watched = (
        services.watch_reasons(key=key, vehicle_ids={r["vehicle_id"] for r in records if r["status"] == unhandled})
        if any(r["watched"] and r["status"] == unhandled for r in records)
        else []
    )
    rows = (
        _start_rows(records, owned=set(owned), bindings=bindings, licence=licence, watched=watched) if records else []
    )
    labels = _labels(translation.get_language())
    return render(
        request, "violations/start.html", {"rows": rows, "licence": licence, "watched": watched, "labels": labels}
    )


@city_required
@login_required
@registry_verified_required
def handle(request):
    """Confirm the chosen records with an SMS code, then handle them together."""
    ids = _parse_ids(request.POST.getlist("ids") or request.GET.getlist("ids"))
    form = forms.CodeForm(request.POST if "confirm" in request.POST else None)
    refused = []
    if ids and request.method == "POST" and "confirm" in request.POST and form.is_valid():
        # violation_handle checks every rule under its locks (that the records are the citizen's
        # to handle among them) and only then the code: the page's own reads and checks below
        # are needed only when the page is shown again.
        try:
            decisions = services.violation_handle(ids, user=request.user, code=form.cleaned_data["code"])
        except verification.VerificationError as exc:
            form.add_error("code", str(exc))
        except services.ViolationError as exc:
            refused = exc.reasons
        else:
            messages.success(request, _("%(n)s records handled. Pay the fines to finish.") % {"n": len(decisions)})
            return redirect("violations:decision", number=decisions[0].number)
    _load_personal_fields(request.user)
    records, bindings = visible_records(request.user, ids)
    chosen = [r for r in records if r.pk in ids]
    if not chosen:
        messages.error(request, _("Choose at least one record to handle."))
        return redirect("violations:start")
    licence = services.handler_licence(request.user.id_number)
    reasons = []
    for record in chosen:
        reasons += services.record_refusals(
            record, id_number=request.user.id_number, licence=licence, binding=bindings.get(record.vehicle_id)
        )
    if "confirm" not in request.POST:
        # A confirmation is checked by violation_handle itself, the watch list included, under
        # its locks; asking here too cost every handling a query.
        reasons += services.watch_reasons(request.user.id_number, [r.vehicle for r in chosen])
    reasons += services.group_refusals(chosen, licence)
    context = {
        "records": chosen,
        "ids": ",".join(str(r.pk) for r in chosen),
        # The handling's own reasons when the page found none (it changed a moment ago).
        "reasons": list(dict.fromkeys(reasons)) or refused,
        "licence": licence,
        "total_fine": sum(r.fine for r in chosen),
        "total_points": sum(r.points for r in chosen),
        "form": form,
    }
    if request.method == "POST" and "send_code" in request.POST and not reasons:
        try:
            verification.send_code(request.user.mobile, HANDLE_PURPOSE, client_ip(request))
        except verification.VerificationError as exc:
            context["sms_error"] = str(exc)
        else:
            context["sms_sent"] = True
            context["sms_notice"] = _("A code was sent to %(mobile)s.") % {"mobile": request.user.masked_mobile}
    return render(request, "violations/handle.html", context)


def _my_decision(request, number) -> Decision:
    if len(number) > 32:
        raise Http404
    return get_object_or_404(
        Decision.objects.select_related("violation__code", "violation__vehicle", "city", "licence"),
        number=number,
        handler_id_number_hash=identity.id_key(request.user.id_number),
    )


@city_required
@login_required
def decision(request, number):
    decision = _my_decision(request, number)
    due = services.amount_due(decision) if decision.status == Decision.Status.UNPAID else None
    return render(
        request, "violations/decision.html", {"decision": decision, "due": due, "text": pdf.decision_text(decision)}
    )


@city_required
@login_required
def decision_pdf(request, number):
    decision = _my_decision(request, number)
    content = pdf.decision_pdf(decision, translation.get_language() or "zh-hans")
    response = HttpResponse(content, content_type="application/pdf")
    response["Content-Disposition"] = f'attachment; filename="decision-{decision.number}.pdf"'
    return response


@city_required
@login_required
@registry_verified_required
@require_POST
def pay(request, number):
    decision = _my_decision(request, number)
    try:
        payment = services.decision_pay_start(
            decision,
            payer=request.user,
            request=request,
            return_path=reverse("violations:decision", args=[decision.number]),
        )
    except services.ViolationError as exc:
        messages.error(request, exc.message)
        return redirect("violations:decision", number=decision.number)
    return redirect(payment.cashier_url)


# --- bindings ---------------------------------------------------------------------------------
BIND_PURPOSE = "violations.binding"


@city_required
@login_required
@registry_verified_required
def bindings(request):
    """A driver's requests and bindings; an owner's incoming requests and bindings."""
    key = identity.id_key(request.user.id_number)
    form = forms.BindingRequestForm(request.POST if "request_binding" in request.POST else None)
    if request.method == "POST" and "request_binding" in request.POST and form.is_valid():
        try:
            services.binding_request(user=request.user, **form.cleaned_data)
        except services.ViolationError as exc:
            form.add_error(None, exc.message)
        else:
            messages.success(request, _("Request sent. The owner approves it with an SMS code."))
            return redirect("violations:bindings")
    mine = Binding.objects.filter(driver_id_number_hash=key).select_related("vehicle").order_by("-requested_at")[:50]
    owned = (
        Binding.objects.filter(vehicle__owner_id_number_hash=key)
        .select_related("vehicle")
        .order_by("-requested_at")[:50]
    )
    return render(
        request,
        "violations/bindings.html",
        {"form": form, "mine": mine, "owned": owned, "code_form": forms.CodeForm()},
    )


def _owner_binding(request, pk) -> Binding:
    return get_object_or_404(
        Binding.objects.select_related("vehicle", "city"),
        pk=pk,
        vehicle__owner_id_number_hash=identity.id_key(request.user.id_number),
    )


@city_required
@login_required
@registry_verified_required
def binding_approve(request, pk):
    binding = _owner_binding(request, pk)
    form = forms.CodeForm(request.POST if "confirm" in request.POST else None)
    context = {"binding": binding, "form": form}
    if request.method == "POST" and "send_code" in request.POST:
        try:
            verification.send_code(request.user.mobile, BIND_PURPOSE, client_ip(request))
        except verification.VerificationError as exc:
            context["sms_error"] = str(exc)
        else:
            context["sms_sent"] = True
            context["sms_notice"] = _("A code was sent to %(mobile)s.") % {"mobile": request.user.masked_mobile}
    elif request.method == "POST" and "refuse" in request.POST:
        try:
            services.binding_refuse(binding, owner=request.user)
        except services.ViolationError as exc:
            messages.error(request, exc.message)
        else:
            messages.success(request, _("Request refused."))
        return redirect("violations:bindings")
    elif request.method == "POST" and "confirm" in request.POST and form.is_valid():
        try:
            verification.check_code(request.user.mobile, BIND_PURPOSE, form.cleaned_data["code"])
            services.binding_approve(binding, owner=request.user)
        except verification.VerificationError as exc:
            form.add_error("code", str(exc))
        except services.ViolationError as exc:
            form.add_error(None, exc.message)
        else:
            messages.success(
                request, _("Approved: the driver may now handle new records of %(plate)s.") % {"plate": binding.vehicle}
            )
            return redirect("violations:bindings")
    return render(request, "violations/binding_approve.html", context)


@city_required
@login_required
@registry_verified_required
@require_POST
def binding_revoke(request, pk):
    key = identity.id_key(request.user.id_number)
    binding = get_object_or_404(Binding.objects.select_related("vehicle", "city"), pk=pk)
    if key not in (binding.driver_id_number_hash, binding.vehicle.owner_id_number_hash):
        raise Http404
    try:
        services.binding_revoke(binding, user=request.user)
    except services.ViolationError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, _("The binding has ended."))
    return redirect("violations:bindings")


# --- objections -------------------------------------------------------------------------------
@city_required
@login_required
@registry_verified_required
def objection(request, pk):
    pk = int(pk)
    if pk > 2**62:  # no such record (and no bigint overflow in the query)
        raise Http404
    records, _bindings = visible_records(request.user, [pk])
    record = next((r for r in records if r.pk == pk), None)
    if record is None:
        raise Http404
    form = forms.ObjectionForm(request.POST or None, request.FILES or None)
    if request.method == "POST" and form.is_valid():
        try:
            objection_services.objection_file(
                record, user=request.user, reason=form.cleaned_data["reason"], photos=form.cleaned_data["photos"]
            )
        except services.ViolationError as exc:
            form.add_error(None, exc.message)
        else:
            messages.success(request, _("Objection filed. The office decides within 5 working days."))
            return redirect("violations:start")
    return render(request, "violations/objection.html", {"record": record, "form": form})


@login_required
def objection_photo(request, token):
    """A photo of an objection, for its filer and the clerks of its city only."""
    from portal.admin_helpers import clerk_city

    photo = get_object_or_404(ObjectionPhoto.objects.select_related("objection__city"), token=token)
    user = request.user
    allowed = (
        user.is_superuser
        or photo.objection.filer_id_number_hash == identity.id_key(user.id_number)
        or clerk_city(user) == photo.objection.city
    )
    if not allowed:
        raise Http404
    response = HttpResponse(bytes(photo.data), content_type=photo.content_type)
    response["X-Content-Type-Options"] = "nosniff"
    response["Cache-Control"] = "private, no-store"
    response["Content-Disposition"] = "inline"
    return response


# --- study for point reduction ----------------------------------------------------------------
@city_required
@login_required
@registry_verified_required
def study(request):
    from violations.models import StudyMaterial, StudySession
    from violations.services import points

    licence = services.handler_licence(request.user.id_number)
    session = (
        StudySession.objects.filter(licence=licence, status=StudySession.Status.STUDYING).first() if licence else None
    )
    context = {"licence": licence, "session": session, "result": None}
    if request.method == "POST" and "start" in request.POST and licence is not None:
        try:
            points.study_start(licence, request.user)
        except services.ViolationError as exc:
            messages.error(request, exc.message)
        return redirect("violations:study")
    if request.method == "POST" and "submit" in request.POST and session is not None:
        answers = {k[2:]: v for k, v in request.POST.items() if k.startswith("q_")}
        try:
            passed = points.study_submit(session, answers, request.user)
        except services.ViolationError as exc:
            messages.error(request, exc.message)
        else:
            if passed:
                messages.success(request, _("Test passed: 1 point was taken off your licence."))
            else:
                messages.error(request, _("Test not passed. You may study and try again."))
        return redirect("violations:study")
    context["refusals"] = points.study_refusals(licence) if session is None else []
    if session is not None:
        context["materials"] = StudyMaterial.objects.filter(is_active=True)
        context["test_form"] = forms.StudyTestForm(questions=points.study_questions(session))
        context["minutes"] = session.seconds_studied // 60
        context["ready"] = session.seconds_studied >= points.STUDY_SECONDS
    return render(request, "violations/study.html", context)


@login_required
@require_POST
def study_heartbeat(request):
    from django.http import JsonResponse

    from violations.models import StudySession
    from violations.services import points

    licence = services.handler_licence(request.user.id_number)
    session = (
        StudySession.objects.filter(licence=licence, status=StudySession.Status.STUDYING).first() if licence else None
    )
    if session is None:
        raise Http404
    seconds = points.study_heartbeat(session)
    return JsonResponse({"seconds": seconds, "ready": seconds >= points.STUDY_SECONDS})
