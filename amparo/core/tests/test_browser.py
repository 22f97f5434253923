"""The public pages in a real Chromium: quick exit, JS off, no cookies, no third parties, a small phone, keyboard.

Run with `make test-browser` (pytest -m browser). The server is pytest-django's live server (real HTTP, real
database with the demo directory); the browser is Debian's Chromium, headless.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest
from django.utils import translation
from django.utils.translation import gettext
from playwright.sync_api import Browser, BrowserContext, Geolocation, Page
from pytest_django.fixtures import Settings as SettingsWrapper
from pytest_django.live_server_helper import LiveServer

from .browser import PHONE, PHONE_HEIGHT, PHONE_WIDTH, NeutralSite, chromium, neutral_site, origin, watch
from .conftest import CUCUTA, PublicPage

pytestmark = pytest.mark.browser

SCREENSHOT = "/tmp/amparo-search.png"  # noqa: S108 - a file for people to look at, not a secret


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    with chromium() as launched:
        yield launched


NewContext = Callable[..., BrowserContext]


@pytest.fixture
def new_context(browser: Browser) -> Iterator[NewContext]:
    """Opens fresh browser contexts (clean profiles) and closes them after the test, pass or fail."""
    opened: list[BrowserContext] = []

    def open_context(**options: Any) -> BrowserContext:
        opened.append(browser.new_context(**options))
        return opened[-1]

    yield open_context
    for context in opened:
        context.close()


@pytest.fixture(scope="module")
def neutral() -> Iterator[NeutralSite]:
    with neutral_site() as site:
        yield site


@dataclass
class Site:
    url: str
    neutral: NeutralSite
    pages: list[PublicPage]

    def __call__(self, path: str) -> str:
        return self.url + path


@pytest.fixture
def site(
    live_server: LiveServer, public_pages: list[PublicPage], settings: SettingsWrapper, neutral: NeutralSite
) -> Site:
    """The live server with the demo directory, whose quick exit leads to the local neutral page."""
    settings.QUICK_EXIT_URL = neutral.url
    neutral.visits.clear()
    return Site(live_server.url, neutral, public_pages)


def spanish(message: str) -> str:
    """What a Spanish speaker reads on the page for a source string (whether or not it is translated yet)."""
    with translation.override("es"):
        return gettext(message)


def kilometres(text: str) -> list[float]:
    """The distances shown in a text, in any of the page languages ("0,4 km", "1.5 km", "215 km")."""
    return [float(number.replace(",", ".")) for number in re.findall(r"(\d+(?:[.,]\d+)?) km\b", text)]


def cucuta_label() -> str:
    from amparo.directory.models import Place

    place = Place.objects.select_related("parent").get(pcode=CUCUTA)
    assert place.parent is not None
    return f"{place.name} ({place.parent.name})"


# --- a. Quick exit --------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("how", ["click", "escape-twice", "tab-enter"])
def test_quick_exit_leaves_no_way_back(new_context: NewContext, site: Site, how: str) -> None:
    context = new_context()
    page = context.new_page()
    home, pathway = site("/es/"), site(f"/es/routes/sexual-violence-72h/?place={CUCUTA}")
    page.goto(home)
    page.goto(pathway)
    if how == "click":
        page.click("#quick-exit")
    elif how == "escape-twice":
        page.keyboard.press("Escape")
        page.keyboard.press("Escape")
    else:
        page.keyboard.press("Tab")
        page.keyboard.press("Enter")
    page.wait_for_url(site.neutral.url)
    assert page.title() == "El clima hoy"
    # The neutral site does not learn where the person came from.
    visits = site.neutral.page_visits()
    assert len(visits) == 1
    assert "referer" not in visits[0], visits[0]

    # Back does not show the pathway again: the exit replaced it in the history.
    page.go_back()
    assert page.url != pathway
    assert page.url == home


def test_quick_exit_works_without_javascript(new_context: NewContext, site: Site) -> None:
    context = new_context(java_script_enabled=False)
    page = context.new_page()
    page.goto(site(f"/es/routes/urgent-protection/?place={CUCUTA}"))
    page.click("#quick-exit")
    page.wait_for_url(site.neutral.url)
    assert page.title() == "El clima hoy"
    visits = site.neutral.page_visits()
    assert len(visits) == 1
    assert "referer" not in visits[0], visits[0]


# --- b. JavaScript off: the newcomer finds a service --------------------------------------------------------------


@pytest.mark.parametrize("how", ["need", "words"])
def test_newcomer_finds_a_trans_affirming_service_without_id_with_js_off(
    new_context: NewContext, site: Site, how: str
) -> None:
    from amparo.directory.taxonomy import INCLUSION_FACT_BY_CODE, SERVICE_TYPE_BY_CODE

    context = new_context(java_script_enabled=False, locale="es-CO")
    page = context.new_page()
    page.goto(site("/es/services/"))
    # Nothing that needs JavaScript is offered without it.
    assert page.locator("#use-location").is_hidden()
    if how == "need":
        need = spanish(str(SERVICE_TYPE_BY_CODE["mental-health"].name))
        page.get_by_label(spanish("Type of service")).select_option(label=need)
    else:
        page.get_by_label(spanish("What do you need?")).fill("psicologa")
    page.get_by_label(spanish("Where are you?")).select_option(label=cucuta_label())
    page.get_by_label(spanish(str(INCLUSION_FACT_BY_CODE["trans_affirming"].label)), exact=True).check()
    page.get_by_label(spanish(str(INCLUSION_FACT_BY_CODE["no_id_required"].label)), exact=True).check()
    page.get_by_role("button", name=spanish("Search")).click()

    page.wait_for_url(re.compile(r"/es/services/\?.*place=" + CUCUTA))
    assert "fact=trans_affirming" in page.url
    assert "fact=no_id_required" in page.url
    cards = page.locator("main li.card")
    assert cards.count() >= 1, page.content()
    first = cards.first
    name = first.locator("h3 a").inner_text()
    meta = first.locator("p.meta").first.inner_text()
    distances = kilometres(meta)
    assert distances and distances[0] <= 30, f"the first result is not near Cúcuta: {meta}"
    municipality = meta.split(" · ")[1]

    first.locator("h3 a").click()
    page.wait_for_url(re.compile(r"/es/services/[0-9a-f-]{36}/$"))
    assert page.locator("h1").inner_text() == name
    text = page.locator("main").inner_text()
    assert spanish("Trans-affirming: they use the name you use.") in text
    assert spanish("No ID document required.") in text
    assert f"{municipality} (Norte de Santander)" in text


def test_pathway_shows_the_nearest_services_with_js_off(new_context: NewContext, site: Site) -> None:
    context = new_context(java_script_enabled=False, locale="es-CO")
    page = context.new_page()
    page.goto(site("/es/routes/sexual-violence-72h/"))
    assert page.locator("li.step").count() >= 3
    assert page.locator("li.step li.card").count() == 0  # no place chosen yet

    page.get_by_label(spanish("Where are you? We will show the nearest services.")).select_option(label=cucuta_label())
    page.get_by_role("button", name=spanish("Show services near me")).click()

    page.wait_for_url(re.compile(r"/es/routes/sexual-violence-72h/\?place=" + CUCUTA + "$"))
    heading = spanish("Nearest services to %(place)s") % {"place": "Cúcuta"}
    steps_with_services = page.locator("li.step", has=page.locator("li.card"))
    assert steps_with_services.count() >= 1
    assert heading in steps_with_services.first.inner_text()
    distances = kilometres(" ".join(page.locator("li.step li.card").all_inner_texts()))
    assert distances and max(distances) <= 60, distances
    # The printable version and the pocket card keep the place.
    assert page.locator(f'a[href$="/print/?place={CUCUTA}"]').count() == 1
    assert page.locator(f'a[href$="/card/?place={CUCUTA}"]').count() == 1


# --- c. No cookies, nothing from other sites, nothing the CSP had to block -------------------------------------------


def test_public_pages_leave_no_cookie_and_contact_no_one_else(new_context: NewContext, site: Site) -> None:
    context = new_context()
    seen = watch(context)
    page = context.new_page()
    for public_page in site.pages:
        response = page.goto(site(public_page.path))
        assert response is not None and response.status == public_page.status, public_page.path
        assert page.evaluate("document.cookie") == "", public_page.path
    # The search form, submitted as a person would.
    page.goto(site("/es/services/"))
    page.get_by_label(spanish("What do you need?")).fill("denuncia")
    page.get_by_role("button", name=spanish("Search")).click()
    page.wait_for_url(re.compile(r"\?q=denuncia"))

    assert context.cookies() == []
    assert page.evaluate("window.localStorage.length + window.sessionStorage.length") == 0
    assert len(seen.requests) > len(site.pages)
    assert seen.foreign_requests(origin(site.url)) == []
    assert seen.csp_violations() == []
    # The only errors in the console are the 400 and 404 pages of the catalogue themselves.
    expected = "Failed to load resource: the server responded with a status of 4"
    assert [text for text in seen.console_errors if not text.startswith(expected)] == []
    assert seen.page_errors == []


def test_use_my_location_leaves_only_a_rough_position_in_the_history(new_context: NewContext, site: Site) -> None:
    """The search URL stays in the phone's history: it must not say where the person was, to the metre."""
    here: Geolocation = {"latitude": 7.893912, "longitude": -72.507834}  # a street corner in Cúcuta
    context = new_context(geolocation=here, permissions=["geolocation"], locale="es-CO")
    page = context.new_page()
    page.goto(site("/es/services/"))
    page.get_by_role("button", name=spanish("Use my location")).click()
    page.wait_for_url(re.compile(r"/es/services/\?.*lat="))

    query = parse_qs(urlsplit(page.url).query)
    for name in ("lat", "lon"):
        decimals = query[name][0].partition(".")[2]
        assert len(decimals) <= 2, f"{name}={query[name][0]} pins the person to within metres"
    assert abs(float(query["lat"][0]) - here["latitude"]) <= 0.01
    assert abs(float(query["lon"][0]) - here["longitude"]) <= 0.01
    # The rough position is still good enough to list the nearest services first.
    distances = kilometres(page.locator("main li.card p.meta").first.inner_text())
    assert distances and distances[0] <= 5


