"""Citizen pages of plate preselection and the public block page. Function views: access helper,
form, one service call, a message, redirect or render."""

import secrets

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST
from django_ratelimit.decorators import ratelimit

from plates import forms, ga36, selectors, services
from plates.models import Hold, Selection
from portal import antibot, citysettings, identity
from portal.decorators import city_required, registry_verified_required
from portal.ratelimits import client_ip, rush_limit
from portal.verification import VerificationError

DEVICE_COOKIE = "plates_device"


def _get_selection(request, pk, *, with_vehicle=False) -> Selection:
    """The citizen's own selection on this city's site (the vehicle's label as annotations, the
    whole vehicle with_vehicle), or 404."""
    selection = selectors.citizen_selection(pk, request.user, request.city, with_vehicle=with_vehicle)
    if selection is None:
        raise Http404
    return selection


def _get_hold(request, pk) -> Hold:
    return get_object_or_404(
        Hold.objects.select_related("number", "vehicle", "city"),
        pk=pk,
        holder_id_number_hash=identity.id_key(request.user.id_number),
        city=request.city,
    )


@city_required
@login_required
@registry_verified_required
@rush_limit("plates.start")
def start(request):
    """Notice, vehicle data (VIN + conformity certificate), then on to the SMS step."""
    form = forms.StartForm(request.POST or None)
    if request.method == "POST" and form.is_valid() and not antibot.check(request):
        form.add_error(None, antibot.message())  # the proof of work in front of the rush
    elif request.method == "POST" and form.is_valid():
        device = request.COOKIES.get(DEVICE_COOKIE) or secrets.token_hex(16)
        try:
            selection = services.selection_start(
                citizen=request.user,
                city=request.city,
                vin=form.cleaned_data["vin"],
                cert_number=form.cleaned_data["cert_number"],
                device_key=device,
                ip=client_ip(request),
            )
        except services.PlateError as exc:
            form.add_error(None, str(exc))
        else:
            response = redirect("plates:verify", selection.pk)
            response.set_cookie(
                DEVICE_COOKIE,
                device,
                max_age=365 * 24 * 3600,
                httponly=True,
                samesite="Lax",
                secure=settings.SESSION_COOKIE_SECURE,
            )
            return response
    context = {
        "form": form,
        "ban": selectors.active_ban(request.user.id_number),
        "vehicles": selectors.eligible_vehicles(request.user, request.city),
        "holds": selectors.live_holds_for(request.user).filter(city=request.city),
        "open_selections": Selection.objects.filter(
            citizen=request.user, city=request.city, status=Selection.Status.OPEN
        ).select_related("vehicle"),
        "hold_days": citysettings.get(request.city, "plate_hold_working_days"),
        "ban_years": citysettings.get(request.city, "plate_ban_years"),
    }
    return render(request, "plates/start.html", context)


def _send(request, send, selection):
    try:
        send(selection, client_ip(request))
    except VerificationError as exc:
        messages.error(request, str(exc))
    else:
        messages.info(request, _("A code was sent to %(mobile)s.") % {"mobile": request.user.masked_mobile})


@city_required
@login_required
@registry_verified_required
def verify(request, pk):
    """Confirm the vehicle data and the "start selection" SMS code."""
    selection = _get_selection(request, pk, with_vehicle=True)
    if selection.sms_verified_at is not None:
        return redirect("plates:selection", selection.pk)
    form = forms.CodeForm(request.POST if request.POST.get("action") == "check" else None)
    if request.method == "POST" and request.POST.get("action") == "send":
        _send(request, services.send_start_code, selection)
        return redirect("plates:verify", selection.pk)
    if request.method == "POST":
        try:
            if form.is_valid():
                services.selection_verify(selection, form.cleaned_data["code"])
                return redirect("plates:selection", selection.pk)
        except VerificationError as exc:
            form.add_error(None, str(exc))
    return render(request, "plates/verify.html", {"selection": selection, "vehicle": selection.vehicle, "form": form})


def _selection_context(request, selection, with_batch=False):
    """What every selection tab shows; the live batch only on the random tab that lists it."""
    city = selection.city
    batch = selectors.live_batch(selection) if with_batch else None
    batches_max = citysettings.get(city, "plate_random_batches")
    tries_max = citysettings.get(city, "plate_compose_tries")
    return {
        "selection": selection,
        "batch": batch,
        "backups": selectors.live_backups(selection),
        "batches_left": max(0, batches_max - selection.batches_drawn),
        "batches_max": batches_max,
        "tries_left": max(0, tries_max - selection.compose_tries_used),
        "tries_max": tries_max,
        "batch_seconds": citysettings.get(city, "plate_random_batch_seconds"),
        "backup_seconds": citysettings.get(city, "plate_backup_seconds"),
        "now": timezone.now(),
    }


