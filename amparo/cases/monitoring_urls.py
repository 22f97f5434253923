from django.urls import path

from . import monitoring_views

app_name = "monitoring"
urlpatterns = [
    path("", monitoring_views.alerts, name="alerts"),
]
