"""Situation reports, under /staff/insights/reports/ (amparo/urls.py)."""

from __future__ import annotations

from django.urls import URLPattern, path

from . import report_views

app_name = "insights_reports"

urlpatterns: list[URLPattern] = [
    path("", report_views.report_list, name="list"),
    path("new/", report_views.report_new, name="new"),
    path("<uuid:report_uuid>/", report_views.report_detail, name="detail"),
    path("<uuid:report_uuid>/pdf/", report_views.report_pdf, name="pdf"),
]