# --- d. A small phone: the quick exit is always on screen ------------------------------------------------------------


def test_quick_exit_stays_on_screen_on_a_small_phone(new_context: NewContext, site: Site) -> None:
    context = new_context(**PHONE)
    page = context.new_page()
    width, height = PHONE_WIDTH, PHONE_HEIGHT
    problems: list[str] = []
    scrolled = 0
    for public_page in site.pages:
        page.goto(site(public_page.path))
        if public_page.key == "search-results":
            page.screenshot(path=SCREENSHOT)
            page.screenshot(path=SCREENSHOT.replace(".png", "-full.png"), full_page=True)
        problems += [f"{public_page.key}: {p}" for p in _exit_problems(page, width, height, "on arrival")]
        overflow = page.evaluate("document.documentElement.scrollWidth")
        if overflow > width:
            problems.append(f"{public_page.key}: the page is {overflow}px wide on a {width}px screen")
        page.evaluate("window.scrollTo(0, document.documentElement.scrollHeight)")
        if page.evaluate("window.scrollY") > 0:
            scrolled += 1
            problems += [f"{public_page.key}: {p}" for p in _exit_problems(page, width, height, "after scrolling")]
    assert not problems, "\n".join(problems)
    assert scrolled >= len(site.pages) // 2, "too few pages were long enough to test scrolling"


