"""The referral offer's pages (offer_views.py); included by the surveys' urls.py."""

from __future__ import annotations

from django.urls import path

from . import offer_views

urlpatterns = [
    path("offer/card/", offer_views.card, name="offer_card"),
    path("offer/<uuid:submission_uuid>/", offer_views.offer, name="offer"),
]
