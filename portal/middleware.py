import time

from django.conf import settings
from django.db.models.signals import post_save
from django.dispatch import receiver
from django.middleware.locale import LocaleMiddleware
from django.shortcuts import render
from django.utils import translation

from portal.models import City

# Cities change a few times a year, yet every request needs one: keep them per process for a
# minute rather than paying a query per request (a saved City clears this process's copy).
_CITY_TTL = 60.0
_city_cache: dict[str, tuple[float, City | None]] = {}


def active_city(code: str) -> City | None:
    now = time.monotonic()
    cached = _city_cache.get(code)
    if cached is not None and now - cached[0] < _CITY_TTL:
        return cached[1]
    city = City.objects.filter(code=code, is_active=True).first()
    _city_cache[code] = (now, city)
    return city


@receiver(post_save, sender=City)
def _forget_cities(**kwargs):
    _city_cache.clear()


def city_code_from_host(host: str) -> str | None:
    """'has.localhost:8000' -> 'has'; the bare domain (or an IP) -> None."""
    host = host.split(":", 1)[0].lower().rstrip(".")
    domain = settings.PORTAL_DOMAIN.lower()
    if host.endswith("." + domain):
        label = host[: -len(domain) - 1]
        return label.split(".")[-1] if label else None
    return None


class CityMiddleware:
    """Sets request.city from the Host header's first label; None on the province site."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        code = city_code_from_host(request.get_host())
        request.city = None
        if code is not None:
            request.city = active_city(code)
            if request.city is None:
                cities = City.objects.filter(is_active=True)
                return render(request, "portal/unknown_city.html", {"code": code, "cities": cities}, status=404)
        return self.get_response(request)


class ChineseByDefaultLocaleMiddleware(LocaleMiddleware):
    """Pages are Simplified Chinese unless the visitor chose English with the language switch.

    Django's LocaleMiddleware would follow the browser's Accept-Language, so a citizen on an
    English-language phone would land on an English site they never asked for.
    """

    def process_request(self, request):
        chosen = request.COOKIES.get(settings.LANGUAGE_COOKIE_NAME)
        supported = {code for code, _name in settings.LANGUAGES}
        translation.activate(chosen if chosen in supported else settings.LANGUAGE_CODE)
        request.LANGUAGE_CODE = translation.get_language()
