"""The public-page safety promises (DESIGN rules 8 and 9, Budgets), proved over real HTTP.

A survivor may open these pages on a cheap phone that an abuser checks. For every public page (see conftest.py) the
server must: set no cookie, forbid caching, send no referrer, load nothing from another site, keep the page light,
put the quick-exit link first, label every control, and never log the visitor's address.
"""

from __future__ import annotations

import gzip
import logging
import re
import threading
import urllib.error
import urllib.request
from collections import Counter
from dataclasses import dataclass
from email.message import Message
from html.parser import HTMLParser
from urllib.parse import urljoin

import pytest
from django.conf import settings
from django.core.servers.basehttp import WSGIRequestHandler, WSGIServer, get_internal_wsgi_application
from django.test import Client
from pytest_django.live_server_helper import LiveServer

from .conftest import PAGES, PATHWAY_SLUGS, SEARCH_WITH_RESULTS, WEIGHTS, PublicPage

PAGE_BUDGET_BYTES = 30 * 1024
FOCUSABLE = {"a", "button", "input", "select", "textarea", "summary"}
LABELLED_CONTROLS = {"input", "select", "textarea"}
UNLABELLED_INPUT_TYPES = {"hidden", "submit", "button", "reset", "image"}
# Directives of a CSP may only name the page's own origin, `data:` (images) and keywords that add no power.
CSP_ALLOWED_SOURCES = {"'self'", "'none'", "data:"}
RESULT_LINK = re.compile(r"^/[a-z]{2}/services/[0-9a-f-]{36}/$")


# --- Real HTTP --------------------------------------------------------------------------------------------------


@dataclass
class Fetched:
    url: str
    status: int
    headers: Message
    raw: bytes  # the body as transferred

    @property
    def body(self) -> bytes:
        if self.headers.get("Content-Encoding") == "gzip":
            return gzip.decompress(self.raw)
        return self.raw

    @property
    def text(self) -> str:
        return self.body.decode("utf-8")


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args: object, **kwargs: object) -> None:
        return None


_opener = urllib.request.build_opener(_NoRedirect)


def fetch(url: str, **headers: str) -> Fetched:
    """GET over a real socket, as a phone would (gzip accepted, nothing decoded for us, no redirect followed)."""
    headers = {"Accept-Encoding": "gzip", "User-Agent": "amparo-tests", **headers}
    request = urllib.request.Request(url, headers=headers)  # noqa: S310 - http URLs of the test servers only
    try:
        with _opener.open(request, timeout=30) as response:
            return Fetched(url, response.status, response.headers, response.read())
    except urllib.error.HTTPError as error:
        with error:
            return Fetched(url, error.code, error.headers, error.read())


# --- What a page's HTML says ------------------------------------------------------------------------------------


@dataclass
class Element:
    tag: str
    attrs: dict[str, str]
    in_label: bool = False
    in_langs_nav: bool = False


class PageStructure(HTMLParser):
    """The parts of an HTML page that the safety promises are about."""

    VOID = frozenset({"area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta", "source", "wbr"})

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.html_lang: str | None = None
        self.elements: list[Element] = []  # every element, in document order
        self.body: list[Element] = []  # the elements inside <body>
        self.body_children: list[Element] = []  # the direct children of <body>
        self.label_for: set[str] = set()
        self.inline_script: list[str] = []
        self._in_body = False
        self._depth = 0  # open non-void elements inside <body>
        self._labels = 0
        self._langs_nav_depth: int | None = None
        self._in_inline_script = False

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        values = {name: value or "" for name, value in attrs}
        if tag == "html":
            self.html_lang = values.get("lang")
        element = Element(tag, values, self._labels > 0, self._langs_nav_depth is not None)
        self.elements.append(element)
        if tag == "body":
            self._in_body = True
            return
        if tag == "label":
            self._labels += 1
            if values.get("for"):
                self.label_for.add(values["for"])
        if tag == "script" and "src" not in values:
            self._in_inline_script = True
        if not self._in_body:
            return
        self.body.append(element)
        if self._depth == 0:
            self.body_children.append(element)
        if tag == "nav" and "langs" in values.get("class", "").split():
            self._langs_nav_depth = self._depth
        if tag not in self.VOID:
            self._depth += 1

    def handle_endtag(self, tag: str) -> None:
        if tag == "label":
            self._labels -= 1
        if tag == "script":
            self._in_inline_script = False
        if tag == "body":
            self._in_body = False
        elif self._in_body and tag not in self.VOID:
            self._depth -= 1
            if tag == "nav" and self._langs_nav_depth == self._depth:
                self._langs_nav_depth = None

    def handle_data(self, data: str) -> None:
        if self._in_inline_script and data.strip():
            self.inline_script.append(data.strip())

    def first_child_subtree(self) -> list[Element]:
        """The first element of <body> and everything inside it."""
        start = self.body.index(self.body_children[0])
        end = self.body.index(self.body_children[1]) if len(self.body_children) > 1 else len(self.body)
        return self.body[start:end]

    def language_links(self) -> dict[str, str]:
        links = [e for e in self.body if e.in_langs_nav and e.tag == "a"]
        return {e.attrs.get("hreflang", ""): e.attrs.get("href", "") for e in links}

    def result_links(self) -> list[str]:
        return [e.attrs["href"] for e in self.body if e.tag == "a" and RESULT_LINK.match(e.attrs.get("href", ""))]


