"""Issue 16 in a real Chromium (make test-browser): the staff dashboard, the public figures and a situation report,
over real HTTP (pytest-django's live server, real database) in Debian's Chromium driven by Playwright.

1. The dashboard `/staff/insights/`: an analyst or a coordinator signs in with her password and the code of her
   authenticator app, with JavaScript off and on; the filters work by sending the form; every chart is an
   `<svg role="img">` with a `<title>` and a `<desc>` beside a real `<table>`; every count on the page is the
   statistics layer's, and a hidden count reads as hidden, never as 0; at phone width nothing but the tables'
   `.scroll` boxes is wider than the screen; printed, the charts and tables stay and the navigation goes; nothing is
   asked of another site; another organisation's member sees none of the figures; a bad filter is a form message.
2. The public figures `/<lang>/figures/`: with JavaScript off, in es/en/pt, an approved publication shows its
   tables, period, sources and method note; no cookie, nothing from another origin, under 30 KB with its CSS; the
   quick exit is there and leaves; the HXL CSV link downloads a file with its hashtag row.
3. A situation report: a coordinator asks for one with the button, the real task worker builds it, the page says
   so and its link downloads a real PDF.

Data is written to the database per test (a flush follows every transactional test, so nothing is shared across
tests but the browser); each test signs in once and copies the signed-in state to its other browser contexts.
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Callable, Iterator
from datetime import date
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest
from django.core.management import call_command
from django.utils import translation
from django.utils.formats import date_format
from django.utils.translation import gettext, ngettext
from django_otp.plugins.otp_totp.models import TOTPDevice
from playwright.sync_api import Browser, BrowserContext, Page, Request
from pytest_django.fixtures import Settings as SettingsWrapper
from pytest_django.live_server_helper import LiveServer

from amparo.accounts.models import Organization, User
from amparo.accounts.roles import Role
from amparo.accounts.tests.test_auth_http import code_for
from amparo.cases.models import TraffickingAlert
from amparo.core.tests.browser import PHONE, chromium, neutral_site, origin, watch
from amparo.core.tests.test_public_pages import PAGE_BUDGET_BYTES
from amparo.insights import services
from amparo.insights.charts import chart_for
from amparo.insights.dashboard_forms import default_period
from amparo.insights.display import hidden_text
from amparo.insights.models import Publication, ReportStatus, SituationReport
from amparo.insights.statistics import Scope, dashboard_tables
from amparo.insights.tables import StatTable
from amparo.safechannel.tests.conftest import PASSWORD, make_staff

from . import world
from .publication_world import last_whole_month, make_world, record_consented_cases
from .report_world import add_cases, build_world

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

DASHBOARD = "/staff/insights/"
LAPTOP = {"width": 1280, "height": 800}
NewContext = Callable[..., BrowserContext]


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    with chromium() as launched:
        yield launched


@pytest.fixture
def new_context(browser: Browser) -> Iterator[NewContext]:
    """Fresh browser contexts (clean profiles), closed after the test, pass or fail."""
    opened: list[BrowserContext] = []

    def open_context(**options: Any) -> BrowserContext:
        options.setdefault("locale", "es-CO")
        opened.append(browser.new_context(**options))
        opened[-1].set_default_timeout(15_000)
        return opened[-1]

    yield open_context
    for context in opened:
        context.close()


def say(language: str, message: str) -> str:
    """What a reader of `language` sees for a source string."""
    with translation.override(language):
        return gettext(message)


def sign_in(context: BrowserContext, base: str, user: User, path: str) -> Page:
    """Password, then the code of her authenticator app: the real two-factor sign-in, ending on `path`."""
    page = context.new_page()
    page.goto(f"{base}/staff/login/?next={path}")
    page.fill("input[name=email]", user.email)
    page.fill("input[name=password]", PASSWORD)
    page.locator("main form button[type=submit]").click()
    page.fill("input[name=token]", code_for(TOTPDevice.objects.get(user=user)))
    page.locator("main form button[type=submit]").click()
    page.wait_for_url(re.compile(re.escape(path) + "$"))
    return page


def signed_in_copy(new_context: NewContext, signed_in: BrowserContext, **options: Any) -> BrowserContext:
    """Another context with the same session (a second sign-in in the same 30 s would reuse the one-time code)."""
    return new_context(storage_state=signed_in.storage_state(), **options)


# --- The dashboard's world -------------------------------------------------------------------------------------------


def dashboard_world() -> dict[str, Any]:
    """Red Uno: 12 trans women in Cúcuta, 3 cis women in Bogotá (under the threshold of 5: hidden, and with them
    what would give them away), 7 non-binary people in rural Toledo; a national agreement for Colombia. Otra Red:
    one case of her own, in Quito. Their analysts and coordinators have a confirmed authenticator device."""
    places = world.places()
    org = Organization.objects.create(name="Red Uno (navegador)")
    other = Organization.objects.create(name="Otra Red (navegador)")
    on = world.days_ago(20)
    world.people(org, places.cucuta, 12, on=on)
    world.people(org, places.bogota, 3, on=on, gender="cis_woman")
    world.people(org, places.rural, 7, on=on, gender="non_binary", nationality="CO", status="national")
    world.person(other, places.quito, on=on, nationality="EC", status="national")
    world.agreement(org, "country", "CO")
    for _ in range(6):
        TraffickingAlert.objects.create(place=places.cucuta, gbv_type="rape", indicators=["deception"], raised_on=on,
                                        statistics_consented=True, reporting_organization=org)  # fmt: skip
    return {
        "org": org,
        "other": other,
        "analyst": make_staff("analista@uno.example.org", org, Role.ANALYST, with_key=False),
        "coordinator": make_staff("coordinadora@uno.example.org", org, Role.COORDINATOR, with_key=False),
        "outsider": make_staff("analista@otra.example.org", other, Role.ANALYST, with_key=False),
    }


def expected_tables(scope: Scope, start: date, end: date) -> dict[str, StatTable]:
    """The statistics layer's tables for a view, as the page must show them (keyed by the figure's HTML id)."""
    from django.utils.text import slugify

    tables = dashboard_tables(scope=scope, start=start, end=end, language="es", include_alerts=False)
    return {slugify(t.key): t for t in tables}


CHARTS = """() => [...document.querySelectorAll("main figure.stat")].map((figure) => {
    const charts = figure.querySelectorAll("svg[role=img]");
    const chart = charts[0];
    const title = chart?.querySelector(":scope > title");
    const desc = chart?.querySelector(":scope > desc");
    const tables = figure.querySelectorAll(".scroll > table.counts");
    return {
        id: figure.id,
        charts: charts.length,
        title: title?.textContent.trim() ?? "",
        desc: desc?.textContent.trim() ?? "",
        labelledBy: chart?.getAttribute("aria-labelledby") ?? "",
        ids: `${title?.id ?? ""} ${desc?.id ?? ""}`,
        tables: tables.length,
        headers: tables[0]?.querySelectorAll("thead th[scope=col]").length ?? 0,
        shown: !!chart && chart.checkVisibility() && tables.length === 1 && tables[0].checkVisibility(),
    };
})"""


def figure_problems(page: Page) -> list[str]:
    """Every figure of the dashboard: one accessible SVG chart (role img, labelled by its title and its
    description) beside a real table of counts, both shown."""
    problems = []
    for f in page.evaluate(CHARTS):
        name = f["id"]
        if f["charts"] != 1:
            problems.append(f"{name}: {f['charts']} charts")
        if not f["title"] or not f["desc"]:
            problems.append(f"{name}: a chart without a title or a description")
        if f["labelledBy"] != f["ids"]:
            problems.append(
                f"{name}: the chart is labelled by {f['labelledBy']!r}, not its title and desc {f['ids']!r}"
            )
        if f["tables"] != 1 or f["headers"] < 2:
            problems.append(f"{name}: no table of counts beside the chart")
        if not f["shown"]:
            problems.append(f"{name}: the chart or its table is not shown")
    return problems


READ_FIGURES = """(selector) => [...document.querySelectorAll(selector)].map((figure) => {
    const cells = (row) => [...row.querySelectorAll("td")].map(
        (td) => [td.textContent.trim(), td.querySelector("span.hidden-count") !== null]);
    const svg = figure.querySelector("svg[role=img]");
    return {
        id: figure.id,
        caption: (figure.querySelector("caption")?.textContent ?? "").trim(),
        rows: [...figure.querySelectorAll("table.counts tbody tr")].map(cells),
        footer: [...figure.querySelectorAll("table.counts tfoot tr")].map(cells),
        hatched: svg ? svg.querySelectorAll("rect[fill^='url(#']").length : 0,
        texts: svg ? [...svg.querySelectorAll("text")].map((t) => t.textContent) : [],
        desc: svg?.querySelector(":scope > desc")?.textContent ?? "",
    };
})"""


def read_figures(page: Page, selector: str) -> list[dict[str, Any]]:
    """Every figure on the page as read in one go: its table's cells (text, marked hidden or not) and its chart."""
    return list(page.evaluate(READ_FIGURES, selector))


