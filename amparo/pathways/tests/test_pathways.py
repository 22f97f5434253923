from __future__ import annotations

import json
from pathlib import Path

import pytest
from django.core.management import CommandError, call_command
from django.utils import translation
from django.utils.translation import gettext

from amparo.core.i18n import localized
from amparo.directory.models import Place
from amparo.directory.taxonomy import SERVICE_TYPE_BY_CODE
from amparo.pathways.models import Helpline, Pathway
from amparo.pathways.selectors import pathway_by_slug, resolve_pathway
from amparo.pathways.services import CONTENT_DIR, ContentError, content_load

pytestmark = pytest.mark.django_db

REQUIRED_PATHWAYS = {
    "sexual-violence-72h",
    "criminal-complaint",
    "urgent-protection",
    "my-children",
    "eviction",
    "sti-hiv-covid",
    "trafficking",
}


def test_shipped_content_is_complete_in_three_languages(demo_directory) -> None:
    assert set(Pathway.objects.values_list("slug", flat=True)) >= REQUIRED_PATHWAYS
    for pathway in Pathway.objects.prefetch_related("steps__service_types"):
        for lang in ("es", "en", "pt"):
            assert getattr(pathway, f"title_{lang}") and getattr(pathway, f"summary_{lang}")
        assert pathway.steps.count() >= 3
        for step in pathway.steps.all():
            for lang in ("es", "en", "pt"):
                assert getattr(step, f"title_{lang}") and getattr(step, f"what_to_do_{lang}")
            assert all(t.code in SERVICE_TYPE_BY_CODE for t in step.service_types.all())


def test_unconfirmed_facts_are_not_stated() -> None:
    """The 120 h emergency-contraception window and the Defensoría number are UNCONFIRMED in the reference."""
    text = " ".join(p.read_text(encoding="utf-8") for p in CONTENT_DIR.glob("*.json"))
    import re

    assert not re.search(r"120\s*(h|horas|hours|hour)", text)
    assert "914814" not in text
    helplines = json.loads((CONTENT_DIR / "helplines.json").read_text(encoding="utf-8"))
    trata = next(h for h in helplines if h["code"] == "trata")
    assert trata["confirmed"] is False


def test_72h_pathway_has_pep_time_limit() -> None:
    data = json.loads((CONTENT_DIR / "sexual-violence-72h.json").read_text(encoding="utf-8"))
    assert any(step.get("time_limit_hours") == 72 for step in data["steps"])


def test_resolved_for_cucuta_lists_nearest_services_open_first(demo_directory) -> None:
    pathway = pathway_by_slug("sexual-violence-72h")
    assert pathway is not None
    resolved = resolve_pathway(pathway, Place.objects.get(pcode="CO54001"))
    with_services = [rs for rs in resolved.steps if rs.hits]
    assert with_services
    for rs in with_services:
        codes = {t.code for t in rs.step.service_types.all()}
        for hit in rs.hits:
            assert codes & {t.code for t in hit.sal.service.types.all()}
            assert hit.distance_km is not None and hit.distance_km < 50
        flags = [h.is_open for h in rs.hits]
        assert flags == sorted(flags, reverse=True)  # open ones first
    assert {h.code for h in resolved.helplines} >= {"155", "123"}


def test_local_helplines_only_where_they_work(demo_directory) -> None:
    bogota = Place.objects.get(pcode="CO11001")
    cucuta = Place.objects.get(pcode="CO54001")
    purple = Helpline.objects.get(code="linea-purpura")
    from amparo.pathways.selectors import helpline_applies

    assert helpline_applies(purple, bogota, "CO")
    assert not helpline_applies(purple, cucuta, "CO")


@pytest.mark.parametrize("lang", ["es", "en", "pt"])
def test_pathway_pages(demo_directory, public_client, lang: str) -> None:
    home = public_client.get(f"/{lang}/")
    assert home.status_code == 200
    for slug in REQUIRED_PATHWAYS:
        page = public_client.get(f"/{lang}/routes/{slug}/", {"place": "CO54001"})
        assert page.status_code == 200, slug
        assert f'lang="{lang}"' in page.content.decode()
    printable = public_client.get(f"/{lang}/routes/sexual-violence-72h/print/", {"place": "CO54001"})
    assert printable.status_code == 200
    assert "Res. 459/2012" in printable.content.decode()


def test_pocket_card_qr_links_back_to_resolved_pathway(demo_directory, public_client) -> None:
    response = public_client.get("/es/routes/urgent-protection/card/", {"place": "CO44430"})
    assert response.status_code == 200
    html = response.content.decode()
    assert "<svg" in html and "<path" in html
    assert response.context["target_url"] == "http://localhost/es/routes/urgent-protection/?place=CO44430"
    # Decode the QR code's modules back into the URL: segno's own matrix for the same text must be drawn.
    import segno

    expected = segno.make(response.context["target_url"], error="m", micro=False)
    assert expected.svg_inline(scale=4, border=2, dark="#000", light="#fff", omitsize=True, svgclass="qr") in html


@pytest.mark.parametrize("query", ["?place=ZZ9", "?place=CO54001'--", "?place=" + "9" * 50])
def test_bad_place_is_a_400(demo_directory, public_client, query: str) -> None:
    response = public_client.get("/es/routes/eviction/" + query)
    assert response.status_code == 400
    html = response.content.decode()
    with translation.override("es"):
        unknown = gettext("We do not know the place code “%(code)s”.").split("“")[0]
        invalid = gettext("The place code is not valid.")
    assert unknown in html or invalid in html  # the Spanish message naming the problem


def test_unknown_pathway_is_404(demo_directory, public_client) -> None:
    assert public_client.get("/es/routes/no-such-route/").status_code == 404


def test_invalid_content_changes_nothing(demo_directory, tmp_path: Path) -> None:
    before = list(Pathway.objects.order_by("slug").values_list("slug", "version", "title_es"))
    good = json.loads((CONTENT_DIR / "eviction.json").read_text(encoding="utf-8"))
    good["version"] = 99
    good["title"]["es"] = "Cambiado"
    (tmp_path / "a-good.json").write_text(json.dumps(good), encoding="utf-8")
    broken = dict(good, slug="broken", steps=[{"title": {"es": "x"}, "what_to_do": {"es": "y"}}])
    (tmp_path / "b-broken.json").write_text(json.dumps(broken), encoding="utf-8")
    with pytest.raises(ContentError, match=r"b-broken\.json"):
        content_load(tmp_path)
    assert list(Pathway.objects.order_by("slug").values_list("slug", "version", "title_es")) == before
    (tmp_path / "b-broken.json").write_text("{not json", encoding="utf-8")
    with pytest.raises(CommandError, match=r"b-broken\.json"):
        call_command("load_pathways", dir=tmp_path)


def test_newer_version_replaces_and_same_version_is_kept(demo_directory, tmp_path: Path) -> None:
    data = json.loads((CONTENT_DIR / "eviction.json").read_text(encoding="utf-8"))
    data["title"]["es"] = "Me quieren sacar de donde vivo"
    (tmp_path / "eviction.json").write_text(json.dumps(data), encoding="utf-8")
    content_load(tmp_path)
    assert localized(Pathway.objects.get(slug="eviction"), "title", "es") != "Me quieren sacar de donde vivo"
    data["version"] += 1
    (tmp_path / "eviction.json").write_text(json.dumps(data), encoding="utf-8")
    content_load(tmp_path)
    assert localized(Pathway.objects.get(slug="eviction"), "title", "es") == "Me quieren sacar de donde vivo"