def parse(html: str) -> PageStructure:
    structure = PageStructure()
    structure.feed(html)
    structure.close()
    return structure


def subresources(structure: PageStructure) -> list[str]:
    """Every URL the browser fetches by itself to show the page (scripts, styles, images, icons, frames...)."""
    urls = []
    for element in structure.elements:
        a = element.attrs
        if element.tag == "link" and a.get("href"):
            urls.append(a["href"])
        elif element.tag in {"script", "img", "iframe", "source", "audio", "video", "embed", "track"} and a.get("src"):
            urls.append(a["src"])
        elif element.tag == "object" and a.get("data"):
            urls.append(a["data"])
        elif element.tag == "input" and a.get("type") == "image" and a.get("src"):
            urls.append(a["src"])
        for attribute in ("srcset", "imagesrcset"):
            for candidate in a.get(attribute, "").split(","):
                if candidate.strip():
                    urls.append(candidate.split()[0])
        if element.tag == "video" and a.get("poster"):
            urls.append(a["poster"])
    return urls


def is_same_origin_path(url: str) -> bool:
    """A relative URL rooted on this site: "/static/x.css", never "//cdn.example" or "https://...".

    The one exception is the empty data URL "data:," (the favicon link that stops browsers asking for
    /favicon.ico): it makes no request at all.
    """
    if url == "data:,":
        return True
    return url.startswith("/") and not url.startswith("//") and "\\" not in url


def csp_problems(header: str | None) -> list[str]:
    if not header:
        return ["no Content-Security-Policy header"]
    problems = []
    directives = {}
    for part in header.split(";"):
        words = part.split()
        if words:
            directives[words[0].lower()] = words[1:]
    for name, sources in directives.items():
        for source in sources:
            if source.lower().startswith("'unsafe-"):
                problems.append(f"CSP {name} allows {source}")
            elif source not in CSP_ALLOWED_SOURCES:
                problems.append(f"CSP {name} allows a source other than this site: {source}")
        if name in {"script-src", "style-src", "default-src"} and "data:" in sources:
            problems.append(f"CSP {name} allows data: URLs")
    for required in ("default-src", "script-src", "style-src", "frame-ancestors", "object-src", "base-uri"):
        if required not in directives:
            problems.append(f"CSP has no {required} directive")
    return problems