def cell_problems(name: str, expected: list[list[int | None]], read: list[list[list[Any]]], words: str) -> list[str]:
    """A table's counts as read against the expected ones: a hidden count reads `words` and is marked hidden, a
    shown one is its number (so a hidden count never reads 0)."""
    problems = []
    if len(read) != len(expected):
        problems.append(f"{name}: {len(read)} rows, expected {len(expected)}")
    for values, texts in zip(expected, read, strict=False):
        if len(values) != len(texts):
            problems.append(f"{name}: {len(texts)} counts in a row, expected {len(values)}")
        for value, (text, marked) in zip(values, texts, strict=False):
            if value is None and (text != words or not marked):
                problems.append(f"{name}: a hidden count reads {text!r} (marked hidden: {marked}), not {words!r}")
            elif value is not None and (text != str(value) or marked):
                problems.append(f"{name}: {text!r} where {value} is counted")
    return problems


def grid(table: StatTable) -> list[list[int | None]]:
    """The counts a table shows, rows then the totals row; the "Total" column only with several columns (a
    one-column table's row figure is its cell, its grand total the column's: StatTable.shown_row_totals)."""
    p = table.protected
    several = table.has_row_totals
    rows: list[list[int | None]] = [
        [*cells, *((total,) if several else ())] for cells, total in zip(p.cells, table.shown_row_totals, strict=True)
    ]
    return [*rows, [*p.column_totals, *((table.grand_total,) if several else ())]]


