"""Limits on the rush paths, per account and per address (django-ratelimit over the Redis cache).

settings.RUSH_LIMITS maps a group to (per-account rate, per-address rate). A request over either
gets a 429 page that says what happened and when to come back; nothing is written. The address
is the one portal.ratelimits.client_ip() reads (CLIENT_IP_HEADER behind a proxy).

Why per address too: one address running many accounts is the shape of a fleet (20 accounts
from one address claimed the same number within 0.34 s). The per-address rates are set so a
household or an office behind one address is not hindered by them (docs/operations.md).
"""

import functools
import ipaddress

from django.conf import settings
from django.shortcuts import render
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django_ratelimit.core import is_ratelimited


def client_ip(request) -> str | None:
    """The visitor's address, the one helper every page uses: the proxy's header when configured
    (CLIENT_IP_HEADER), else the socket peer. Only a well-formed address is returned (it is
    stored in inet columns and keys the limits); None otherwise."""
    header = settings.CLIENT_IP_HEADER
    value = request.META.get(header, "") if header else ""
    value = value.split(",")[0].strip() if value else request.META.get("REMOTE_ADDR") or ""
    try:
        return str(ipaddress.ip_address(value))
    except ValueError:
        return None


def _ip_key(group, request):
    return client_ip(request)


def _user_key(group, request):
    return str(request.user.pk) if request.user.is_authenticated else client_ip(request)


def limited(request, group: str) -> bool:
    """Count this request against the group's limits; True when one of them is exceeded."""
    rates = getattr(settings, "RUSH_LIMITS", {}).get(group)
    if not rates:
        return False
    user_rate, ip_rate = rates
    over_user = is_ratelimited(request, group=f"{group}:u", key=_user_key, rate=user_rate, increment=True)
    over_ip = is_ratelimited(request, group=f"{group}:ip", key=_ip_key, rate=ip_rate, increment=True)
    return over_user or over_ip


def too_many(request):
    back = request.META.get("HTTP_REFERER", "")
    if not url_has_allowed_host_and_scheme(back, {request.get_host()}, require_https=request.is_secure()):
        back = "/"
    return render(
        request,
        "portal/rate_limited.html",
        {
            "back": back,
            "message": _(
                "Too many requests from your account or your network address in a short time. "
                "Nothing was changed; please wait a little and try again."
            ),
        },
        status=429,
    )


def rush_limit(group: str, methods=("POST",)):
    """View decorator: the group's limits on the given methods (the page itself stays readable)."""

    def decorate(view):
        @functools.wraps(view)
        def wrapped(request, *args, **kwargs):
            if request.method in methods and limited(request, group):
                return too_many(request)
            return view(request, *args, **kwargs)

        return wrapped

    return decorate