def structure_problems(page: PublicPage, structure: PageStructure) -> list[str]:
    problems = []
    if structure.html_lang != page.lang:
        problems.append(f'<html lang="{structure.html_lang}">, expected "{page.lang}" from the URL prefix')

    # The quick-exit link is the first thing in the body and the first thing that takes focus.
    exits = [e for e in structure.body if e.attrs.get("id") == "quick-exit"]
    if len(exits) != 1:
        problems.append(f"{len(exits)} quick-exit links, expected exactly one")
    else:
        exit_link = exits[0]
        if exit_link.tag != "a" or exit_link.attrs.get("href") != settings.QUICK_EXIT_URL:
            problems.append(f"the quick exit is not a plain link to QUICK_EXIT_URL: {exit_link}")
        if not any(e is exit_link for e in structure.first_child_subtree()):
            problems.append(f"the quick exit is not inside the first element of <body> ({structure.body_children[0]})")
        focusable = [e for e in structure.body if is_focusable(e)]
        if not focusable or focusable[0] is not exit_link:
            problems.append(f"the first focusable element is {focusable[0] if focusable else None}, not the quick exit")

    # Nothing from another site; nothing inline that the CSP would block (and so break the page).
    for url in subresources(structure):
        if not is_same_origin_path(url):
            problems.append(f"a subresource is not a same-origin path: {url}")
    for element in structure.elements:
        if element.tag == "style":
            problems.append("an inline <style> element (blocked by the CSP)")
        if "style" in element.attrs:
            problems.append(f"an inline style attribute on <{element.tag}> (blocked by the CSP)")
        handlers = [name for name in element.attrs if name.startswith("on")]
        if handlers:
            problems.append(f"inline event handlers {handlers} on <{element.tag}> (blocked by the CSP)")
        if element.tag == "form" and element.attrs.get("action") and not is_same_origin_path(element.attrs["action"]):
            problems.append(f"a form sends data elsewhere: {element.attrs['action']}")
    if structure.inline_script:
        problems.append(f"inline scripts (blocked by the CSP): {structure.inline_script}")

    # Every control has a label, every image a text alternative, every id is unique (labels point at ids).
    for element in structure.body:
        if element.tag in LABELLED_CONTROLS and element.attrs.get("type", "text") not in UNLABELLED_INPUT_TYPES:
            labelled = (
                element.in_label
                or element.attrs.get("id", "") in structure.label_for
                or element.attrs.get("aria-label", "").strip()
                or element.attrs.get("aria-labelledby", "").strip()
            )
            if not labelled:
                problems.append(f"an unlabelled control: <{element.tag} {element.attrs}>")
        if element.tag == "img" and "alt" not in element.attrs:
            problems.append(f"an image without alt: {element.attrs.get('src')}")
    duplicated = [i for i, n in Counter(e.attrs["id"] for e in structure.elements if "id" in e.attrs).items() if n > 1]
    if duplicated:
        problems.append(f"duplicated ids: {duplicated}")

    # Search pages: results appear when they should, and only then.
    cards = [e for e in structure.body if e.tag == "li" and "card" in e.attrs.get("class", "").split()]
    if page.results is True and not (cards and structure.result_links()):
        problems.append("no result cards on a search that should find services")
    if page.results is False and cards:
        problems.append(f"{len(cards)} result cards on a search that should find nothing")
    return problems


def is_focusable(element: Element) -> bool:
    tabindex = element.attrs.get("tabindex")
    if tabindex is not None and tabindex.strip().startswith("-"):
        return False
    if element.tag == "a":
        return "href" in element.attrs
    if element.tag == "input" and element.attrs.get("type") == "hidden":
        return False
    return element.tag in FOCUSABLE or tabindex is not None


def language_link_problems(page: PublicPage, structure: PageStructure) -> list[str]:
    """The switcher keeps the page (path and query string) and only changes the language prefix."""
    links = structure.language_links()
    current = [e for e in structure.body if e.in_langs_nav and e.tag == "strong"]
    problems = []
    if not current or current[0].attrs.get("lang") != page.lang:
        problems.append(f"the language switcher does not mark {page.lang} as current")
    rest = page.path[len(f"/{page.lang}") :]
    for code, _name in settings.LANGUAGES:
        if code == page.lang:
            if code in links:
                problems.append(f"the switcher links to the current language {code}")
            continue
        expected = f"/{code}{rest}"
        if links.get(code) != expected:
            problems.append(f"the {code} switcher link is {links.get(code)!r}, expected {expected!r}")
    return problems


# --- Every public page, one by one --------------------------------------------------------------------------------


