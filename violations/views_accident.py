"""Citizen pages of accident quick settlement (docs/rules.md §5.7). Thin: every decision is in
violations.services.accidents. A case is shown only to its two parties (404 for anyone else)."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import translation
from django.utils.translation import gettext as _

from portal import identity, verification
from portal.decorators import city_required, registry_verified_required
from portal.ratelimits import rush_limit
from violations import forms, forms_accident, pdf_accident
from violations.models_accident import AccidentCase, AccidentParty, AccidentPhoto
from violations.services import ViolationError
from violations.services import accidents as services

SESSION_KEY = "accident_join_case"


def _ip(request):
    return request.META.get("REMOTE_ADDR")


def _my_case(request, pk) -> tuple[AccidentCase, str]:
    """The case and the viewer's role, or 404: only the two parties see a case."""
    key = identity.id_key(request.user.id_number)
    party = get_object_or_404(
        AccidentParty.objects.select_related("case__city"), case_id=int(pk), user=request.user, id_number_hash=key
    )
    case = AccidentCase.objects.select_related("city").prefetch_related("parties").get(pk=party.case_id)
    return case, party.role


@city_required
@login_required
@registry_verified_required
def accident_list(request):
    key = identity.id_key(request.user.id_number)
    cases = (
        AccidentCase.objects.filter(parties__user=request.user, parties__id_number_hash=key)
        .prefetch_related("parties")
        .order_by("-created_at")[:50]
    )
    return render(request, "violations/accidents/list.html", {"cases": cases})


@city_required
@login_required
@registry_verified_required
def accident_start(request):
    vehicles = list(services.vehicles_of(request.user))
    form = forms_accident.AccidentStartForm(request.POST or None, request.FILES or None, vehicles=vehicles)
    refusals = []
    if request.method == "POST":
        # The two questions decide first: an injury or an undrivable vehicle is never settled
        # online, however the rest of the form is filled in (docs/rules.md §5.7).
        refusals = services.start_refusals(
            no_injury=form.data.get("no_injury") != "no", drivable=form.data.get("drivable") != "no"
        )
    if request.method == "POST" and not refusals and form.is_valid():
        data = form.cleaned_data
        try:
            case = services.accident_start(
                user=request.user,
                city=request.city,
                vehicle=data["vehicle"],
                occurred_at=data["occurred_at"],
                place=data["place"],
                weather=data["weather"],
                no_injury=data["no_injury"] == "yes",
                drivable=data["drivable"] == "yes",
                own_damage=data["own_damage"],
                other_plate=data["other_plate"],
                other_licence_number=data["other_licence_number"],
                other_damage=data["other_damage"],
                photos={
                    AccidentPhoto.Kind.SCENE: data["photo_scene"],
                    AccidentPhoto.Kind.DAMAGE_A: data["photo_damage_a"],
                    AccidentPhoto.Kind.DAMAGE_B: data["photo_damage_b"],
                },
            )
        except ViolationError as exc:
            refusals = exc.reasons
        else:
            messages.success(request, _("Case started. Give the other driver the code shown below."))
            return redirect("violations:accident_case", pk=case.pk)
    return render(
        request,
        "violations/accidents/start.html",
        {"form": form, "refusals": refusals, "has_vehicles": bool(vehicles)},
    )


@city_required
@login_required
@registry_verified_required
@rush_limit("violations.accident_join")
def accident_join(request):
    """Step 1: the code (limited per account and address). Step 2: the facts, confirmed with an
    SMS code to the joining driver's own mobile."""
    case = None
    pk = request.session.get(SESSION_KEY)
    if pk:
        case = AccidentCase.objects.filter(pk=pk, status=AccidentCase.Status.OPEN).prefetch_related("parties").first()
    code_form = forms_accident.JoinCodeForm(request.POST if "join_code" in request.POST else None)
    if code_form.is_bound and code_form.is_valid():
        case = services.case_by_code(code_form.cleaned_data["join_code"])
        if case is None:
            request.session.pop(SESSION_KEY, None)
            code_form.add_error("join_code", _("No open case has this code."))
        else:
            request.session[SESSION_KEY] = case.pk
            return redirect("violations:accident_join")
    if case is None:
        return render(request, "violations/accidents/join.html", {"code_form": code_form})
    form = forms.CodeForm(request.POST if "confirm" in request.POST else None)
    context = {"case": case, "form": form, "refusals": services.join_refusals(case, request.user)}
    context["text"] = {"a": pdf_accident.party_rows(case.party("A")), "b_plate": case.party("B").plate_number}
    if request.method == "POST" and "send_code" in request.POST and not context["refusals"]:
        try:
            verification.send_code(request.user.mobile, services.JOIN_PURPOSE, _ip(request))
        except verification.VerificationError as exc:
            context["sms_error"] = str(exc)
        else:
            context["sms_sent"] = True
            context["sms_notice"] = _("A code was sent to %(mobile)s.") % {"mobile": request.user.masked_mobile}
    elif request.method == "POST" and "confirm" in request.POST and not context["refusals"] and form.is_valid():
        try:
            verification.check_code(request.user.mobile, services.JOIN_PURPOSE, form.cleaned_data["code"])
            services.accident_join(case, user=request.user)
        except verification.VerificationError as exc:
            form.add_error("code", str(exc))
        except ViolationError as exc:
            context["refusals"] = exc.reasons
        else:
            request.session.pop(SESSION_KEY, None)
            messages.success(request, _("You joined the case. Now agree on who is responsible."))
            return redirect("violations:accident_case", pk=case.pk)
    return render(request, "violations/accidents/join_confirm.html", context)


