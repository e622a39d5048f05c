"""Postal pages: the carrier webhook, public tracking by number, and the sandbox staff page."""

from django.contrib import messages
from django.http import Http404, HttpResponse, HttpResponseBadRequest
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_http_methods, require_POST

from portal.admin_helpers import clerk_city
from portal.models import Shipment
from portal.postal import carriers, services
from portal.postal.forms import SandboxEventForm


@csrf_exempt
@require_POST
def webhook(request):
    signature = request.headers.get(carriers.SIGNATURE_HEADER, "")
    if services.handle_webhook(request.body, signature):
        return HttpResponse("ok", content_type="text/plain")
    return HttpResponseBadRequest("rejected", content_type="text/plain")


def _city_shipment(request, tracking_number) -> Shipment:
    if request.city is None:
        raise Http404
    return get_object_or_404(Shipment, tracking_number=tracking_number.strip().upper(), city=request.city)


def track(request, tracking_number):
    """Tracking by number, as couriers offer it: recipient and phone masked, no address."""
    shipment = _city_shipment(request, tracking_number)
    return render(request, "portal/postal/track.html", {"shipment": shipment, "events": shipment.events.all()})


def _may_move(user, shipment) -> bool:
    return user.is_authenticated and user.is_active and (user.is_superuser or clerk_city(user) == shipment.city)


@require_http_methods(["GET", "POST"])
def sandbox_shipment(request, tracking_number):
    """Staff page of the sandbox carrier: move a shipment to its next state."""
    shipment = _city_shipment(request, tracking_number)
    if not isinstance(carriers.get_carrier(), carriers.SandboxCarrier) or not _may_move(request.user, shipment):
        raise Http404
    if request.method == "POST":
        try:
            services.advance_sandbox(
                shipment,
                request.POST.get("status", ""),
                request.POST.get("location", ""),
                request.build_absolute_uri("/"),
            )
        except services.PostalError as exc:
            messages.error(request, str(exc))
        return redirect("postal:sandbox", tracking_number=shipment.tracking_number)
    choices = [
        (s, Shipment.Status(s).label) for s in Shipment.Status.values if s in Shipment.TRANSITIONS[shipment.status]
    ]
    return render(
        request,
        "portal/postal/sandbox.html",
        {
            "shipment": shipment,
            "events": shipment.events.all(),
            "choices": choices,
            "form": SandboxEventForm(choices=choices),
        },
    )