def drawn_hidden(table: StatTable) -> int:
    """How many hidden counts the table's chart must draw hatched: a bar per hidden bar (the rows' figures), a bar
    per hidden cell of the small multiples, a band per month with a hidden count."""
    p = table.protected
    kind = chart_for(table).kind
    if kind == "bars":
        return sum(v is None for v in table.shown_row_totals)
    if kind == "small_multiples":
        return sum(v is None for row in p.cells for v in row)
    return sum(total is None or None in row for row, total in zip(p.cells, table.shown_row_totals, strict=True))


def count_problems(page: Page, expected: dict[str, StatTable], language: str) -> list[str]:
    """Each count on the page is the statistics layer's; a hidden one reads as on every page (display.hidden_text:
    "fewer than N" or "hidden"), marked hidden, never a number (so never 0), and its bar in the chart is hatched
    with the same words."""
    problems = []
    figures = {figure["id"]: figure for figure in read_figures(page, "main figure.stat")}
    if sorted(figures) != sorted(expected):
        problems.append(f"figures {sorted(figures)}, expected {sorted(expected)}")
    for key, table in expected.items():
        figure = figures.get(key)
        if figure is None:
            continue
        with translation.override(language):
            hidden_words = hidden_text(table)
        problems += cell_problems(key, grid(table), figure["rows"] + figure["footer"], hidden_words)
        hatched, words = figure["hatched"], figure["texts"].count(hidden_words)
        drawn = drawn_hidden(table)
        if hatched != drawn or (chart_for(table).kind != "lines" and words != drawn):
            problems.append(f"{key}: {drawn} hidden counts drawn, {hatched} hatched, {words} say {hidden_words!r}")
        if table.protected.hidden and str(table.protected.hidden) not in figure["desc"]:
            problems.append(f"{key}: the chart's description does not say how many counts are hidden")
    return problems


