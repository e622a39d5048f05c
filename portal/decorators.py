"""View decorators shared by every app's city pages."""

import functools

from django.shortcuts import render

from portal.context_processors import city_url
from portal.models import City


def city_required(view):
    """The one guard of a page that needs a city: on the province site (bare domain) it answers
    404 (there is no such page there) with a page that explains the service lives on each city's
    site and links to the same page on each of them."""

    @functools.wraps(view)
    def wrapper(request, *args, **kwargs):
        if getattr(request, "city", None) is None:
            path = request.get_full_path().lstrip("/")
            cities = [(c, city_url(c, request) + path) for c in City.objects.filter(is_active=True)]
            return render(request, "portal/needs_city.html", {"cities": cities}, status=404)
        return view(request, *args, **kwargs)

    return wrapper


def registry_verified_required(view):
    """For every view that shows registry data (vehicles, licences, points, notices about them) or
    starts a service: the account must be verified against the registry (docs/rules.md §1,
    `user.registry_verified`). Put it under login_required. Anyone else is sent to the page that
    verifies them by SMS to the mobile on file, or explains the counter."""

    @functools.wraps(view)
    def wrapper(request, *args, **kwargs):
        user = request.user
        if user.is_authenticated and not getattr(user, "registry_verified", False):
            return redirect_to_verify(request)
        return view(request, *args, **kwargs)

    return wrapper


def redirect_to_verify(request):
    from django.contrib import messages
    from django.shortcuts import redirect
    from django.utils.translation import gettext as _

    messages.warning(
        request,
        _(
            "Before you can see registry records or start a service, verify that this ID number is yours: "
            "by a code to the mobile number on file, or at a vehicle administration counter."
        ),
    )
    return redirect("accounts:identity_verify")
