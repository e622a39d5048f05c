"""Travel information pages (出行信息, docs/rules.md §6.3): the public list of traffic controls,
road works and event closures in force or coming, its calendar feed, and a citizen's roads and
districts to follow. Thin: writes go through notices.services."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from notices import ics, selectors, services
from notices.forms import TravelFilterForm, TravelSubscriptionForm
from portal import hooks
from portal.decorators import city_required


def _city(request):
    if request.city is None:
        raise Http404(_("Public information is published on each city's site."))
    return request.city


def travel(request):
    city = _city(request)
    district = services.place_key(str(request.GET.get("district", ""))[:32])
    now = timezone.now()
    items = list(selectors.travel_current(city, now, district=district)[:200])
    districts = selectors.travel_districts(city, now)
    form = TravelFilterForm(initial={"district": district}, districts=districts, auto_id="travel-%s")
    return render(
        request,
        "notices/travel.html",
        {"items": items, "districts": districts, "district": district, "now": now, "form": form},
    )


def travel_feed(request):
    """The city's travel notices as an iCalendar feed (public: no personal data in it)."""
    city = _city(request)
    entries = [
        hooks.Deadline(
            when=a.starts_at,
            ends=a.ends_at,
            title=f"{a.get_kind_display()}: {a.road} ({a.district})",
            description=" ".join(x for x in (a.section, a.description, a.detour) if x),
            uid=f"travel-{a.pk}-{a.revision}",
        )
        for a in selectors.travel_current(city)[:500]
    ]
    body = ics.calendar(entries, name=_("Travel information"), domain=request.get_host().split(":")[0])
    response = HttpResponse(body, content_type="text/calendar; charset=utf-8")
    response["Cache-Control"] = "public, max-age=300"
    return response


@city_required
@login_required
def travel_subscriptions(request):
    form = TravelSubscriptionForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            services.subscription_add(
                user=request.user,
                city=request.city,
                road=form.cleaned_data["road"],
                district=form.cleaned_data["district"],
            )
        except services.TravelError as exc:
            form.add_error(None, exc.message)
        else:
            messages.success(request, _("You will be told of travel notices there."))
            return redirect("notices:travel_subscriptions")
    return render(
        request,
        "notices/travel_subscriptions.html",
        {"form": form, "subscriptions": selectors.travel_subscriptions_of(request.user)},
    )


@login_required
@require_POST
def travel_unsubscribe(request, pk):
    if not services.subscription_remove(user=request.user, pk=pk):
        raise Http404
    messages.success(request, _("You no longer follow it."))
    return redirect("notices:travel_subscriptions")