OVERFLOW = """() => {
    const width = document.documentElement.clientWidth;
    const wide = [];
    for (const element of document.querySelectorAll("body *")) {
        if (element.parentElement.closest(".scroll")) continue;  // inside a table's scrolling box: allowed
        const box = element.getBoundingClientRect();
        if (box.width && box.right > width + 0.5) {
            wide.push(`${element.tagName.toLowerCase()}.${element.className.baseVal ?? element.className}`
                      + ` right=${Math.round(box.right)}`);
        }
    }
    return {page: document.documentElement.scrollWidth, width: width, wide: wide.slice(0, 10)};
}"""


def overflow_problems(page: Page) -> list[str]:
    found = page.evaluate(OVERFLOW)
    problems = [f"{page.url}: {line} is wider than the {found['width']}px screen" for line in found["wide"]]
    if found["page"] > found["width"]:
        problems.append(f"{page.url}: the page is {found['page']}px wide on a {found['width']}px screen")
    return problems


def send_filters(page: Page, *, scope: str | None = None, start: str = "", end: str = "") -> int:
    """Choose the view and the period in the filter form and press Show, as a person would: the status."""
    if scope is not None:
        page.select_option("select[name=scope]", scope)
    page.fill("input[name=start]", start)
    page.fill("input[name=end]", end)
    with page.expect_navigation() as navigation:
        page.get_by_role("button", name=say("es", "Show")).click()
    response = navigation.value
    assert response is not None
    return response.status