def page_problems(base_url: str, public_page: PublicPage) -> tuple[list[str], str, int]:
    """Every promise of a public page, checked over real HTTP: what is wrong (empty: nothing), the page's text, and
    what it weighs with everything it loads, as transferred (compressed). Other apps' public pages (the figures, the
    feedback form) are checked with this too."""
    url = base_url + public_page.path
    response = fetch(url)
    problems: list[str] = []

    if response.status != public_page.status:
        problems.append(f"status {response.status}, expected {public_page.status}")
    # Rule 8: no cookie, neither for a first visit nor when the phone still carries old cookies.
    if response.headers.get_all("Set-Cookie"):
        problems.append(f"Set-Cookie on a first visit: {response.headers.get_all('Set-Cookie')}")
    with_cookies = fetch(url, Cookie="sessionid=stale; csrftoken=stale; django_language=en")
    if with_cookies.headers.get_all("Set-Cookie"):
        problems.append(f"Set-Cookie when old cookies are sent: {with_cookies.headers.get_all('Set-Cookie')}")
    if parse(with_cookies.text).html_lang != public_page.lang:
        problems.append("a django_language cookie changed the page language")
    # No copy kept by the browser or a proxy, no referrer leaked when leaving, strict headers (rule 9).
    if response.headers.get("Cache-Control") != "no-store":
        problems.append(f"Cache-Control is {response.headers.get('Cache-Control')!r}, expected 'no-store'")
    if response.headers.get("Referrer-Policy") != "no-referrer":
        problems.append(f"Referrer-Policy is {response.headers.get('Referrer-Policy')!r}")
    if response.headers.get("X-Content-Type-Options") != "nosniff":
        problems.append("no X-Content-Type-Options: nosniff")
    problems += csp_problems(response.headers.get("Content-Security-Policy"))
    if response.headers.get("Content-Encoding") != "gzip":
        problems.append(f"the HTML was not compressed (Content-Encoding {response.headers.get('Content-Encoding')})")
    if not response.headers.get("Content-Type", "").startswith("text/html; charset=utf-8"):
        problems.append(f"Content-Type {response.headers.get('Content-Type')}")

    structure = parse(response.text)
    problems += structure_problems(public_page, structure)
    if public_page.key != "pathway-card":  # the A7 pocket card is printed: it has no header, footer or switcher
        problems += language_link_problems(public_page, structure)

    # Budget: the page and everything it loads, as transferred, compressed.
    transferred = len(response.raw)
    recompressed = len(gzip.compress(response.body, 6))
    for resource in sorted(set(subresources(structure))):
        if not is_same_origin_path(resource) or resource == "data:,":
            continue  # reported above, or a data URL that makes no request
        asset = fetch(urljoin(url, resource))
        if asset.status != 200:
            problems.append(f"{resource} answered {asset.status}")
        if asset.headers.get_all("Set-Cookie"):
            problems.append(f"{resource} sets a cookie")
        transferred += len(asset.raw)
        recompressed += len(gzip.compress(asset.body, 6))
    WEIGHTS[public_page.key] = (transferred, len(response.raw), recompressed)
    if transferred > PAGE_BUDGET_BYTES:
        problems.append(f"{transferred} bytes transferred, over the {PAGE_BUDGET_BYTES}-byte budget")
    return problems, response.text, transferred


def test_public_page_keeps_its_promises(live_server: LiveServer, public_page: PublicPage) -> None:
    problems, _text, _weight = page_problems(live_server.url, public_page)
    assert not problems, f"{public_page.path}:\n  " + "\n  ".join(problems)


def test_the_audit_can_fail() -> None:
    """The checks above find what they look for: a page breaking every promise is caught on every count."""
    bad = PublicPage("bad", "/es/services/?q=x", 200, "es", results=True)
    html = (
        '<!doctype html><html lang="en"><head><link rel="stylesheet" href="https://cdn.example.org/x.css">'
        '<script src="//cdn.example.org/x.js"></script><style>p{}</style><script>alert(1)</script></head>'
        '<body><header><a href="/es/">Home</a></header><div><a id="quick-exit" href="/elsewhere">Exit</a></div>'
        '<nav class="langs"><strong lang="es">Español</strong><a hreflang="en" href="/en/">English</a></nav>'
        '<form action="https://evil.example/"><input name="q" id="q"><select name="x" id="q"></select></form>'
        '<img src="/static/x.png"><p style="color:red" onclick="x()">text</p></body></html>'
    )
    structure = parse(html)
    found = "\n".join(structure_problems(bad, structure) + language_link_problems(bad, structure))
    for expected in (
        '<html lang="en">',
        "not a plain link to QUICK_EXIT_URL",
        "not inside the first element",
        "first focusable element",
        "https://cdn.example.org/x.css",
        "//cdn.example.org/x.js",
        "inline <style>",
        "inline style attribute",
        "inline event handlers",
        "inline scripts",
        "form sends data elsewhere",
        "unlabelled control: <input",
        "unlabelled control: <select",
        "image without alt",
        "duplicated ids",
        "no result cards",
        "the en switcher link is '/en/'",
        "the pt switcher link is None",
    ):
        assert expected in found, f"the audit missed {expected!r} in:\n{found}"
    csp = "\n".join(csp_problems("default-src 'self' https://cdn.example.org; script-src 'self' 'unsafe-inline'"))
    for expected in ("https://cdn.example.org", "'unsafe-inline'", "no style-src", "no frame-ancestors"):
        assert expected in csp
    assert csp_problems(None) == ["no Content-Security-Policy header"]
    assert not is_same_origin_path("//cdn.example.org/x.js")
    assert not is_same_origin_path("https://cdn.example.org/x.js")


def test_the_catalogue_covers_every_published_pathway(demo_directory: None) -> None:
    from amparo.pathways.models import Pathway

    published = set(Pathway.objects.filter(published=True).values_list("slug", flat=True))
    assert published == set(PATHWAY_SLUGS), "conftest.PAGES must list every published pathway"
    assert len(PAGES) > len(PATHWAY_SLUGS) + 10


# --- The language switcher, followed ------------------------------------------------------------------------------


