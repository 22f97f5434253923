"""The public feedback form about a service (issue 17, part 3), under the language prefix."""

from __future__ import annotations

from django.urls import URLPattern, path

from . import public_views

app_name = "service_feedback"
urlpatterns: list[URLPattern] = [
    path("services/<uuid:sal_uuid>/feedback/", public_views.service_feedback, name="form"),
]
