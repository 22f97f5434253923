"""Staff pages of protection networks, under /staff/networks/."""

from __future__ import annotations

from django.urls import URLPattern, URLResolver, include, path

app_name = "networks"

urlpatterns: list[URLPattern | URLResolver] = [
    path("", include("amparo.networks.monitoring_urls")),
]
