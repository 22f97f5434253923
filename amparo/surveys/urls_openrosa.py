"""The OpenRosa server (openrosa_views.py), mounted at /openrosa/ by amparo/urls.py: outside /staff/, so the
public-page middleware keeps it free of cookies and caches."""

from __future__ import annotations

from django.urls import path, re_path

from . import openrosa_views

app_name = "openrosa"

urlpatterns = [
    path("formList", openrosa_views.form_list, name="form_list"),
    path("forms/<uuid:form_uuid>/<int:version_pk>/form.xml", openrosa_views.form_download, name="form"),
    path("forms/<uuid:form_uuid>/<int:version_pk>/manifest", openrosa_views.manifest, name="manifest"),
    path("forms/<uuid:form_uuid>/<int:version_pk>/media/<str:filename>", openrosa_views.media_download, name="media"),
    path("submission", openrosa_views.submission, name="submission"),
    re_path(r"^.*$", openrosa_views.unknown, name="unknown"),  # an OpenRosa 404, with its headers
]