# --- 1. The dashboard ------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("javascript", [False, True], ids=["js-off", "js-on"])
def test_an_analyst_reads_the_dashboard_and_filters_it(
    new_context: NewContext, live_server: LiveServer, javascript: bool
) -> None:
    data = dashboard_world()
    org: Organization = data["org"]
    context = new_context(java_script_enabled=javascript, viewport=LAPTOP)
    seen = watch(context)
    page = sign_in(context, live_server.url, data["analyst"], DASHBOARD)

    # Her organisation's view first, the last twelve months: every figure as the statistics layer counts it.
    assert page.locator("select[name=scope]").input_value() == f"organisation:{org.uuid}"
    status = send_filters(page, scope=f"organisation:{org.uuid}", start=f"{world.days_ago(60):%Y-%m-%d}",
                          end=f"{world.days_ago(0):%Y-%m-%d}")  # fmt: skip
    assert status == 200
    query = parse_qs(urlsplit(page.url).query)
    assert query["scope"] == [f"organisation:{org.uuid}"] and query["start"] == [f"{world.days_ago(60):%Y-%m-%d}"]
    start, end = world.days_ago(60), world.days_ago(0)
    assert page.locator("main h1").inner_text() == say("es", "Statistics")
    sections = page.locator("main section.stat-section")
    assert sections.count() >= 3, page.locator("main").inner_text()
    for k in range(sections.count()):
        assert sections.nth(k).locator("figure.stat").count() >= 1
    assert figure_problems(page) == []
    expected = expected_tables(Scope("organisation", organization_id=org.pk), start, end)
    assert count_problems(page, expected, "es") == []
    gender = expected["casesgender_identity_by_zone"].protected
    assert gender.hidden >= 2, "the world must hide the 3 cis women and what would give them away"
    assert "section-alerts" not in page.content(), "trafficking-alert aggregates are for monitors"

    # The national view of Colombia, chosen in the form: only organisations with an agreement, threshold 11.
    assert send_filters(page, scope="country:CO", start=f"{start:%Y-%m-%d}", end=f"{end:%Y-%m-%d}") == 200
    assert page.locator("select[name=scope]").input_value() == "country:CO"
    with translation.override("es"):
        counted = ngettext(
            "%(n)s organisation with an agreement for this view is counted.",
            "%(n)s organisations with an agreement for this view are counted.",
            1,
        ) % {"n": 1}
    assert counted in page.locator("main section.about-counts").inner_text()
    assert figure_problems(page) == []
    assert count_problems(page, expected_tables(Scope("country", country="CO"), start, end), "es") == []

    # A period that ends before it starts: a message on the form (400), no figures, never a server error.
    assert send_filters(page, start="2026-05-01", end="2026-01-01") == 400
    alert = page.locator("main form [role=alert]")
    assert alert.is_visible() and say("es", "The start date is after the end date.") in alert.inner_text()
    assert page.locator("main figure.stat").count() == 0
    # And one that is not a date at all, typed in the address bar.
    response = page.goto(f"{live_server.url}{DASHBOARD}?scope=region&start=mañana")
    assert response is not None and response.status == 400
    assert page.locator("main form [role=alert]").is_visible()

    # With JavaScript, staff.js labels each cell with its column (the rows stack at phone width); without, not.
    page.goto(f"{live_server.url}{DASHBOARD}")
    labelled = page.locator("main figure.stat table.counts tbody td[data-label]").count()
    assert (labelled > 0) == javascript
    assert seen.foreign_requests(origin(live_server.url)) == []
    assert seen.csp_violations() == [] and seen.page_errors == []


def test_the_dashboard_on_a_phone_and_printed(new_context: NewContext, live_server: LiveServer) -> None:
    data = dashboard_world()
    signed_in = new_context(java_script_enabled=False)
    seen = watch(signed_in)
    sign_in(signed_in, live_server.url, data["coordinator"], DASHBOARD)
    views = [DASHBOARD, f"{DASHBOARD}?scope=country%3ACO", f"{DASHBOARD}?scope=region"]

    # A small phone, with JavaScript off and on: nothing wider than the screen but inside the tables' boxes.
    problems = []
    for javascript in (False, True):
        context = signed_in_copy(new_context, signed_in, java_script_enabled=javascript, **PHONE)
        phone_seen = watch(context)
        page = context.new_page()
        for view in views:
            response = page.goto(live_server.url + view)
            assert response is not None and response.status == 200, view
            problems += overflow_problems(page)
            assert page.locator("main figure.stat svg[role=img]").first.is_visible()
        assert phone_seen.foreign_requests(origin(live_server.url)) == []
    assert not problems, "\n".join(problems)

    # Printed (laptop, JavaScript off): the charts and the tables stay, the menus, the filters and the section
    # links go, and so do the links to other pages.
    context = signed_in_copy(new_context, signed_in, java_script_enabled=False, viewport=LAPTOP)
    page = context.new_page()
    page.goto(live_server.url + DASHBOARD)
    figures = page.locator("main figure.stat").count()
    assert figures >= 3
    assert page.locator("nav.staff-menu").is_visible() and page.locator("main form").is_visible()
    page.emulate_media(media="print")
    for selector in ("nav.staff-menu", "header.top", "main form", "main nav", "main p.noprint"):
        hidden = page.locator(selector)
        printed = [hidden.nth(k).evaluate("e => e.outerHTML.slice(0, 200)") for k in range(hidden.count())
                   if hidden.nth(k).is_visible()]  # fmt: skip
        assert hidden.count() and not printed, f"{selector} is printed: {printed}"
    charts = page.locator("main figure.stat svg[role=img]")
    tables = page.locator("main figure.stat table.counts")
    assert charts.count() == tables.count() == figures
    assert all(charts.nth(k).is_visible() and tables.nth(k).is_visible() for k in range(figures))
    assert page.locator("main h1").is_visible() and page.locator("main section.about-counts").is_visible()
    pdf = page.pdf(format="A4")  # what the print dialog would make; Chromium prints it without error
    assert pdf.startswith(b"%PDF")
    assert seen.foreign_requests(origin(live_server.url)) == []


