from django.urls import path

from . import legal_views

app_name = "legal"
urlpatterns = [
    path("<uuid:case_uuid>/legal/new/", legal_views.matter_new, name="matter_new"),
    path("legal/upcoming/", legal_views.upcoming, name="upcoming"),
    path("legal/<uuid:matter_uuid>/", legal_views.matter_detail, name="matter"),
    path("legal/<uuid:matter_uuid>/events/<int:event_id>/", legal_views.event_edit, name="event_edit"),
    path("legal/<uuid:matter_uuid>/documents/", legal_views.document_upload, name="document_upload"),
    path(
        "legal/<uuid:matter_uuid>/documents/<uuid:document_uuid>/",
        legal_views.document_download,
        name="document",
    ),
]
