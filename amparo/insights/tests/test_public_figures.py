"""The public regional page (issue 16, part 3) over real HTTP: the promises of every public page (no cookie, no
third-party load, quick exit first, under 30 KB with its CSS and script, no script needed), the approved figures
with "fewer than 11" or "hidden" for hidden counts and never 0, the period, the sources, the method note and the
build date in es/en/pt; withdrawn, replaced and unpublished publications."""

from __future__ import annotations

import re

import pytest
from django.test import Client
from pytest_django.live_server_helper import LiveServer

from amparo.core.tests.conftest import PublicPage
from amparo.core.tests.test_public_pages import (
    PAGE_BUDGET_BYTES,
)
from amparo.core.tests.test_public_pages import (
    page_problems as core_page_problems,
)
from amparo.insights import services
from amparo.insights.models import Publication

from .publication_world import World, builder, last_whole_month, make_world

pytestmark = pytest.mark.django_db(transaction=True)

# A 4 and a 3 are small; complementary suppression hides others so that the totals do not give them away.
SMALL_AND_LARGE = [[30, 4], [25, 40]]
ONLY_PRIMARY = [[30, 0], [25, 40]]  # nothing small: no hidden cell


@pytest.fixture
def world() -> World:
    return make_world()


def published(world: World, counts: list[list[int]], languages: list[str] | None = None) -> Publication:
    start, end = last_whole_month()
    publication = services.publication_prepare(
        actor=world.coordinator, organization=world.org, scope="country", country="CO", first_month=start,
        last_month=end, languages=languages or ["es", "en", "pt"], build=builder(counts),
    )  # fmt: skip
    return services.publication_review(actor=world.second_coordinator, publication=publication, approve=True)


def page_problems(live_server: LiveServer, page: PublicPage) -> tuple[list[str], str, int]:
    """Every public-page promise of core's tests, and the page's text and weight as transferred."""
    return core_page_problems(live_server.url, page)


def cells(html: str) -> list[str]:
    return [re.sub(r"<[^>]+>", "", c).strip() for c in re.findall(r"<td>(.*?)</td>", html, re.S)]


def test_the_published_page_keeps_every_public_promise_in_three_languages(
    live_server: LiveServer, world: World
) -> None:
    publication = published(world, SMALL_AND_LARGE)
    table = publication.tables("en")[0]
    hidden = sum(v is None for row in table.protected.grid() for v in row)
    assert hidden >= 4  # the 4, and complements in its row, its column and the totals
    words = {"es": ("oculto", "Fuentes", "construyeron"), "en": ("hidden", "Sources", "were built on"),
             "pt": ("oculto", "Fontes", "construídos")}  # fmt: skip
    for language in ("es", "en", "pt"):
        page = PublicPage(f"figures-{language}", f"/{language}/figures/{publication.uuid}/", 200, language)
        problems, html, weight = page_problems(live_server, page)
        assert not problems, problems
        assert weight < PAGE_BUDGET_BYTES
        shown = cells(html)
        hidden_word, sources, built = words[language]
        assert shown.count(hidden_word) == hidden, (language, shown)
        assert sum(c == "0" for c in shown) == 0  # the 4 is never a 0 (no zero in these counts)
        assert sources in html and built in html
        assert f"{publication.built_at:%Y}" in html  # the build date, in words of the language
        assert "hxl.csv" in html and "hxl.json" in html
        # The chart beside the table (bars of the row totals, which are shown here): an image with a title and a
        # description that says how many counts are hidden; nothing drawn as 0.
        svg = html.split("<svg", 1)[1].split("</svg>", 1)[0]
        assert 'role="img"' in svg and "<title" in svg and f"{hidden} " in svg.split("<desc", 1)[1]
        assert ">0</text>" not in svg


def test_a_table_without_complements_says_fewer_than_11_and_a_real_zero_is_0(
    live_server: LiveServer, world: World
) -> None:
    publication = published(world, [[30, 0], [25, 4]])  # a real 0 and a small 4
    problems, html, _weight = page_problems(
        live_server, PublicPage("figures-en", f"/en/figures/{publication.uuid}/", 200, "en")
    )
    assert not problems, problems
    table = publication.tables("en")[0]
    shown = cells(html)
    if table.protected.complementary == 0:
        assert "fewer than 11" in shown
    else:
        assert "hidden" in shown
    assert shown.count("0") == 1  # the real zero, shown as one


def test_the_list_of_published_periods_and_the_dictionary_keep_the_promises(
    live_server: LiveServer, world: World
) -> None:
    publication = published(world, ONLY_PRIMARY)
    withdrawn = published(world, ONLY_PRIMARY, ["es"])
    services.publication_withdraw(actor=world.coordinator, publication=withdrawn, reason="An error.")
    pending = services.publication_prepare(
        actor=world.coordinator, organization=world.org, scope="region", country="",
        first_month=last_whole_month()[0], last_month=last_whole_month()[1], languages=["es"],
        build=builder(ONLY_PRIMARY),
    )  # fmt: skip
    for page in (
        PublicPage("figures-index", "/en/figures/", 200, "en"),
        PublicPage("figures-index-pt", "/pt/figures/", 200, "pt"),
        PublicPage("figures-dictionary", "/es/figures/data-dictionary/", 200, "es"),
        PublicPage("figures-pending", f"/es/figures/{pending.uuid}/", 404, "es"),
        PublicPage("figures-missing", "/es/figures/00000000-0000-0000-0000-000000000000/", 404, "es"),
    ):
        problems, html, _weight = page_problems(live_server, page)
        assert not problems, (page.path, problems)
        if page.key == "figures-index":
            assert str(publication.uuid) in html and str(withdrawn.uuid) in html
            assert str(pending.uuid) not in html and "withdrawn" in html


def test_a_withdrawn_page_says_so_and_shows_no_figures(world: World, public_client: Client) -> None:
    publication = published(world, ONLY_PRIMARY)
    services.publication_withdraw(actor=world.coordinator, publication=publication, reason="Secret reason.")
    response = public_client.get(f"/en/figures/{publication.uuid}/")
    html = response.content.decode()
    assert response.status_code == 200 and "were withdrawn on" in html
    assert "<table" not in html and "Secret reason" not in html and "hxl.csv" not in html


def test_a_replaced_page_points_to_the_newer_build_and_shows_no_figures(world: World, public_client: Client) -> None:
    first = published(world, ONLY_PRIMARY)
    second = published(world, [[29, 0], [25, 40]])
    html = public_client.get(f"/en/figures/{first.uuid}/").content.decode()
    assert "replaced by a newer build" in html and f"/en/figures/{second.uuid}/" in html and "<table" not in html


def test_a_language_that_was_not_built_shows_the_first_one_and_says_so(world: World, public_client: Client) -> None:
    publication = published(world, ONLY_PRIMARY, ["es"])
    html = public_client.get(f"/pt/figures/{publication.uuid}/").content.decode()
    assert "Test table (es)" in html and "não foram publicados no seu idioma" in html
