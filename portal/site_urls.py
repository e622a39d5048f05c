from django.urls import path

from portal.views import site

app_name = "portal"
urlpatterns = [
    path("", site.home, name="home"),
]
