"""Staff pages of publications, under /staff/insights/publications/."""

from django.urls import path

from . import staff_views

app_name = "publications"
urlpatterns = [
    path("", staff_views.publications, name="publications"),
    path("new/", staff_views.publication_new, name="publication_new"),
    path("<uuid:publication_uuid>/", staff_views.publication, name="publication"),
    path("<uuid:publication_uuid>/review/", staff_views.publication_review, name="publication_review"),
    path("<uuid:publication_uuid>/withdraw/", staff_views.publication_withdraw, name="publication_withdraw"),
]