def test_another_organisation_sees_none_of_the_first_organisations_figures(
    new_context: NewContext, live_server: LiveServer
) -> None:
    data = dashboard_world()
    org: Organization = data["org"]
    context = new_context(java_script_enabled=False)
    page = sign_in(context, live_server.url, data["outsider"], DASHBOARD)

    # Her own view lists her organisation only. (The national view counts the first organisation too, at the public
    # threshold: it recorded an agreement for that; its own view is what she must not see.)
    options = page.locator("select[name=scope] option")
    values = [options.nth(k).get_attribute("value") or "" for k in range(options.count())]
    assert f"organisation:{data['other'].uuid}" in values
    assert not [v for v in values if str(org.uuid) in v]
    assert org.name not in page.content()
    total = expected_tables(Scope("organisation", organization_id=data["other"].pk), *default_period())
    assert count_problems(page, total, "es") == []
    # Her one case is under 5: hidden; the first organisation's 22 appear nowhere on her page.
    assert total["casesgender_identity_by_zone"].protected.total is None

    # Asking for the first organisation's view by its address: a form message, no figure.
    response = page.goto(f"{live_server.url}{DASHBOARD}?scope=organisation%3A{org.uuid}")
    assert response is not None and response.status == 400
    assert page.locator("main form [role=alert]").is_visible()
    assert page.locator("main figure.stat").count() == 0
    assert org.name not in page.content()
    # Nor its agreements page.
    response = page.goto(f"{live_server.url}/staff/insights/agreements/{org.uuid}/")
    assert response is not None and response.status == 404


# --- 2. The public figures -------------------------------------------------------------------------------------------


