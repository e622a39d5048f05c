from django.conf import settings
from django.middleware.locale import LocaleMiddleware
from django.shortcuts import render
from django.utils import translation

from portal.context_processors import city_url
from portal.models import City
from portal.processcache import TimedCache


def _load_active_city(code: str) -> City | None:
    return City.objects.filter(code=code, is_active=True).first()


# Every request needs its city: kept per process (portal.processcache).
_cities = TimedCache(_load_active_city)
active_city = _cities.get


def _load_city(pk: int) -> City:
    return City.objects.get(pk=pk)


# A row's City by its id (a handling's records, decisions and notices name their city): read
# per process like the active cities above, rather than joined into every locking read.
_cities_by_id = TimedCache(_load_city)
city_by_id = _cities_by_id.get


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
                cities = [(c, city_url(c, request)) for c in City.objects.filter(is_active=True).order_by("code")]
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
