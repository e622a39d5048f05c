"""Inspection booking's pages, under /inspection/ (docs/architecture.md: the exams app serves
"驾考和车检预约", but citizens look for 车检 on its own address)."""

from django.urls import path

from exams import views_inspection as views

app_name = "inspection"
urlpatterns = [
    path("", views.start, name="start"),
    path("vehicles/<int:vehicle_id>/", views.vehicle, name="vehicle"),
    path("vehicles/<int:vehicle_id>/book/", views.book, name="book"),
    path("bookings/<int:booking_id>/", views.booking, name="booking"),
    path("bookings/<int:booking_id>/move/", views.move, name="move"),
    path("bookings/<int:booking_id>/cancel/", views.cancel, name="cancel"),
]
