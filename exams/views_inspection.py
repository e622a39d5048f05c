"""Citizens' inspection-booking pages. Thin: every decision is in exams.services.inspection."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from exams.forms_inspection import SlotSearchForm
from exams.models import InspectionBooking, InspectionStation
from exams.services import inspection as services
from portal import antibot, identity
from portal.decorators import city_required, registry_verified_required
from portal.models import Vehicle
from portal.ratelimits import rush_limit


@city_required
def start(request):
    """The city's stations; for a verified citizen, their vehicles with what each needs, and their bookings."""
    city = request.city
    stations = InspectionStation.objects.filter(city=city, is_active=True)
    rows, bookings = [], []
    user = request.user
    if user.is_authenticated and getattr(user, "registry_verified", False):
        today = timezone.localdate()
        for vehicle in Vehicle.objects.owned_by(user.id_number).filter(city=city).order_by("id"):
            rows.append((vehicle, services.vehicle_state(vehicle, today)))
        bookings = list(
            InspectionBooking.objects.filter(city=city, id_number_hash=identity.id_key(user.id_number))
            .select_related("slot__station", "vehicle")
            .order_by("-created_at")[:20]
        )
    return render(request, "exams/inspection/start.html", {"stations": stations, "rows": rows, "bookings": bookings})


def _search(request, city, vehicle, station_id=None):
    form = SlotSearchForm(request.GET or None, city=city, kind=vehicle.kind)
    station = first = None
    if form.is_bound and form.is_valid():
        station, first = form.cleaned_data["station"], form.cleaned_data["first"]
    return form, services.open_slots(city, vehicle, station=station, first=first)


@city_required
@login_required
@registry_verified_required
def vehicle(request, vehicle_id):
    """One of the citizen's vehicles: whether it needs an on-site inspection, and the free slots."""
    city = request.city
    car = get_object_or_404(Vehicle.objects.owned_by(request.user.id_number), pk=vehicle_id, city=city)
    state = services.vehicle_state(car)
    active = InspectionBooking.objects.filter(vehicle=car, status=InspectionBooking.Status.BOOKED).first()
    form, slots = (None, [])
    if state.may_book and active is None:
        form, slots = _search(request, city, car)
    return render(
        request,
        "exams/inspection/vehicle.html",
        {
            "vehicle": car,
            "state": state,
            "active": active,
            "form": form,
            "slots": slots,
            "unsettled_message": services.unsettled_message(car) if state.unsettled else "",
        },
    )


def _antibot_or_redirect(request, back):
    if antibot.check(request):  # the proof of work in front of the rush (portal.antibot)
        return None
    messages.error(request, antibot.message())
    return redirect(f"{reverse('portal:human_check')}?next={back}")


@city_required
@login_required
@registry_verified_required
@require_POST
@rush_limit("exams.inspection")
def book(request, vehicle_id):
    city = request.city
    back = reverse("inspection:vehicle", args=[vehicle_id])
    refused = _antibot_or_redirect(request, back)
    if refused:
        return refused
    try:
        booking = services.booking_create(
            city=city,
            vehicle_id=vehicle_id,
            slot_id=request.POST.get("slot", ""),
            user=request.user,
        )
    except Vehicle.DoesNotExist:
        raise Http404(_("No such vehicle of yours in this city.")) from None
    except services.InspectionError as exc:
        messages.error(request, exc.message)
        return redirect(back)
    messages.success(request, _("Booked: %(number)s.") % {"number": booking.number})
    return redirect("inspection:booking", booking.pk)


def _own_booking(request, booking_id):
    return get_object_or_404(
        InspectionBooking.objects.select_related("slot__station", "slot__city", "vehicle"),
        pk=booking_id,
        city=request.city,
        id_number_hash=identity.id_key(request.user.id_number),
    )


@login_required
@registry_verified_required
def booking(request, booking_id):
    """A booking: where and when, what to bring, and (while it may still change) other slots and cancelling."""
    item = _own_booking(request, booking_id)
    now = timezone.now()
    deadline = services.change_deadline(item.slot)
    changeable = item.is_active and now < deadline
    unsettled = (item.is_active or item.mark_pending) and services.vehicle_unsettled(item.vehicle)
    form, slots = (None, [])
    if changeable:
        form, slots = _search(request, item.city, item.vehicle)
        slots = [s for s in slots if s.pk != item.slot_id]
    return render(
        request,
        "exams/inspection/booking.html",
        {
            "booking": item,
            "deadline": deadline,
            "changeable": changeable,
            "form": form,
            "slots": slots,
            "unsettled_message": services.unsettled_message(item.vehicle) if unsettled else "",
        },
    )


@city_required
@login_required
@registry_verified_required
@require_POST
@rush_limit("exams.inspection")
def move(request, booking_id):
    city = request.city
    back = reverse("inspection:booking", args=[booking_id])
    refused = _antibot_or_redirect(request, back)
    if refused:
        return refused
    try:
        item = services.booking_move(
            city=city, booking_id=booking_id, slot_id=request.POST.get("slot", ""), id_number=request.user.id_number
        )
    except InspectionBooking.DoesNotExist:
        raise Http404(_("No such booking of yours.")) from None
    except services.InspectionError as exc:
        messages.error(request, exc.message)
        return redirect(back)
    messages.success(
        request,
        _("Moved to %(date)s %(session)s at %(station)s.")
        % {"date": item.slot.date, "session": item.slot.session, "station": item.slot.station},
    )
    return redirect(back)


@city_required
@login_required
@registry_verified_required
@require_POST
def cancel(request, booking_id):
    city = request.city
    try:
        item = services.booking_cancel(city=city, booking_id=booking_id, id_number=request.user.id_number)
    except InspectionBooking.DoesNotExist:
        raise Http404(_("No such booking of yours.")) from None
    except services.InspectionError as exc:
        messages.error(request, exc.message)
        return redirect("inspection:booking", booking_id)
    messages.success(request, _("Booking %(number)s cancelled.") % {"number": item.number})
    return redirect("inspection:start")
