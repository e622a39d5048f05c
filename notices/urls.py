from django.urls import path

import portal.converters  # noqa: F401 (registers <code:>)
from notices import views, views_travel

app_name = "notices"
urlpatterns = [
    path("", views.inbox, name="inbox"),
    path("<int:pk>/", views.notice_detail, name="detail"),
    path("preferences/", views.preferences, name="preferences"),
    path("calendar/new-link/", views.calendar_regenerate, name="calendar_regenerate"),
    path("calendar/<code:token>.ics", views.calendar_feed, name="calendar_feed"),
    path("announcements/", views.announcements, name="announcements"),
    path("announcements/<int:pk>/", views.announcement_detail, name="announcement"),
    path("articles/", views.articles, name="articles"),
    path("articles/<int:pk>/", views.article_detail, name="article"),
    path("questions/", views.questions, name="questions"),
    path("questions/ask/", views.question_ask, name="question_ask"),
    path("questions/<int:pk>/", views.question_detail, name="question"),
    path("statistics/", views.statistics, name="statistics"),
    path("travel/", views_travel.travel, name="travel"),
    path("travel/travel.ics", views_travel.travel_feed, name="travel_feed"),
    path("travel/follow/", views_travel.travel_subscriptions, name="travel_subscriptions"),
    path("travel/follow/<int:pk>/remove/", views_travel.travel_unsubscribe, name="travel_unsubscribe"),
    path("receipt/<code:channel>/", views.receipt, name="receipt"),
]
