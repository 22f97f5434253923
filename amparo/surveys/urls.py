"""Staff pages of the surveys app, under /staff/surveys/ (each part includes its own patterns here)."""

from __future__ import annotations

from django.urls import URLPattern, URLResolver

app_name = "surveys"

urlpatterns: list[URLPattern | URLResolver] = []
