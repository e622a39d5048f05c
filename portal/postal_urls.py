from django.urls import path

from portal.postal import views

app_name = "postal"
urlpatterns = [
    path("webhook/", views.webhook, name="webhook"),
    path("track/<str:tracking_number>/", views.track, name="track"),
    path("sandbox/<str:tracking_number>/", views.sandbox_shipment, name="sandbox"),
]
