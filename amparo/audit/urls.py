from django.urls import path

from . import views

app_name = "audit"
urlpatterns = [path("<uuid:org_uuid>/", views.trail, name="trail")]
