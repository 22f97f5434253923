"""Cross-site POSTs to public forms are refused without a cookie (public pages set none, so there is no CSRF
cookie): the safe channel's forms and the feedback form about a service use this one check."""

from __future__ import annotations

from django.http import HttpRequest


def same_origin(request: HttpRequest) -> bool:
    """Browsers say where a request comes from in Sec-Fetch-Site (Fetch Metadata). Our pages send no referrer, so
    browsers send `Origin: null` on our own forms and Origin cannot tell. A browser too old for Fetch Metadata falls
    back to Origin when it names a site."""
    site = request.META.get("HTTP_SEC_FETCH_SITE")
    if site is not None:
        return site in {"same-origin", "none"}
    origin = request.META.get("HTTP_ORIGIN")
    if origin is None or origin == "null":
        return True
    host = request.get_host()
    return origin in {f"http://{host}", f"https://{host}"}
