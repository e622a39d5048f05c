from django.conf import settings
from django.contrib import admin
from django.urls import include, path

from portal.views import health

urlpatterns = [
    path("healthz", health.healthz, name="healthz"),
    path("healthz/celery", health.celery_health, name="healthz_celery"),
    path("admin/", admin.site.urls),
    path("i18n/", include("django.conf.urls.i18n")),
    path("accounts/", include("portal.accounts_urls")),
    path("pay/", include("portal.payments_urls")),
    path("postal/", include("portal.postal_urls")),
    path("plates/", include("plates.urls")),
    path("exams/", include("exams.urls")),
    path("inspection/", include("exams.urls_inspection")),
    path("violations/", include("violations.urls")),
    path("certificates/", include("certificates.urls")),
    path("notices/", include("notices.urls")),
    path("", include("portal.site_urls")),
]

if getattr(settings, "BENCH_VIEWS", False):
    urlpatterns.insert(0, path("__bench__/", include("portal.bench_urls")))

if settings.DEBUG:
    from django.conf.urls.static import static

    urlpatterns += static(settings.MEDIA_URL, document_root=settings.MEDIA_ROOT)