def test_public_figures_in_three_languages_with_javascript_off(
    new_context: NewContext, live_server: LiveServer, settings: SettingsWrapper, tmp_path: Path
) -> None:
    figures_world = make_world()
    record_consented_cases(figures_world, 14)  # trans women in Cúcuta, last month: shown
    first, last = last_whole_month()
    world.places()
    add_cases(figures_world.org, "CO11001", 3, first, gender="cis_woman")  # three in Bogotá: under 11, hidden
    prepared = services.publication_prepare(
        actor=figures_world.coordinator, organization=figures_world.org, scope="country", country="CO",
        first_month=first, last_month=last, languages=["es", "en", "pt"],
    )  # fmt: skip
    publication = services.publication_review(actor=figures_world.second_coordinator, publication=prepared,
                                              approve=True)  # fmt: skip
    assert publication.status == Publication.Status.APPROVED

    weights: dict[str, tuple[int, list[str]]] = {}
    locales = {"es": "es-CO", "en": "en-GB", "pt": "pt-BR"}
    for language in ("es", "en", "pt"):
        # From the list of published figures to the publication, as a visitor would, with JavaScript off.
        context = new_context(java_script_enabled=False, locale=locales[language])
        seen = watch(context)
        page = context.new_page()
        page.goto(f"{live_server.url}/{language}/figures/")
        page.locator("main li.card h2 a").first.click()
        page.wait_for_url(re.compile(rf"/{language}/figures/{publication.uuid}/$"))

        assert page.locator("html").get_attribute("lang") == language
        tables = publication.tables(language)
        assert len(tables) >= 3 and sum(_hidden_shown(t) for t in tables) > 0, "the three in Bogotá are hidden"
        assert published_problems(page, tables, language) == []
        main = page.locator("main").inner_text()
        with translation.override(language):
            period = [date_format(publication.period_start, "DATE_FORMAT"),
                      date_format(publication.period_end, "DATE_FORMAT")]  # fmt: skip
        assert all(day in main for day in period), (period, main[:400])
        for heading in ("Sources", "How these figures are made", "Open data"):
            assert page.get_by_role("heading", name=say(language, heading)).is_visible()
        assert say(language, METHOD) in main
        sources = page.locator("main h2 + ul li").all_inner_texts()
        assert sources and all(s.strip() for s in sources)
        assert (
            say(language, "case records of the member organisations, only of survivors who agreed to be counted")
            in sources
        )

        # The HXL CSV link downloads a file whose second row is the HXL hashtag row.
        with page.expect_download() as download:
            page.get_by_role("link", name=say(language, "HXL CSV")).click()
        saved = tmp_path / f"figures-{language}.csv"
        download.value.save_as(saved)
        assert download.value.suggested_filename.endswith(f"-{language}.hxl.csv")
        rows = list(csv.reader(io.StringIO(saved.read_text(encoding="utf-8"))))
        assert rows[1][0] == "#meta+table+code" and all(tag.startswith("#") for tag in rows[1])
        assert "#affected" in rows[1] and len(rows) > 2
        assert context.cookies() == []
        assert seen.foreign_requests(origin(live_server.url)) == []
        assert seen.csp_violations() == [] and seen.page_errors == []

        # The publication's page from a clean profile (nothing cached) with JavaScript on, so that the quick-exit
        # script loads too: no cookie, nothing stored, nothing from another origin, and what it weighs on the wire.
        context = new_context(locale=locales[language])
        seen = watch(context)
        page = context.new_page()
        transferred = weigh(page)
        response = page.goto(f"{live_server.url}/{language}/figures/{publication.uuid}/")
        assert response is not None and response.status == 200
        page.wait_for_load_state("load")
        assert context.cookies() == []
        assert page.evaluate("document.cookie + localStorage.length + sessionStorage.length") == "00"
        assert seen.foreign_requests(origin(live_server.url)) == []
        assert seen.csp_violations() == [] and seen.page_errors == []
        loaded = sorted(urlsplit(url).path for url in transferred)
        assert "/static/core/amparo.css" in loaded and "/static/core/exit.js" in loaded, loaded
        assert 0 < sum(transferred.values()) <= PAGE_BUDGET_BYTES, transferred
        weights[language] = (sum(transferred.values()), loaded)
    print(f"public figures page, bytes transferred (headers and bodies) with what it loads: {weights}")

    # The quick exit, with JavaScript off: it is the first thing on the page and leaves for the neutral site.
    with neutral_site() as neutral:
        settings.QUICK_EXIT_URL = neutral.url
        context = new_context(java_script_enabled=False)
        page = context.new_page()
        page.goto(f"{live_server.url}/es/figures/{publication.uuid}/")
        page.keyboard.press("Tab")
        assert page.evaluate("document.activeElement && document.activeElement.id") == "quick-exit"
        page.click("#quick-exit")
        page.wait_for_url(neutral.url)
        assert page.title() == "El clima hoy"
        visits = neutral.page_visits()
        assert len(visits) == 1 and "referer" not in visits[0]
        assert context.cookies() == []


METHOD = (
    "Only people who agreed to be counted are counted. Places are never smaller than a municipality, ages are in "
    "bands and dates in months."
)


def weigh(page: Page) -> dict[str, int]:
    """What each response of the page weighs on the wire, by URL: headers and body as sent (compressed when it
    was), filled in as the requests finish."""
    weights: dict[str, int] = {}

    def finished(request: Request) -> None:
        sizes = request.sizes()
        weights[request.url] = int(sizes["responseHeadersSize"]) + int(sizes["responseBodySize"])

    page.on("requestfinished", finished)
    return weights