@city_required
@login_required
@registry_verified_required
def accident_case(request, pk):
    case, role = _my_case(request, pk)
    form = forms_accident.ProposeForm(request.POST if "propose" in request.POST else None)
    if request.method == "POST":
        try:
            if "propose" in request.POST:
                if form.is_valid():
                    services.accident_propose(
                        case,
                        user=request.user,
                        situation=form.cleaned_data["situation"],
                        fault_role=form.cleaned_data["fault_role"],
                    )
                    messages.success(request, _("Proposal sent to the other party."))
                    return redirect("violations:accident_case", pk=case.pk)
            elif "accept" in request.POST:
                version = request.POST.get("version", "")
                services.accident_accept(
                    case,
                    user=request.user,
                    version=int(version) if version.isascii() and version.isdigit() and len(version) <= 9 else -1,
                )
                messages.success(request, _("Agreed. The agreement is below; both insurers are told."))
                return redirect("violations:accident_document", pk=case.pk)
            elif "ask_clerk" in request.POST:
                services.accident_ask_clerk(case, user=request.user)
                messages.success(request, _("The traffic police will decide; you will get a notice."))
                return redirect("violations:accident_case", pk=case.pk)
            elif "withdraw" in request.POST:
                services.accident_withdraw(case, user=request.user)
                messages.success(request, _("Case withdrawn."))
                return redirect("violations:accident_list")
        except ViolationError as exc:
            messages.error(request, exc.message)
            return redirect("violations:accident_case", pk=case.pk)
    other_role = services.OTHER[role]
    context = {
        "case": case,
        "role": role,
        "me": case.party(role),
        "other": case.party(other_role),
        "other_rows": pdf_accident.party_rows(case.party(other_role)) if case.joined_at else [],
        "form": form,
        "may_accept": case.status == "joined" and case.proposed_by == other_role,
        "proposal": services.split_for(case.situation, case.fault_role) if case.situation else None,
        "photos": case.photos.all(),
    }
    return render(request, "violations/accidents/case.html", context)


def _settled_case(request, pk):
    case, _role = _my_case(request, pk)
    if case.status not in (AccidentCase.Status.AGREED, AccidentCase.Status.DETERMINED):
        raise Http404
    return case


@city_required
@login_required
def accident_document(request, pk):
    case = _settled_case(request, pk)
    return render(
        request, "violations/accidents/document.html", {"case": case, "text": pdf_accident.document_text(case)}
    )


@city_required
@login_required
def accident_document_pdf(request, pk):
    case = _settled_case(request, pk)
    content = pdf_accident.document_pdf(case, translation.get_language() or "zh-hans")
    response = HttpResponse(content, content_type="application/pdf")
    response["Content-Disposition"] = f'attachment; filename="accident-{case.document_number}.pdf"'
    return response


@login_required
def accident_photo(request, token):
    """A photo of a case, for its parties and the clerks of its city only."""
    from portal.admin_helpers import clerk_city

    photo = get_object_or_404(AccidentPhoto.objects.select_related("case__city"), token=token)
    user = request.user
    key = identity.id_key(user.id_number)
    allowed = (
        user.is_superuser
        or photo.case.parties.filter(user=user, id_number_hash=key).exists()
        or clerk_city(user) == photo.case.city
    )
    if not allowed:
        raise Http404
    response = HttpResponse(bytes(photo.data), content_type=photo.content_type)
    response["X-Content-Type-Options"] = "nosniff"
    response["Cache-Control"] = "private, no-store"
    response["Content-Disposition"] = "inline"
    return response
