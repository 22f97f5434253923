"""One request log line and the request metrics, per request (docs/observability.md).

The line says which view answered (the resolver's view name, never the path), the method, the status and the time
taken; nothing about who asked (no address, no user agent, no cookie, no query string). Probes (`/healthz`,
`/readyz`, `/metrics`) are counted but not logged, so a load balancer's probes do not drown the log.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable

from django.http import HttpRequest, HttpResponse

from . import metrics
from .logs import view_label

logger = logging.getLogger("amparo.request")
QUIET_VIEWS = frozenset({"healthz", "readyz", "metrics"})


class RequestObservabilityMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        started = time.perf_counter()
        response = self.get_response(request)
        seconds = time.perf_counter() - started
        view = view_label(request)
        method = request.method if request.method in metrics.METHODS else "other"
        metrics.observe_request(view, method, response.status_code, seconds)
        if view not in QUIET_VIEWS:
            logger.info(
                "request",
                extra={
                    "view": view,
                    "method": method,
                    "status": response.status_code,
                    "duration_ms": round(seconds * 1000, 1),
                },
            )
        return response
