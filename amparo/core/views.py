from __future__ import annotations

import sys

from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import render

from . import health
from .unavailable import is_unavailable, unavailable_response


def safety(request: HttpRequest) -> HttpResponse:
    return render(request, "core/safety.html")


def healthz(request: HttpRequest) -> JsonResponse:
    """Liveness: the process answers. It touches nothing else, so a database restart does not get every app
    process killed by its supervisor; `/readyz` says whether it can serve (docs/observability.md)."""
    return JsonResponse({"status": "ok"})


def readyz(request: HttpRequest) -> JsonResponse:
    """Readiness: database, cache and storage, each "ok" or "fail"; 503 when one fails. No detail leaves."""
    results = health.readiness()
    ready = all(value == "ok" for value in results.values())
    return JsonResponse({"status": "ok" if ready else "fail", "checks": results}, status=200 if ready else 503)


def bad_request(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    # Django's handler400: the exception text may hold user input, so it is not shown or logged.
    return render(request, "core/error.html", {"status": 400}, status=400)


def not_found(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    return render(request, "core/error.html", {"status": 404}, status=404)


def server_error(request: HttpRequest) -> HttpResponse:
    # Django calls handler500 while it handles the exception: a database or shared cache that is down gets the 503
    # page with Retry-After (core/unavailable.py), anything else this one.
    if is_unavailable(sys.exc_info()[1]):
        return unavailable_response(request)
    return render(request, "core/error.html", {"status": 500}, status=500)
