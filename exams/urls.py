from django.urls import path

from exams import views

app_name = "exams"
urlpatterns = [
    path("", views.plans, name="plans"),
    path("plans/<int:plan_id>/request/", views.request_plan, name="request"),
    path("requests/<int:request_id>/withdraw/", views.withdraw, name="withdraw"),
    path("requests/<int:request_id>/pay/", views.pay, name="pay"),
    path("offers/<int:request_id>/", views.offer, name="offer"),
    path("permit/", views.permit, name="permit"),
    path("permit.pdf", views.permit_pdf, name="permit_pdf"),
    path("public/", views.public, name="public"),
    path("public/plans/<int:plan_id>/", views.draw, name="draw"),
]
