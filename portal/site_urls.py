from django.urls import path

from portal.views import antibot, details, site, units

app_name = "portal"
urlpatterns = [
    path("", site.home, name="home"),
    path("my/vehicles/", site.my_vehicles, name="my_vehicles"),
    path("my/licence/", site.my_licence, name="my_licence"),
    path("my/details/", details.my_details, name="my_details"),
    path("unit/", units.unit_dashboard, name="unit"),
    path("unit/staff/", units.unit_staff_add, name="unit_staff_add"),
    path("unit/staff/<int:pk>/remove/", units.unit_staff_remove, name="unit_staff_remove"),
    path("human-check/", antibot.human_check, name="human_check"),
]
