"""Web entry's pages (issue 14, item 4); included by the surveys' urls.py."""

from __future__ import annotations

from django.urls import path

from . import webentry_views

urlpatterns = [
    path("entry/", webentry_views.entry_list, name="entry_list"),
    path("entry/<uuid:form_uuid>/", webentry_views.entry, name="entry"),
    path("entry/<uuid:form_uuid>/sent/", webentry_views.entry_sent, name="entry_sent"),
]
