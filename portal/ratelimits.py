"""Limits on the rush paths, per account and per address (django-ratelimit over the Redis cache).

settings.RUSH_LIMITS maps a group to (per-account rate, per-address rate). A request over either
gets a 429 page that says what happened and when to come back; nothing is written. The address
is the one portal.ratelimits.client_ip() reads (CLIENT_IP_HEADER behind a proxy).

Why per address too: one address running many accounts is the shape of a fleet (20 accounts
from one address claimed the same number within 0.34 s). The per-address rates are set so a
household or an office behind one address is not hindered by them (docs/operations.md).

The counters are django-ratelimit's (same keys, windows and expiry), counted in one Redis round
trip for both limits (portal.cache.RedisCache.count_hits) where django-ratelimit takes four
(add and incr per limit) on every rush request.
"""

import functools
import hashlib
import ipaddress
import time
import zlib

from django.conf import settings
from django.core.cache import caches
from django.shortcuts import render
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _


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


_PERIODS = {"s": 1, "m": 60, "h": 60 * 60, "d": 24 * 60 * 60}
EXPIRATION_FUDGE = 5  # seconds a counter outlives its window, as django-ratelimit keeps it


def _split_rate(rate: str) -> tuple[int, int]:
    """ "10/m" -> (10, 60); "5/15m" -> (5, 900): django-ratelimit's rate strings."""
    count, period = rate.split("/")
    return int(count), _PERIODS[period[-1]] * (int(period[:-1]) if period[:-1] else 1)


def _counter(group: str, rate: str, value: str) -> tuple[str, int, int]:
    """The counter django-ratelimit keeps for this group, rate and key value: (cache key, limit,
    timeout). Its window ends at a point of the period shifted by the value's CRC, so that not
    every counter restarts at once."""
    limit, period = _split_rate(rate)
    now = int(time.time())
    window = now if period == 1 else now - now % period + zlib.crc32(value.encode()) % period
    if window < now:
        window += period
    safe_rate = f"{limit}/{period}s"
    key = "rl:" + hashlib.sha256(f"{group}{safe_rate}{value}{window}".encode()).hexdigest()
    return key, limit, period + EXPIRATION_FUDGE


def limited(request, group: str) -> bool:
    """Count this request against the group's limits; True when one of them is exceeded (or
    Redis cannot count it: the limit fails closed, as django-ratelimit's does)."""
    rates = getattr(settings, "RUSH_LIMITS", {}).get(group)
    if not rates or not getattr(settings, "RATELIMIT_ENABLE", True):
        return False
    user_rate, ip_rate = rates
    counters = [
        _counter(f"{group}:u", user_rate, _user_key(group, request) or ""),
        _counter(f"{group}:ip", ip_rate, _ip_key(group, request) or ""),
    ]
    counts = caches[settings.RATELIMIT_USE_CACHE].count_hits([(key, timeout) for key, _, timeout in counters])
    if counts is None:
        return not getattr(settings, "RATELIMIT_FAIL_OPEN", False)
    return any(count > limit for count, (_, limit, _) in zip(counts, counters, strict=True))


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
