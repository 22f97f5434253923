"""The analysis part of the surveys' staff pages: the risk characterisation, its exports, and imports."""

from __future__ import annotations

from django.urls import URLPattern, path

from . import analysis_views, import_views

urlpatterns: list[URLPattern] = [
    path("analysis/", analysis_views.analysis_forms, name="analysis_forms"),
    path("forms/<uuid:form_uuid>/characterisation/", analysis_views.characterisation, name="characterisation"),
    path(
        "forms/<uuid:form_uuid>/characterisation.csv",
        analysis_views.characterisation_export,
        {"fmt": "csv"},
        name="characterisation_csv",
    ),
    path(
        "forms/<uuid:form_uuid>/characterisation.xlsx",
        analysis_views.characterisation_export,
        {"fmt": "xlsx"},
        name="characterisation_xlsx",
    ),
    path("forms/<uuid:form_uuid>/import/", import_views.import_export, name="import_export"),
]
