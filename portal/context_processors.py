import functools

from django.conf import settings
from django.urls import NoReverseMatch, get_script_prefix, get_urlconf, reverse


def city_url(city, request=None) -> str:
    """Absolute URL of a city's site, keeping the port the visitor is using."""
    port = ""
    if request is not None:
        host = request.get_host()
        if ":" in host:
            port = ":" + host.rsplit(":", 1)[1]
    scheme = request.scheme if request is not None else "http"
    return f"{scheme}://{city.code}.{settings.PORTAL_DOMAIN}{port}/"


# The links in base.html's header, and in the tabs some services show above their pages
# (violations/_tabs.html), by URL name. They take no arguments, so they are the same for every
# request of a process: reversed once per URLconf and script prefix instead of three to five
# reverse() calls on every page (about 0.1 ms of the header's rendering) and four more on each
# page with tabs (about 120 Python calls each).
HEADER_LINKS = {
    "inbox": "notices:inbox",
    "my_vehicles": "portal:my_vehicles",
    "admin": "admin:index",
    "logout": "accounts:logout",
    "login": "accounts:login",
    "register": "accounts:register",
    "set_language": "set_language",
    "violations_start": "violations:start",
    "violations_bindings": "violations:bindings",
    "violations_study": "violations:study",
    "violations_accidents": "violations:accident_list",
}


@functools.lru_cache(maxsize=16)
def _header_links(urlconf, script_prefix) -> dict:
    # The arguments are the cache key: reverse() reads both from the current thread.
    links = {}
    for key, name in HEADER_LINKS.items():
        try:
            links[key] = reverse(name, urlconf=urlconf)
        except NoReverseMatch:
            links[key] = ""  # the header leaves out a link to a service this site does not route
    return links


def header_links() -> dict:
    return _header_links(get_urlconf() or settings.ROOT_URLCONF, get_script_prefix())


def portal(request):
    return {
        "city": getattr(request, "city", None),
        "PORTAL_DOMAIN": settings.PORTAL_DOMAIN,
        "SITE_NAME": settings.SITE_NAME,
        "header_links": header_links(),
    }
