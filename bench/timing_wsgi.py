"""Amparo's WSGI application wrapped to report its own time in a `Server-Timing: app;dur=<ms>` header.

Only for benchmarks (gunicorn loads `timing_wsgi:application` with `--pythonpath bench`). The time covers the whole
Django call: middleware, view, queries, template rendering and gzip; not the HTTP parsing or socket writes.
Django renders the body before returning, so the call's duration is the server's work for the request.

Run as a script (`python bench/timing_wsgi.py PORT`) it serves the same application with the standard library's
single-threaded server, the fallback when gunicorn is not installed.
"""

from __future__ import annotations

import os
import sys
import time
from collections.abc import Callable, Iterable
from types import TracebackType
from typing import Any

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "amparo.settings")

from amparo.wsgi import application as django_application

ExcInfo = tuple[type[BaseException], BaseException, TracebackType] | tuple[None, None, None]
StartResponse = Callable[..., Any]


def application(environ: dict[str, Any], start_response: StartResponse) -> Iterable[bytes]:
    captured: dict[str, Any] = {}

    def deferred_start_response(
        status: str, headers: list[tuple[str, str]], exc_info: ExcInfo | None = None
    ) -> Callable[[bytes], object]:
        captured.update(status=status, headers=headers, exc_info=exc_info)
        return lambda _data: None  # Django never uses write()

    started = time.perf_counter()
    body = django_application(environ, deferred_start_response)
    elapsed_ms = (time.perf_counter() - started) * 1000
    headers = [*captured["headers"], ("Server-Timing", f"app;dur={elapsed_ms:.3f}")]
    if captured["exc_info"] is not None:
        start_response(captured["status"], headers, captured["exc_info"])
    else:
        start_response(captured["status"], headers)
    return body


def _serve(port: int) -> None:
    from wsgiref.simple_server import WSGIRequestHandler, make_server

    class QuietHandler(WSGIRequestHandler):
        def log_message(self, format: str, *args: Any) -> None:
            pass

    with make_server("127.0.0.1", port, application, handler_class=QuietHandler) as server:
        server.serve_forever()


if __name__ == "__main__":
    _serve(int(sys.argv[1]))