def test_language_switcher_keeps_the_search(live_server: LiveServer, demo_directory: None) -> None:
    spanish = fetch(f"{live_server.url}/es/services/?{SEARCH_WITH_RESULTS}")
    structure = parse(spanish.text)
    links = structure.language_links()
    assert set(links) == {"en", "pt"}
    assert structure.result_links()
    for code, href in links.items():
        assert href == f"/{code}/services/?{SEARCH_WITH_RESULTS}"
        translated = fetch(live_server.url + href)
        assert translated.status == 200
        other = parse(translated.text)
        assert other.html_lang == code
        # The same search with the same results: only the language changed.
        assert [link[3:] for link in other.result_links()] == [link[3:] for link in structure.result_links()]


def test_the_bare_address_redirects_without_cookies(client: Client) -> None:
    response = client.get("/", HTTP_ACCEPT_LANGUAGE="pt-BR,pt;q=0.9")
    assert response.status_code == 302
    assert response["Location"] == "/pt/"
    assert not response.cookies
    assert response["Cache-Control"] == "no-store"
    assert response["Referrer-Policy"] == "no-referrer"


# --- Rule 8: no IP address in any log ----------------------------------------------------------------------------


class HandledRecords:
    """Every log record that reaches any handler (console, file, pytest's, last resort), in any thread.

    Each record is rendered when it is handled, as a handler would see it: its message, exception and every extra
    attribute (a request, a socket...), so nothing a handler could write escapes the check.
    """

    def __init__(self, monkeypatch: pytest.MonkeyPatch) -> None:
        self.records: list[logging.LogRecord] = []
        self.rendered: list[str] = []
        original = logging.Handler.handle
        lock = threading.Lock()

        def handle(handler: logging.Handler, record: logging.LogRecord) -> object:
            text = " ".join([record.getMessage(), repr(record.exc_info or ""), repr(vars(record))])
            with lock:
                self.records.append(record)
                self.rendered.append(f"{record.name} {record.levelname}: {text}")
            return original(handler, record)

        monkeypatch.setattr(logging.Handler, "handle", handle)

    def containing(self, *needles: str) -> list[str]:
        return [text[:300] for text in self.rendered if any(needle in text for needle in needles)]


def test_no_ip_address_is_logged_even_at_debug_level(
    public_pages: list[PublicPage], caplog: pytest.LogCaptureFixture, monkeypatch: pytest.MonkeyPatch
) -> None:
    address, forwarded = "203.0.113.57", "198.51.100.23"  # documentation ranges, easy to spot
    for logger in ("", "django", "django.request", "django.security", "django.template", "amparo"):
        caplog.set_level(logging.DEBUG, logger=logger)
    handled = HandledRecords(monkeypatch)
    client = Client(
        REMOTE_ADDR=address, HTTP_X_FORWARDED_FOR=forwarded, HTTP_X_REAL_IP=forwarded, HTTP_ACCEPT_ENCODING="gzip"
    )
    for page in public_pages:
        assert client.get(page.path).status_code == page.status, page.path

    leaks = handled.containing(address, forwarded)
    assert not leaks, f"the visitor's address was logged: {leaks}"
    # The capture is not blind: it saw the 400 and 404 pages being logged (without the address).
    warnings = [r.getMessage() for r in handled.records if r.name == "django.request" and r.levelno == logging.WARNING]
    assert any(m.startswith("Not Found: /es/no-such-page/") for m in warnings), warnings
    assert any(m.endswith(": /es/routes/sexual-violence-72h/") for m in warnings), warnings


def serve_with_runserver_handler(*paths: str) -> list[int]:
    """Request `paths` from Django's development server (`make demo`), and wait until it has logged them."""
    server = WSGIServer(("127.0.0.1", 0), WSGIRequestHandler, ipv6=False)
    server.set_app(get_internal_wsgi_application())
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        return [fetch(f"http://127.0.0.1:{server.server_address[1]}{path}").status for path in paths]
    finally:
        server.shutdown()  # returns once the request being handled (and logged) is finished
        server.server_close()
        thread.join(timeout=10)


def test_the_development_server_logs_no_ip_address(
    monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    """runserver's request log carries the client's socket (and so its address): settings must silence it."""
    handled = HandledRecords(monkeypatch)
    assert serve_with_runserver_handler("/es/safety/", "/es/no-such-page/") == [200, 404]
    assert not handled.containing("127.0.0.1")

    # Control: were django.server not silenced, the same requests would put the address in the logs.
    caplog.set_level(logging.INFO, logger="django.server")
    assert serve_with_runserver_handler("/es/no-such-page/") == [404]
    assert handled.containing("127.0.0.1"), "the capture cannot see the development server's log"
