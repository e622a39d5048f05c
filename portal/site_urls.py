from django.urls import path

from portal.views import antibot, details, site

app_name = "portal"
urlpatterns = [
    path("", site.home, name="home"),
    path("my/vehicles/", site.my_vehicles, name="my_vehicles"),
    path("my/licence/", site.my_licence, name="my_licence"),
    path("my/details/", details.my_details, name="my_details"),
    path("human-check/", antibot.human_check, name="human_check"),
]
