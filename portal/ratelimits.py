"""Limits on the rush paths, per account and per address (fixed windows as django-ratelimit's, counted
in one Redis round trip).

settings.RUSH_LIMITS maps a group to (per-account rate, per-address rate). A request over either
gets a 429 page that says what happened and when to come back; nothing is written. The address
is the one portal.ratelimits.client_ip() reads (CLIENT_IP_HEADER behind a proxy).

Why per address too: one address running many accounts is the shape of a fleet (20 accounts
from one address claimed the same number within 0.34 s). The per-address rates are set so a
household or an office behind one address is not hindered by them (docs/operations.md).
"""

import functools
import hashlib
import ipaddress
import re
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


_RATE = re.compile(r"^(\d+)/(\d*)([smhd])?$")
_PERIODS = {"s": 1, "m": 60, "h": 3600, "d": 86400}
# A counter outlives its window by this much (django-ratelimit's EXPIRATION_FUDGE).
_FUDGE = 5


def _split_rate(rate: str) -> tuple[int, int]:
    """'30/m' -> (30, 60), '5/10m' -> (5, 600): django-ratelimit's rate syntax."""
    count, multiple, unit = _RATE.match(rate).groups()
    return int(count), _PERIODS[unit or "s"] * int(multiple or 1)


def _window_end(value: str, period: int, now: int) -> int:
    """The end of the fixed window `now` falls in, each key's windows shifted by its own offset
    so that they do not all end at once (django-ratelimit's windows)."""
    if period == 1:
        return now
    end = now - now % period + zlib.crc32(value.encode()) % period
    return end + period if end < now else end


def _counter(group: str, rate: str, value: str, now: int) -> tuple[str, int, int]:
    """(cache key, limit, seconds the counter lives) of one limit for one key value. The value
    (an account id or an address) is hashed into the key, not written in it."""
    limit, period = _split_rate(rate)
    window = _window_end(value, period, now)
    digest = hashlib.md5(f"{group}{limit}/{period}s{value}{window}".encode(), usedforsecurity=False).hexdigest()
    return f"rl:{digest}", limit, period + _FUDGE


def limited(request, group: str) -> bool:
    """Count this request against the group's limits; True when one of them is exceeded.

    Both counters (per account, per address) are counted in one Redis round trip
    (portal.cache.RedisCache.count_hits), with django-ratelimit's fixed windows: every rush
    request paid four round trips for them (ADD, then INCR, per limit). When Redis cannot count,
    the request is refused, as django-ratelimit does (unless RATELIMIT_FAIL_OPEN)."""
    rates = getattr(settings, "RUSH_LIMITS", {}).get(group)
    if not rates or not getattr(settings, "RATELIMIT_ENABLE", True):
        return False
    user_rate, ip_rate = rates
    now = int(time.time())
    counters = [
        _counter(f"{group}:u", user_rate, _user_key(group, request) or "", now),
        _counter(f"{group}:ip", ip_rate, _ip_key(group, request) or "", now),
    ]
    counts = caches[settings.RATELIMIT_USE_CACHE].count_hits({key: ttl for key, _limit, ttl in counters})
    if counts is None:
        return not getattr(settings, "RATELIMIT_FAIL_OPEN", False)
    return any(count > limit for count, (_key, limit, _ttl) in zip(counts, counters, strict=True))


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
