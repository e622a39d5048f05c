"""The baseline of `make bench`: a view without the database and one with a single indexed query.

Included by portal/urls.py only when settings.BENCH_VIEWS is true (portal.bench_settings).
"""

from django.http import HttpResponse, JsonResponse
from django.urls import path

from portal.models import City

_CODES = ["nkg", "wux", "xuz", "czx", "szv", "ntg", "lyg", "has", "ynz", "yzo", "zhe", "tzs", "suq"]


def hello(request):
    return HttpResponse(b"hello", content_type="text/plain")


def one_query(request):
    code = _CODES[int(request.GET.get("i", "0") or 0) % len(_CODES)]
    # Unique index on city.code: one round trip to PostgreSQL.
    name = City.objects.filter(code=code).values_list("name", flat=True).first()
    return JsonResponse({"city": name})


app_name = "bench"
urlpatterns = [
    path("hello/", hello, name="hello"),
    path("db/", one_query, name="db"),
]
