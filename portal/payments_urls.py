from django.urls import path

import portal.converters  # noqa: F401 (registers <code:>)
from portal.payments import views

app_name = "pay"
urlpatterns = [
    path("notify/", views.notify, name="notify"),
    path("sandbox/cashier/<code:order_number>/", views.sandbox_cashier, name="sandbox_cashier"),
    path("result/<code:order_number>/", views.result, name="result"),
    path("receipt/<code:order_number>/", views.receipt, name="receipt"),
    path("receipt/<code:order_number>/pdf/", views.receipt_download, name="receipt_pdf"),
]
