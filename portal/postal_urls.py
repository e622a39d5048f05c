from django.urls import path

import portal.converters  # noqa: F401 (registers <code:>)
from portal.postal import views

app_name = "postal"
urlpatterns = [
    path("webhook/", views.webhook, name="webhook"),
    path("track/<code:tracking_number>/", views.track, name="track"),
    path("sandbox/<code:tracking_number>/", views.sandbox_shipment, name="sandbox"),
]
