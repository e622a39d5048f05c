from django.urls import path

from portal.payments import views

app_name = "pay"
urlpatterns = [
    path("notify/", views.notify, name="notify"),
    path("sandbox/cashier/<str:order_number>/", views.sandbox_cashier, name="sandbox_cashier"),
    path("result/<str:order_number>/", views.result, name="result"),
    path("receipt/<str:order_number>/", views.receipt, name="receipt"),
    path("receipt/<str:order_number>/pdf/", views.receipt_download, name="receipt_pdf"),
]
