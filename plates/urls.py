from django.urls import path

from plates import views

app_name = "plates"
urlpatterns = [
    path("", views.start, name="start"),
    path("blocks/", views.blocks, name="blocks"),
    path("s/<int:pk>/verify/", views.verify, name="verify"),
    path("s/<int:pk>/", views.selection, name="selection"),
    path("s/<int:pk>/draw/", views.draw, name="draw"),
    path("s/<int:pk>/backup/", views.backup, name="backup"),
    path("s/<int:pk>/compose/", views.compose, name="compose"),
    path("s/<int:pk>/find/", views.find, name="find"),
    path("s/<int:pk>/confirm/", views.confirm, name="confirm"),
    path("hold/<int:pk>/", views.hold, name="hold"),
    path("hold/<int:pk>/voucher.pdf", views.voucher_pdf, name="voucher_pdf"),
    path("hold/<int:pk>/abandon/", views.abandon, name="abandon"),
    path("hold/<int:pk>/invoice/", views.invoice, name="invoice"),
]