def published_problems(page: Page, tables: list[StatTable], language: str) -> list[str]:
    """Each published table is on the page, in order, with every count as frozen; a hidden count (a cell or a
    total) reads as the words of `display.hidden_text` in the page's language, never as a number."""
    problems = []
    figures = read_figures(page, "main figure.figure-table")
    if len(figures) != len(tables):
        return [f"{len(figures)} tables on the page, {len(tables)} published"]
    for figure, table in zip(figures, tables, strict=True):
        if figure["caption"] != table.title:
            problems.append(f"{table.key}: caption {figure['caption']!r}, published {table.title!r}")
        with translation.override(language):
            words = hidden_text(table)
        problems += cell_problems(table.key, grid(table), figure["rows"], words)  # the totals row is in tbody
    return problems


def _hidden_shown(table: StatTable) -> int:
    """The hidden counts a published table shows, its totals included; a one-column table has no "Total"
    column (the ranked municipalities have no row totals at all: nothing there may read as hidden)."""
    p = table.protected
    margins = (*p.row_totals, p.total) if len(table.column_categories) > 1 else ()
    return sum(v is None for v in (*(v for row in p.cells for v in row), *p.column_totals, *margins))


# --- 3. A situation report -------------------------------------------------------------------------------------------


def test_a_coordinator_asks_for_a_situation_report_and_downloads_the_pdf(
    new_context: NewContext, live_server: LiveServer, tmp_path: Path
) -> None:
    report_world = build_world()
    coordinator = make_staff("coordinadora@informe.example.org", report_world.org, Role.COORDINATOR, with_key=False)
    first, _last = last_whole_month()
    add_cases(report_world.org, "CO54001", 14, first)
    add_cases(report_world.org, "CO11001", 3, first, gender="cis_woman")

    context = new_context(java_script_enabled=False, locale="en-GB")
    seen = watch(context)
    page = sign_in(context, live_server.url, coordinator, "/staff/insights/reports/")
    with page.expect_navigation():
        page.get_by_role("link", name=say("en", "Ask for a situation report")).click()
    # The form's defaults: her organisation, the last six months up to this one, in her language.
    page.get_by_label(say("en", "Language of the report")).select_option("en")
    with page.expect_navigation() as navigation:
        page.get_by_role("button", name=say("en", "Build the report")).click()
    assert navigation.value is not None and navigation.value.status == 200
    report = SituationReport.objects.get()
    assert page.url.endswith(f"/staff/insights/reports/{report.uuid}/")
    assert report.status == ReportStatus.QUEUED and report.requested_by == coordinator
    assert page.get_by_role("status").filter(has_text=say("en", "Look again")).is_visible()
    assert page.locator(f"a[href$='/{report.uuid}/pdf/']").count() == 0

    # The real worker of django-tasks-db picks the task up, as `manage.py db_worker` does on the server.
    call_command("db_worker", batch=True, interval=0, no_startup_delay=True, worker_id="browser-test")
    report.refresh_from_db()
    assert report.status == ReportStatus.BUILT, report.failure_text

    with page.expect_navigation():
        page.get_by_role("link", name=say("en", "Look again")).click()
    assert say("en", "Ready") in page.locator("main dl").inner_text()
    link = page.get_by_role("link", name=say("en", "Download the PDF"))
    with page.expect_download() as download:
        link.click()
    saved = tmp_path / "report.pdf"
    download.value.save_as(saved)
    assert saved.read_bytes().startswith(b"%PDF") and saved.read_bytes() == bytes(report.pdf or b"")
    assert download.value.suggested_filename.endswith(".pdf")
    # The same link, asked with the browser's session: served as a PDF, never cached.
    answer = context.request.get(live_server.url + (link.get_attribute("href") or ""))
    assert answer.status == 200 and answer.headers["content-type"] == "application/pdf"
    assert "no-store" in answer.headers["cache-control"] and answer.body().startswith(b"%PDF")
    assert seen.foreign_requests(origin(live_server.url)) == []
