from django.urls import path

from certificates import views

app_name = "certificates"
urlpatterns = [
    path("", views.start, name="start"),
    path("apply/<slug:item_slug>/", views.choose, name="choose"),
    path("apply/<slug:item_slug>/<int:subject_id>/", views.apply, name="apply"),
    path("cases/", views.cases, name="cases"),
    path("cases/<str:number>/", views.case, name="case"),
    path("cases/<str:number>/pay/", views.pay, name="pay"),
    path("cases/<str:number>/withdraw/", views.withdraw, name="withdraw"),
    path("cases/<str:number>/qr/<str:token>.svg", views.document_qr, name="qr"),
    path("verify/<str:token>/", views.verify, name="verify"),
    path("institutions/", views.institutions, name="institutions"),
    path("medical/", views.my_medicals, name="my_medicals"),
    path("deferral/", views.deferral, name="deferral"),
    path("deferral/document/<str:token>/", views.deferral_document, name="deferral_document"),
    path("hospital/", views.hospital, name="hospital"),
    path("hospital/new/", views.hospital_new, name="hospital_new"),
    path("hospital/<int:pk>/", views.hospital_detail, name="hospital_detail"),
    path("hospital/<int:pk>/correct/", views.hospital_correct, name="hospital_correct"),
]
