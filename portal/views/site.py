import datetime

from django.contrib.auth.decorators import login_required
from django.shortcuts import render
from django.utils import timezone

from portal import hooks
from portal.context_processors import city_url
from portal.decorators import city_required, registry_verified_required
from portal.models import City, DrivingLicence, Vehicle
from portal.replica import replica_reads


@replica_reads
def home(request):
    if request.city is None:
        cities = [(c, city_url(c, request)) for c in City.objects.filter(is_active=True)]
        return render(request, "portal/province.html", {"cities": cities})
    # The platform's service categories (docs/rules.md §8), as each app registered its entry
    # (portal.hooks.register_service in its AppConfig.ready()).
    services = [(e.url_name, e.title, e.description) for e in hooks.service_entries]
    return render(request, "portal/home.html", {"services": services})


def _cycle_end(start):
    """Last day of a 12-month points cycle (R-PTS): the day before the same date a year later."""
    try:
        following = start.replace(year=start.year + 1)
    except ValueError:  # 29 February
        following = start.replace(year=start.year + 1, month=3, day=1)
    return following - datetime.timedelta(days=1)


@city_required
@login_required
@registry_verified_required
def my_vehicles(request):
    """Every vehicle registered to the citizen's ID number in the province (one account, all cities)."""
    vehicles = Vehicle.objects.owned_by(request.user.id_number).select_related("city").order_by("registered_on", "id")
    return render(request, "portal/my_vehicles.html", {"vehicles": vehicles, "today": timezone.localdate()})


@city_required
@login_required
@registry_verified_required
def my_licence(request):
    licences = list(
        DrivingLicence.objects.held_by(request.user.id_number).select_related("city").order_by("-valid_from")
    )
    for licence in licences:
        licence.cycle_end = _cycle_end(licence.cycle_start)
    return render(request, "portal/my_licence.html", {"licences": licences, "today": timezone.localdate()})
