from django.urls import path

from violations import views

app_name = "violations"
urlpatterns = [
    path("", views.start, name="start"),
]
