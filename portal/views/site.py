import datetime

from django.contrib.auth.decorators import login_required
from django.shortcuts import render
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from portal.context_processors import city_url
from portal.decorators import city_required, registry_verified_required
from portal.models import City, DrivingLicence, Vehicle
from portal.replica import replica_reads

# The platform's service categories (docs/rules.md §8), each pointing at its app's start page.
SERVICES = [
    ("plates:start", _("Plate-number preselection"), _("Choose a number for your new car online")),
    ("exams:plans", _("Driving-exam booking"), _("Request a seat in a published exam plan")),
    ("certificates:start", _("Certificates by post"), _("Replace or renew plates and licences, delivered by post")),
    ("violations:start", _("Violations and fines"), _("Handle minor camera-recorded violations and pay the fine")),
    ("notices:inbox", _("Notices"), _("Your reminders: inspection, licence, violations")),
    ("portal:my_vehicles", _("Information query"), _("Your vehicles, licences and points")),
    ("notices:announcements", _("Public announcements"), _("Number blocks, exam plans and notices of this city")),
]


@replica_reads
def home(request):
    if request.city is None:
        cities = [(c, city_url(c, request)) for c in City.objects.filter(is_active=True)]
        return render(request, "portal/province.html", {"cities": cities})
    return render(request, "portal/home.html", {"services": SERVICES})


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
