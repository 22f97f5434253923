"""The public feedback form about a service (issue 17, part 3), under the language prefix."""

from __future__ import annotations

from django.urls import URLPattern

app_name = "service_feedback"
urlpatterns: list[URLPattern] = []
