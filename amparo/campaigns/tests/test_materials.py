"""Materials are generated from the pathway content (nothing copied), in three languages; the discreet variants name
no violence; the PDFs have the paper sizes asked for and fetch nothing."""

from __future__ import annotations

import http.server
import threading
from collections.abc import Iterator

import pytest
from django.utils import translation
from weasyprint import HTML

from amparo.campaigns import materials
from amparo.core.pdf import LocalOnlyFetcher
from amparo.pathways.models import Pathway, PathwayStep

from .conftest import World

URL = "https://amparo.example.org/r/k7m2x9p"


def _pages(html: str) -> list[tuple[float, float]]:
    document = HTML(string=html, url_fetcher=LocalOnlyFetcher()).render()
    return [(round(p.width * 25.4 / 96, 1), round(p.height * 25.4 / 96, 1)) for p in document.pages]


def test_a_change_in_the_pathway_changes_the_materials(world: World) -> None:
    step = PathwayStep.objects.get(pathway__slug="sexual-violence-72h", position=1)
    before = materials.content_for(world.campaign, "pathway", "sexual-violence-72h", "es")
    assert before.steps[0].title == step.t.title
    PathwayStep.objects.filter(pk=step.pk).update(title_es="Ve hoy mismo al hospital más cercano")
    after = materials.content_for(world.campaign, "pathway", "sexual-violence-72h", "es")
    assert after.steps[0].title == "Ve hoy mismo al hospital más cercano"
    assert "Ve hoy mismo al hospital" in materials.card_html(world.campaign, after, URL)
    assert "Ve hoy mismo al hospital" in materials.sms_candidates(after, URL)[0]


@pytest.mark.parametrize("language", ["es", "en", "pt"])
def test_every_discreet_material_of_every_pathway_names_no_violence(world: World, language: str) -> None:
    world.campaign.pathways.set(Pathway.objects.all())
    named = 0
    for pathway in Pathway.objects.all():
        content = materials.content_for(world.campaign, "pathway", pathway.slug, language)
        named += bool(materials.names_violence(materials.card_html(world.campaign, content, URL)))
        quiet = materials.discreet(content)
        outputs = [
            materials.card_html(world.campaign, quiet, URL),
            materials.poster_html(world.campaign, quiet, URL, "A4"),
            materials.sms_text(quiet, URL, 3).text,
            materials.whatsapp_text(quiet, URL),
        ]
        for output in outputs:
            assert materials.names_violence(output) == [], (pathway.slug, language, output[:200])
        assert quiet.steps, f"{pathway.slug}: no step left in the discreet variant"
    assert named >= 4  # the plain cards do name it: the check has something to find


def test_the_word_check_can_fail() -> None:
    assert materials.names_violence("Línea para víctimas de VIOLENCIA") == ["victimas", "violencia"]
    assert materials.names_violence("Stop trafficking; rape is a crime") == ["trafficking", "rape"]
    assert materials.names_violence("Violência e tráfico") == ["violencia", "trafico"]
    assert materials.names_violence("Tratamiento, batería, costumbre, cafetería") == []  # stems do not over-match


def test_the_lines_are_those_that_apply_in_the_campaigns_place(world: World) -> None:
    world.campaign.pathways.add(Pathway.objects.get(slug="urgent-protection"))
    content = materials.content_for(world.campaign, "pathway", "urgent-protection", "es")
    numbers = [line.number for line in content.lines]
    assert "123" in numbers and "01 8000 112 137" not in numbers  # Bogotá's Línea Púrpura is not Cúcuta's


@pytest.mark.parametrize("language", ["es", "en", "pt"])
def test_card_and_posters_have_their_paper_sizes(world: World, language: str) -> None:
    content = materials.content_for(world.campaign, "pathway", "sexual-violence-72h", language)
    for item in (content, materials.discreet(content)):
        assert _pages(materials.card_html(world.campaign, item, URL)) == [(85.0, 55.0), (85.0, 55.0)]
        assert _pages(materials.poster_html(world.campaign, item, URL, "A4")) == [(210.0, 297.0)]
        assert _pages(materials.poster_html(world.campaign, item, URL, "A3")) == [(297.0, 420.0)]
    pdf = materials.card_pdf(world.campaign, content, URL)
    assert pdf.startswith(b"%PDF-")


def test_a_card_shows_the_first_steps_the_lines_and_the_qr_code(world: World) -> None:
    content = materials.content_for(world.campaign, "pathway", "sexual-violence-72h", "es")
    html = materials.card_html(world.campaign, content, URL)
    assert "Violencia sexual: las primeras 72 horas" in html
    assert "155" in html and "123" in html
    assert "<svg" in html and "amparo.example.org/r/k7m2x9p" in html
    assert content.steps[0].title in html and content.steps[2].title in html


class _Counting(http.server.BaseHTTPRequestHandler):
    hits: list[str] = []

    def do_GET(self) -> None:
        _Counting.hits.append(self.path)
        self.send_response(200)
        self.end_headers()

    def log_message(self, *args: object) -> None:
        pass


@pytest.fixture
def http_server() -> Iterator[str]:
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _Counting)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()
    server.server_close()


def test_rendering_fetches_nothing(http_server: str) -> None:
    _Counting.hits = []
    fetcher = LocalOnlyFetcher()
    html = (
        f'<html><head><link rel="stylesheet" href="{http_server}/x.css"></head>'
        f'<body><img src="{http_server}/a.png"></body></html>'
    )
    assert materials.render_pdf(html, fetcher).startswith(b"%PDF-")
    assert _Counting.hits == [] and len(fetcher.refused) == 2


def test_the_sms_fits_its_budget_or_says_it_does_not(world: World) -> None:
    content = materials.content_for(world.campaign, "pathway", "sexual-violence-72h", "pt")
    one = materials.sms_text(content, URL, 1)
    # Portuguese: "Violência" forces UCS-2 (ê), so even the short text is 2 segments of 67: over a budget of 1.
    assert one.count.encoding == "UCS-2" and "ê" in one.count.forcing_ucs2
    assert one.over and not one.plain_count.over(1)  # without accents it fits in one GSM-7 message
    with translation.override("en"):
        assert "budget is 1" in materials.sms_problem(one.count, 1)
    two = materials.sms_text(content, URL, 2)
    assert not two.over and two.count.segments == 2


@pytest.mark.parametrize("language", ["es", "en", "pt"])
def test_radio_scripts_fit_their_time(world: World, language: str) -> None:
    content = materials.content_for(world.campaign, "pathway", "sexual-violence-72h", language)
    short, long = (materials.radio_script(content, s) for s in materials.RADIO_LENGTHS)
    for script in (short, long):
        assert script.fits and script.words <= materials.WORDS_PER_SECOND[language] * script.seconds
        assert script.text.startswith(content.title) and "155" in script.text
    assert long.words > short.words


def test_materials_refuse_a_language_or_target_the_campaign_does_not_have(world: World) -> None:
    world.campaign.languages = ["es"]
    with pytest.raises(materials.MaterialError):
        materials.content_for(world.campaign, "pathway", "sexual-violence-72h", "pt")
    with pytest.raises(materials.MaterialError):
        materials.content_for(world.campaign, "pathway", "eviction", "es")
    with pytest.raises(materials.MaterialError):
        materials.content_for(world.campaign, "service", "not-a-uuid", "es")
