"""Staff pages of protection networks, under /staff/networks/."""

from __future__ import annotations

from django.urls import URLPattern, URLResolver, include, path

from . import views

app_name = "networks"

urlpatterns: list[URLPattern | URLResolver] = [
    path("", views.network, name="network"),
    path("export/", views.export, name="export"),
    path("ties/", views.ties, name="ties"),
    path("ties/new/", views.tie_new, name="tie_new"),
    path("ties/<uuid:tie_uuid>/", views.tie_edit, name="tie_edit"),
    path("ties/<uuid:tie_uuid>/end/", views.tie_end, name="tie_end"),
    path("", include("amparo.networks.monitoring_urls")),
]
