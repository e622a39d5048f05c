from django.urls import path

from portal.views import antibot, site

app_name = "portal"
urlpatterns = [
    path("", site.home, name="home"),
    path("my/vehicles/", site.my_vehicles, name="my_vehicles"),
    path("my/licence/", site.my_licence, name="my_licence"),
    path("human-check/", antibot.human_check, name="human_check"),
]
