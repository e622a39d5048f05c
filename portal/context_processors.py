from django.conf import settings


def city_url(city, request=None) -> str:
    """Absolute URL of a city's site, keeping the port the visitor is using."""
    port = ""
    if request is not None:
        host = request.get_host()
        if ":" in host:
            port = ":" + host.rsplit(":", 1)[1]
    scheme = request.scheme if request is not None else "http"
    return f"{scheme}://{city.code}.{settings.PORTAL_DOMAIN}{port}/"


def portal(request):
    return {
        "city": getattr(request, "city", None),
        "PORTAL_DOMAIN": settings.PORTAL_DOMAIN,
        "SITE_NAME": settings.SITE_NAME,
    }
