"""The public figures, under the language prefix (/es/figures/, /en/figures/, /pt/figures/)."""

from django.urls import path

from . import public_views

app_name = "figures"
urlpatterns = [
    path("figures/", public_views.index, name="index"),
    path("figures/data-dictionary/", public_views.dictionary, name="dictionary"),
    path("figures/<uuid:publication_uuid>/", public_views.publication, name="publication"),
    path("figures/<uuid:publication_uuid>/hxl.<str:fmt>", public_views.export, name="export"),
]
