"""Encrypted forms and retention (staff): the organisation's survey key, decryption, a form's retention and purge."""

from __future__ import annotations

from django.urls import path

from . import key_views

urlpatterns = [
    path("keys/<str:org_uuid>/", key_views.survey_key, name="survey_key"),
    path("forms/<str:form_uuid>/decrypt/", key_views.decrypt, name="decrypt"),
    path("forms/<str:form_uuid>/retention/", key_views.form_retention, name="retention"),
]