def _selection_gate(request, selection):
    """Where a selection that cannot be worked on should send the citizen, or None."""
    if selection.status == Selection.Status.DONE and hasattr(selection, "hold"):
        return redirect("plates:hold", selection.hold.pk)
    if selection.sms_verified_at is None and selection.status == Selection.Status.OPEN:
        return redirect("plates:verify", selection.pk)
    return None


@city_required
@login_required
@registry_verified_required
def selection(request, pk):
    selection = _get_selection(request, pk)
    gate = _selection_gate(request, selection)
    if gate:
        return gate
    services.selection_check_exhausted(selection)
    context = _selection_context(request, selection, with_batch=True)
    context["draw_form"] = forms.DrawForm()  # the random tab's form only
    return render(request, "plates/selection.html", context)


@city_required
@login_required
@require_POST
@rush_limit("plates.claim")
def draw(request, pk):
    selection = _get_selection(request, pk)
    form = forms.DrawForm(request.POST)
    form.is_valid()
    try:
        services.batch_draw(selection, avoid_four=form.cleaned_data.get("avoid_four", False))
    except services.PlateError as exc:
        messages.error(request, str(exc))
    return redirect("plates:selection", selection.pk)


@city_required
@login_required
@require_POST
@rush_limit("plates.claim")
def backup(request, pk):
    """Move a number of the live batch to the backups: the claim endpoint of the rush."""
    form = forms.BackupForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("Choose a number from your batch."))
        return redirect("plates:selection", pk)
    # Not loaded first: the claim statement checks that the selection is this citizen's, in this
    # city, open and verified (a rush endpoint saves the query).
    selection = Selection(pk=pk, citizen=request.user, city=request.city)
    number = form.cleaned_data["number"]
    try:
        services.backup_claim(selection, batch_id=form.cleaned_data["batch"], number=number, fetch=False)
    except Selection.DoesNotExist:
        raise Http404 from None
    except services.PlateError as exc:
        messages.error(request, str(exc))
    else:
        messages.success(request, _("%(number)s is reserved for you as a backup.") % {"number": number})
    return redirect("plates:selection", pk)


def _round_messages(request, candidates, result) -> None:
    """Say what a self-composed round did with each candidate that cost a try."""
    tried = candidates[: result.cost]
    taken = [c for c in tried if c not in result.not_offered]
    if result.not_offered:
        messages.warning(
            request,
            _("Not among the numbers on offer (not in an open block, or withheld): %(numbers)s.")
            % {"numbers": ", ".join(result.not_offered)},
        )
    if taken:
        messages.warning(request, _("Already taken by someone else: %(numbers)s.") % {"numbers": ", ".join(taken)})
    if result.claimed is not None:
        messages.success(request, _("%(number)s is reserved for you as a backup.") % {"number": result.claimed.number})
    if result.cost:
        messages.info(request, _("This round cost %(n)d tries.") % {"n": result.cost})


@city_required
@login_required
@rush_limit("plates.claim")
def compose(request, pk):
    selection = _get_selection(request, pk)
    gate = _selection_gate(request, selection)
    if gate:
        return gate
    city = selection.city
    positions = selectors.picker_characters(city.pk, selection.plate_type)
    form = forms.ComposeForm(
        request.POST if request.method == "POST" and "number" not in request.POST else None,
        prefixes=city.prefix_list,
        positions=positions,
        candidates=citysettings.get(city, "plate_compose_candidates"),
    )
    if request.method == "POST":
        picked = "number" in request.POST
        candidates = None
        if picked:
            # One number picked from the search results: its form is not on this page, so a
            # refusal is told as a message (the compose form above is unbound: no errors on it).
            pick = forms.PickForm(request.POST)
            if pick.is_valid():
                candidates = [pick.cleaned_data["number"]]
            else:
                messages.error(request, _("Pick a number from the search results."))
        elif form.is_valid():
            candidates = form.cleaned_data["candidates"]
        if candidates is not None:
            try:
                result = services.compose_round(selection, candidates)
            except services.PlateError as exc:
                if picked:
                    messages.error(request, str(exc))
                else:
                    form.add_error(None, str(exc))
            else:
                _round_messages(request, candidates, result)
                if result.claimed is not None:
                    return redirect("plates:selection", selection.pk)
                return redirect("plates:compose", selection.pk)
    context = _selection_context(request, selection)
    context.update(
        form=form,
        length=ga36.SERIAL_LENGTH[selection.plate_type],
        interval=citysettings.get(city, "plate_compose_interval_seconds"),
        per_round=citysettings.get(city, "plate_compose_candidates"),
    )
    return render(request, "plates/compose.html", context)


