"""Staff pages of the bulletin and the orientation library (issue 17, part 4), under /staff/campaigns/bulletin/."""

from __future__ import annotations

from django.urls import path

from . import bulletin_views

app_name = "bulletin"
urlpatterns = [
    path("", bulletin_views.bulletin, name="list"),
    path("new/", bulletin_views.post_new, name="post_new"),
    path("<uuid:post_uuid>/withdraw/", bulletin_views.post_withdraw, name="post_withdraw"),
    path("library/", bulletin_views.library, name="library"),
    path("library/new/", bulletin_views.document_new, name="document_new"),
    path("library/<uuid:document_uuid>/", bulletin_views.document, name="document"),
    path("library/<uuid:document_uuid>/versions/", bulletin_views.version_add, name="version_add"),
    path("library/<uuid:document_uuid>/withdraw/", bulletin_views.document_withdraw, name="document_withdraw"),
    path("library/<uuid:document_uuid>/<uuid:version_uuid>/", bulletin_views.version_download, name="version_download"),
]
