from django.shortcuts import render
from django.utils.translation import gettext_lazy as _

from portal.context_processors import city_url
from portal.models import City

# The platform's service categories (rules.md §7), each pointing at its app's start page.
SERVICES = [
    ("plates:start", _("Plate-number preselection"), _("Choose a number for your new car online")),
    ("exams:plans", _("Driving-exam booking"), _("Request a seat in a published exam plan")),
    ("certificates:start", _("Certificates by post"), _("Replace or renew plates and licences, delivered by post")),
    ("violations:start", _("Violations and fines"), _("Handle minor camera-recorded violations and pay the fine")),
    ("notices:inbox", _("Notices"), _("Your reminders: inspection, licence, violations")),
    ("portal:my_vehicles", _("Information query"), _("Your vehicles, licences and points")),
    ("notices:announcements", _("Public announcements"), _("Number blocks, exam plans and notices of this city")),
]


def home(request):
    if request.city is None:
        cities = [(c, city_url(c, request)) for c in City.objects.filter(is_active=True)]
        return render(request, "portal/province.html", {"cities": cities})
    return render(request, "portal/home.html", {"services": SERVICES})
