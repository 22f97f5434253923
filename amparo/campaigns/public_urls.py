"""Short links (/r/<code>), outside the language prefix: a link carries its own language (issue 17, part 2)."""

from __future__ import annotations

from django.urls import URLPattern

app_name = "links"
urlpatterns: list[URLPattern] = []
