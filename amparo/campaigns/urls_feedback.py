"""Staff pages of the community-led monitoring (issue 17, part 3), under /staff/campaigns/feedback/."""

from __future__ import annotations

from django.urls import URLPattern

app_name = "feedback"
urlpatterns: list[URLPattern] = []
