"""Staff pages of protection networks, under /staff/networks/."""

from __future__ import annotations

from django.urls import URLPattern, URLResolver

app_name = "networks"

urlpatterns: list[URLPattern | URLResolver] = []
