from django.urls import path

from . import views

app_name = "directory"
urlpatterns = [
    path("services/", views.search, name="search"),
    path("services/<uuid:sal_uuid>/", views.service_detail, name="service"),
]
