"""Staff pages of the surveys' forms and phones (form_views.py), included by urls.py under /staff/surveys/."""

from __future__ import annotations

from django.urls import path

from . import form_views

urlpatterns = [
    path("org/<uuid:org_uuid>/forms/", form_views.forms_list, name="forms"),
    path("org/<uuid:org_uuid>/forms/upload/", form_views.form_upload, name="form_upload"),
    path("org/<uuid:org_uuid>/phones/", form_views.phones_list, name="phones"),
    path("forms/<uuid:form_uuid>/", form_views.form_detail, name="form_detail"),
    path("forms/<uuid:form_uuid>/upload/", form_views.version_upload, name="version_upload"),
    path("forms/<uuid:form_uuid>/versions/<int:version_pk>/media/", form_views.media_upload, name="media_upload"),
    path("forms/<uuid:form_uuid>/open/", form_views.form_open, name="form_open"),
    path("forms/<uuid:form_uuid>/enumerators/", form_views.form_enumerators, name="form_enumerators"),
    path("phones/<uuid:credential_uuid>/revoke/", form_views.phone_revoke, name="phone_revoke"),
]