def _exit_problems(page: Page, width: int, height: int, when: str) -> list[str]:
    link = page.locator("#quick-exit")
    if not link.is_visible():
        return [f"the quick exit is not visible {when}"]
    box = link.bounding_box()
    if box is None:
        return [f"the quick exit has no box {when}"]
    problems = []
    if box["y"] < 0 or box["y"] + box["height"] > height or box["x"] < 0 or box["x"] + box["width"] > width:
        problems.append(f"the quick exit is off screen {when}: {box}")
    if box["height"] < 24 or box["width"] < 24:  # WCAG 2.2 target size (minimum)
        problems.append(f"the quick exit is too small to tap {when}: {box}")
    on_top = page.evaluate(
        "([x, y]) => { const e = document.elementFromPoint(x, y); return !!(e && e.closest('#quick-exit')); }",
        [box["x"] + box["width"] / 2, box["y"] + box["height"] / 2],
    )
    if not on_top:
        problems.append(f"something covers the quick exit {when}")
    return problems


# --- e. Keyboard: the first Tab reaches the quick exit ---------------------------------------------------------------


def test_first_tab_focuses_the_quick_exit(new_context: NewContext, site: Site) -> None:
    context = new_context()
    page = context.new_page()
    wrong = []
    for public_page in site.pages:
        page.goto(site(public_page.path))
        page.keyboard.press("Tab")
        focused = page.evaluate("document.activeElement && document.activeElement.id")
        if focused != "quick-exit":
            wrong.append(f"{public_page.key}: {focused!r}")
    assert not wrong, wrong
