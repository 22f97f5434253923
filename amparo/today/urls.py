from django.urls import path

from . import views

app_name = "today"
urlpatterns = [
    path("", views.home, name="home"),
    path("notifications/", views.notifications, name="notifications"),
    path("notifications/read/", views.notifications_read, name="notifications_read"),
    path("notifications/settings/", views.preferences, name="preferences"),
    path("language/", views.set_language, name="set_language"),
]
