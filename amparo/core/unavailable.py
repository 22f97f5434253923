"""The page a request gets while the database or the shared cache cannot be reached (docs/faults.md).

Django's handler500 (`core.views.server_error`) asks `is_unavailable` about the exception being handled: a lost or
refused database connection, a database that is restarting, or a shared cache that fails closed
(`core.counters.Unavailable`, or Redis itself refusing). Such a request is answered `503 Service Unavailable` with
`Retry-After`, a short translated page and no stack trace. The page is rendered without context processors and
without touching the session or the user, which would need the database that is down.

Recovery needs no restart: Django drops a connection that raised an error at the end of the request
(`close_if_unusable_or_obsolete`) and, with `CONN_HEALTH_CHECKS`, checks a reused connection before the next request
uses it (settings.py); the cache client reconnects at its next call.
"""

from __future__ import annotations

from django.conf import settings
from django.db import InterfaceError, OperationalError
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.template.loader import render_to_string
from django.utils import translation

RETRY_AFTER_SECONDS = 30


def _cache_down_errors() -> tuple[type[Exception], ...]:
    errors: list[type[Exception]] = [ConnectionError, TimeoutError]  # OSError subclasses of sockets (Memcached)
    try:
        import redis.exceptions
    except ImportError:  # no Redis client installed: no Redis cache either
        return tuple(errors)
    return (*errors, redis.exceptions.ConnectionError, redis.exceptions.TimeoutError)


# What a cache call raises when its server cannot be reached (Django's RedisCache lets redis-py's errors through).
CACHE_DOWN_ERRORS = _cache_down_errors()


class SharedCacheDown(Exception):
    """The shared cache cannot be reached and what needed it fails closed (raised as core.counters.Unavailable)."""


def is_unavailable(exc: BaseException | None) -> bool:
    """Whether `exc` means a service Amparo needs is down or restarting (not a bug in a view)."""
    if exc is None:
        return False
    return isinstance(exc, (OperationalError, InterfaceError, SharedCacheDown, *CACHE_DOWN_ERRORS))


def unavailable_response(request: HttpRequest) -> HttpResponse:
    """503 with Retry-After, in the language of the address, rendered without the database or the session. Machines
    get what they read: the JSON API a JSON body, the phones' OpenRosa endpoints a short text with the OpenRosa
    version header (ODK Collect keeps the finalised form and sends it again)."""
    if request.path_info.startswith("/api/"):
        response: HttpResponse = JsonResponse(
            {"detail": "Service unavailable: try again later.", "retry_after": RETRY_AFTER_SECONDS}, status=503
        )
    elif request.path_info.startswith("/openrosa/"):
        response = HttpResponse("Service unavailable: try again later.", status=503, content_type="text/plain")
        response["X-OpenRosa-Version"] = "1.0"
    else:
        response = _page(request)
    response["Retry-After"] = str(RETRY_AFTER_SECONDS)
    response["Cache-Control"] = "no-store"
    return response


def _page(request: HttpRequest) -> HttpResponse:
    language = translation.get_language_from_path(request.path_info) or settings.LANGUAGE_CODE
    with translation.override(language):
        body = render_to_string(
            "core/unavailable.html",
            {"request": request, "QUICK_EXIT_URL": settings.QUICK_EXIT_URL, "retry_minutes": 1},
        )
    return HttpResponse(body, status=503)
