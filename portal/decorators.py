"""View decorators shared by every app's city pages."""

import functools

from django.shortcuts import render

from portal.context_processors import city_url
from portal.models import City


def city_required(view):
    """On the province site (bare domain), explain that the page lives on a city site and link
    to the same page on each city's site instead of failing."""

    @functools.wraps(view)
    def wrapper(request, *args, **kwargs):
        if getattr(request, "city", None) is None:
            path = request.get_full_path().lstrip("/")
            cities = [(c, city_url(c, request) + path) for c in City.objects.filter(is_active=True)]
            return render(request, "portal/needs_city.html", {"cities": cities})
        return view(request, *args, **kwargs)

    return wrapper
