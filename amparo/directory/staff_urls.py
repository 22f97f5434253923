from django.urls import path

from . import staff_views

app_name = "directory_staff"
urlpatterns = [
    path("gaps/", staff_views.gaps, name="gaps"),
    path("verify/", staff_views.verify_list, name="verify_list"),
    path("services/<uuid:service_uuid>/verify/", staff_views.verify_service, name="verify_service"),
    path("focal-points/requests/", staff_views.focal_point_requests, name="focal_point_requests"),
    path("focal-points/<uuid:focal_point_uuid>/decide/", staff_views.focal_point_decide, name="focal_point_decide"),
]
