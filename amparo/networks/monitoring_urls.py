"""Coverage gaps and monitoring protocols, under /staff/networks/ (included by urls.py)."""

from __future__ import annotations

from django.urls import URLPattern, path

from . import monitoring_views

urlpatterns: list[URLPattern] = [
    path("gaps/", monitoring_views.gaps, name="gaps"),
    path("monitoring/", monitoring_views.plans, name="plans"),
    path("monitoring/new/", monitoring_views.plan_new, name="plan_new"),
    path("monitoring/<uuid:plan_uuid>/", monitoring_views.plan_detail, name="plan"),
    path("monitoring/<uuid:plan_uuid>/edit/", monitoring_views.plan_edit, name="plan_edit"),
    path("monitoring/<uuid:plan_uuid>/snapshot/", monitoring_views.snapshot_new, name="snapshot_new"),
    path("monitoring/<uuid:plan_uuid>/snapshots/<int:snapshot_id>/", monitoring_views.snapshot_detail, name="snapshot"),
    path("monitoring/<uuid:plan_uuid>/print/", monitoring_views.plan_print, name="plan_print"),
    path("monitoring/<uuid:plan_uuid>/pdf/", monitoring_views.plan_pdf, name="plan_pdf"),
]
