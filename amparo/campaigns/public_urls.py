"""Short links (/r/<code>), outside the language prefix: a link carries its own language (issue 17, part 2)."""

from __future__ import annotations

from django.urls import URLPattern, re_path

from . import public_views

app_name = "links"
urlpatterns: list[URLPattern] = [
    # Codes are 7 characters of services.CODE_ALPHABET; typed in capitals or with a trailing slash they still work.
    re_path(r"^(?P<code>[A-Za-z0-9]{1,12})/?$", public_views.short_link, name="short_link"),
]
