"""Staff pages of the community-led monitoring (issue 17, part 3), under /staff/campaigns/feedback/."""

from __future__ import annotations

from django.urls import URLPattern, path

from . import feedback_views

app_name = "feedback"
urlpatterns: list[URLPattern] = [
    path("", feedback_views.services, name="services"),
    path("services/<uuid:service_uuid>/", feedback_views.service, name="service"),
    path("alerts/<uuid:alert_uuid>/", feedback_views.alert, name="alert"),
]