@city_required
@login_required
@ratelimit(key="user", rate="10/m", method="GET", block=False)
def find(request, pk):
    """Search the open pool by pattern and show a small random sample of matches."""
    selection = _get_selection(request, pk)
    gate = _selection_gate(request, selection)
    if gate:
        return gate
    form = forms.FindForm(request.GET or None)
    results = None
    if getattr(request, "limited", False) and request.GET:
        form.is_valid()
        form.add_error(None, _("Too many searches. Please wait a minute and try again."))
    elif request.GET and form.is_valid():
        data = form.cleaned_data
        results = selectors.draw_numbers(
            selection.city_id,
            selection.plate_type,
            10,
            avoid_four=data["avoid_four"],
            contains=data["text"] if data["mode"] == "contains" else "",
            ends_with=data["text"] if data["mode"] == "ends" else "",
        )
    context = _selection_context(request, selection)
    context.update(form=form, results=results)
    return render(request, "plates/find.html", context)


@city_required
@login_required
@registry_verified_required
@rush_limit("plates.claim")
def confirm(request, pk):
    """Final choice among the backups, with the second SMS code where the city asks for it."""
    action = request.POST.get("action") if request.method == "POST" else None
    form = forms.ConfirmForm(request.POST if action == "confirm" else None)
    if action == "confirm" and form.is_valid():
        # The rush path: the service's locking read checks that the selection is this citizen's,
        # here, open and verified, so it is not loaded first. A refusal falls through to the page.
        try:
            hold = services.selection_confirm(
                Selection(pk=pk, citizen=request.user, city=request.city),
                number_id=form.cleaned_data["number_id"],
                code=form.cleaned_data["code"] or "",
            )
        except Selection.DoesNotExist:
            raise Http404 from None
        except (services.PlateError, VerificationError) as exc:
            form.add_error(None, str(exc))
        else:
            messages.success(request, _("%(number)s is now held for your vehicle.") % {"number": hold.number.number})
            return redirect("plates:hold", hold.pk)
    selection = _get_selection(request, pk)
    gate = _selection_gate(request, selection)
    if gate:
        return gate
    if action == "send":
        _send(request, services.send_confirm_code, selection)
        return redirect("plates:confirm", selection.pk)
    context = _selection_context(request, selection)
    context.update(form=form, second_sms=citysettings.get(selection.city, "plate_second_sms"))
    return render(request, "plates/confirm.html", context)


def _hold_context(hold, invoice_form) -> dict:
    """The voucher page: a live hold's deadline and review, an ended one's reason and ban."""
    ban_years = citysettings.get(hold.city, "plate_ban_years")
    return {
        "hold": hold,
        "deadline": services.deadline_day(hold),
        "invoice_form": invoice_form,
        "abandon_form": forms.AbandonForm(ban_years=ban_years),
        "ban_years": ban_years,
        "ban": getattr(hold, "ban", None) if hold.status in (Hold.Status.LAPSED, Hold.Status.ABANDONED) else None,
    }


@city_required
@login_required
@registry_verified_required
def hold(request, pk):
    """The selection voucher (预选号凭证)."""
    hold = _get_hold(request, pk)
    return render(request, "plates/hold.html", _hold_context(hold, forms.InvoiceForm()))


@city_required
@login_required
def voucher_pdf(request, pk):
    from plates import voucher

    hold = _get_hold(request, pk)
    response = HttpResponse(voucher.render_pdf(hold, request.user), content_type="application/pdf")
    response["Content-Disposition"] = f'inline; filename="voucher-{hold.pk}.pdf"'
    return response


@city_required
@login_required
@require_POST
def abandon(request, pk):
    hold = _get_hold(request, pk)
    if request.POST.get("confirm") != "yes":
        messages.error(request, _("Tick the box to confirm that you give the number up."))
        return redirect("plates:hold", hold.pk)
    try:
        services.hold_abandon(hold, citizen=request.user)
    except services.PlateError as exc:
        messages.error(request, str(exc))
    else:
        messages.warning(request, _("You gave up %(number)s.") % {"number": hold.number.number})
    return redirect("plates:hold", hold.pk)


@city_required
@login_required
@require_POST
def invoice(request, pk):
    hold = _get_hold(request, pk)
    form = forms.InvoiceForm(request.POST, request.FILES)
    if form.is_valid():
        try:
            services.hold_upload_invoice(hold, citizen=request.user, invoice=form.cleaned_data["invoice"])
        except services.PlateError as exc:
            messages.error(request, str(exc))
        else:
            messages.success(request, _("The invoice was uploaded. The office will review it."))
            return redirect("plates:hold", hold.pk)
    return render(request, "plates/hold.html", _hold_context(hold, form))


@city_required
def blocks(request):
    """号段公布: public, no login."""
    return render(
        request,
        "plates/blocks.html",
        {
            "blocks": selectors.block_rows(request.city),
            "pool": selectors.pool_summary(request.city),
            "per_day": selectors.taken_per_day(request.city),
        },
    )
