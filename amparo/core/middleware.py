"""The public-page middleware: what keeps a survivor's visit from leaving traces (DESIGN rules 8 and 9).

Public pages are every URL outside the staff areas (/admin/, /staff/). On them this middleware removes any cookie
the response would set, stops browsers and proxies from keeping a copy, and asks the browser not to send a referrer.
It never reads or logs the client's address.

Staff responses (/admin/, /staff/) get the opposite rule for caching only: `Cache-Control: no-store, private` (and
`Expires` in the past) on every one of them by default, so decrypted case and report pages never stay in a staff
browser's disk cache after sign-out (DESIGN rule 9).

One exception: after a survivor signs in to the safe channel with her receipt, the channel's pages (and only
those) keep one cookie, `CHANNEL_COOKIE`, which holds her short-lived session token (see amparo/safechannel).
"""

from __future__ import annotations

import re
from collections.abc import Callable

from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.utils.cache import add_never_cache_headers

STAFF_PREFIXES = ("/admin/", "/staff/")
CHANNEL_COOKIE = "amparo_channel"
CHANNEL_PATH = re.compile(r"^/[a-z]{2}/channel/")


def is_public_path(path: str) -> bool:
    return not path.startswith(STAFF_PREFIXES)


class PublicPageMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        public = is_public_path(request.path)
        request.is_public_page = public  # type: ignore[attr-defined]
        channel = public and bool(CHANNEL_PATH.match(request.path))
        if public:
            # Nothing downstream may read or write a session or a CSRF cookie for a public page.
            kept = request.COOKIES.get(CHANNEL_COOKIE) if channel else None
            request.COOKIES = {CHANNEL_COOKIE: kept} if kept else {}
        response = self.get_response(request)
        if not public:
            add_never_cache_headers(response)  # no-cache, no-store, must-revalidate, private; Expires in the past
        if public:
            for name in list(response.cookies):
                if not (channel and name == CHANNEL_COOKIE):
                    del response.cookies[name]
            if not request.path.startswith(settings.STATIC_URL):
                response["Cache-Control"] = "no-store"
            response["Referrer-Policy"] = "no-referrer"
            response["Permissions-Policy"] = "geolocation=(self), camera=(), microphone=(), payment=(), usb=()"
            if "Vary" in response:
                vary = [v.strip() for v in response["Vary"].split(",") if v.strip().lower() != "cookie"]
                if vary:
                    response["Vary"] = ", ".join(vary)
                else:
                    del response["Vary"]
        return response


class ProxyClientAddressMiddleware:
    """Behind the reverse proxy, REMOTE_ADDR is the proxy's (or empty on a unix socket): the client's address comes in
    the header named by settings.CLIENT_ADDRESS_HEADER, which the proxy overwrites on every request (so a client
    cannot choose it). The address only keys the rate-limit buckets (an HMAC under a key that changes every window);
    nothing logs or stores it. Without the setting, or without the header, REMOTE_ADDR is left as it is."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        header = settings.CLIENT_ADDRESS_HEADER
        if header:
            address = request.META.pop(header, "").strip()
            if address:
                request.META["REMOTE_ADDR"] = address
        return self.get_response(request)
