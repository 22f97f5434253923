"""Staff pages of the campaigns and their materials (issue 17, part 1), under /staff/campaigns/."""

from __future__ import annotations

from django.urls import URLPattern

app_name = "campaigns"
urlpatterns: list[URLPattern] = []
