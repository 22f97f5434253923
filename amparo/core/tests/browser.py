"""Shared helpers for the real-browser tests: Debian's Chromium driven by Playwright, and a stand-in neutral site.

The test machine has no internet and Playwright's own browser downloads are never used: tests drive the system
Chromium. Start one browser per test module (it is the slow part) and a fresh context per test (cheap; each context
is a clean profile: no cookies, no cache, no history).
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

import pytest

if TYPE_CHECKING:
    from playwright.sync_api import Browser, BrowserContext, ConsoleMessage, Request, WebError

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
PHONE_WIDTH, PHONE_HEIGHT = 360, 640  # a cheap Android phone, in CSS pixels
PHONE: dict[str, Any] = {
    "viewport": {"width": PHONE_WIDTH, "height": PHONE_HEIGHT},
    "device_scale_factor": 2,
    "is_mobile": True,
    "has_touch": True,
}


@contextmanager
def chromium() -> Iterator[Browser]:
    """A headless Chromium for the duration of a module.

    Playwright's sync API keeps an asyncio event loop open in the main thread, which makes Django refuse the
    synchronous database calls of the test fixtures (loading the demo, flushing). Nothing in these tests is async,
    so Django's guard is lifted for as long as the browser runs, and only then.
    """
    from playwright.sync_api import sync_playwright

    if not Path(CHROMIUM).exists():
        pytest.fail(f"{CHROMIUM} is missing: run scripts/ensure-system-deps.sh --browser (never `playwright install`)")
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
        with sync_playwright() as playwright:
            browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
            try:
                yield browser
            finally:
                browser.close()


def origin(url: str) -> str:
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc}"


@dataclass
class Watch:
    """What a browser context did: every request it sent, CSP violations and script errors."""

    requests: list[str] = field(default_factory=list)
    console_errors: list[str] = field(default_factory=list)
    page_errors: list[str] = field(default_factory=list)

    def foreign_requests(self, own_origin: str) -> list[str]:
        return [url for url in self.requests if origin(url) != own_origin and not url.startswith("data:")]

    def csp_violations(self) -> list[str]:
        return [text for text in self.console_errors if "Content Security Policy" in text]


def watch(context: BrowserContext) -> Watch:
    seen = Watch()

    def on_request(request: Request) -> None:
        seen.requests.append(request.url)

    def on_console(message: ConsoleMessage) -> None:
        if message.type == "error":
            seen.console_errors.append(message.text)

    def on_error(error: WebError) -> None:
        seen.page_errors.append(str(error.error))

    context.on("request", on_request)
    context.on("console", on_console)
    context.on("weberror", on_error)
    return seen


# --- A stand-in for the neutral site the quick exit leads to (the real one is on the internet) --------------------

NEUTRAL_PAGE = b"""<!doctype html><html lang="es"><head><meta charset="utf-8"><title>El clima hoy</title></head>
<body><h1>El clima hoy</h1><p>Soleado, 31 grados.</p></body></html>"""


@dataclass
class NeutralSite:
    url: str
    visits: list[dict[str, str]] = field(default_factory=list)  # the request headers of each page visit

    def page_visits(self) -> list[dict[str, str]]:
        """Visits to the page itself (the browser also asks for /favicon.ico)."""
        return [visit for visit in self.visits if visit[":path"] == urlsplit(self.url).path]


@contextmanager
def neutral_site() -> Iterator[NeutralSite]:
    """A tiny weather page on another origin (127.0.0.1, while the live server is on localhost)."""
    visits: list[dict[str, str]] = []

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            visits.append({":path": self.path, **{name.lower(): value for name, value in self.headers.items()}})
            self.send_response(200)
            self.send_header("Content-Type", "text/html; charset=utf-8")
            self.send_header("Content-Length", str(len(NEUTRAL_PAGE)))
            self.end_headers()
            self.wfile.write(NEUTRAL_PAGE)

        def log_message(self, format: str, *args: object) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield NeutralSite(f"http://127.0.0.1:{server.server_address[1]}/clima", visits)
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=10)
