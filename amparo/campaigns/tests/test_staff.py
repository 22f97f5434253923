"""Staff pages of the campaigns: create and edit (coordinators; audited, with clear messages for bad input), the
materials and their downloads, the reach page; another organisation's campaign is a 404."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date

import pytest
from django.test import Client
from django.utils import translation

from amparo.accounts.models import Membership, Organization, User
from amparo.audit.models import AuditEntry
from amparo.campaigns.models import Campaign, LinkDay, Material, ShortLink
from amparo.campaigns.services import link_visit
from amparo.pathways.models import Pathway

from .conftest import CUCUTA, World

pytestmark = pytest.mark.django_db


def _form(**changes: object) -> dict[str, object]:
    from amparo.directory.models import Place

    data: dict[str, object] = {
        "name": "Tarjetas de bolsillo",
        "objective": "Difundir la ruta de las 72 horas",
        "starts_on": "2026-02-01",
        "ends_on": "2026-06-30",
        "languages": ["es", "pt"],
        "channels": ["card", "sms"],
        "pathways": [Pathway.objects.get(slug="sexual-violence-72h").pk],
        "places": [Place.objects.get(pcode=CUCUTA).pk],
        "sms_segments": "1",
        "services": "",
    }
    data.update(changes)
    return data


@pytest.fixture
def coordinator(world: World, verified_client_for: Callable[..., Client]) -> Client:
    return verified_client_for(world.coordinator)


def test_a_coordinator_creates_a_campaign_audited_with_its_links(world: World, coordinator: Client) -> None:
    data = _form()
    data["organization"] = world.org.pk
    response = coordinator.post("/staff/campaigns/new/", data)
    assert response.status_code == 302
    campaign = Campaign.objects.get(name="Tarjetas de bolsillo")
    assert campaign.languages == ["es", "pt"] and campaign.created_by == world.coordinator
    assert ShortLink.objects.filter(campaign=campaign).count() == 1 * 2 * 3  # card, discreet card, SMS
    entry = AuditEntry.objects.filter(action="campaigns.campaign.created", object_id=str(campaign.uuid)).get()
    assert entry.detail["links_made"] == 6


@pytest.mark.parametrize(
    ("changes", "words"),
    [
        ({"languages": []}, "at least one language"),
        ({"channels": []}, "at least one channel"),
        ({"pathways": []}, "at least one pathway or service"),
        ({"ends_on": "2026-01-01"}, "ends before it starts"),
        ({"sms_segments": "9"}, "less than or equal to 3"),
        ({"services": "not a service"}, "is not the address of a service page"),
        ({"services": "https://x/es/services/00000000-0000-0000-0000-000000000001/"}, "No active service"),
    ],
)
def test_bad_input_is_a_form_message(world: World, coordinator: Client, changes: dict[str, object], words: str) -> None:
    data = _form(**changes)
    data["organization"] = world.org.pk
    before = Campaign.objects.count()
    with translation.override("en"):
        response = coordinator.post("/staff/campaigns/new/", data, HTTP_ACCEPT_LANGUAGE="en")
    assert response.status_code == 400
    assert words in response.content.decode()
    assert Campaign.objects.count() == before


def test_editing_keeps_printed_links_and_makes_new_ones(world: World, coordinator: Client) -> None:
    old = set(ShortLink.objects.filter(campaign=world.campaign).values_list("code", flat=True))
    data = _form(name="Noches seguras", languages=["es"], channels=["card", "poster", "sms", "whatsapp", "radio"])
    data["pathways"] = [p.pk for p in Pathway.objects.filter(slug__in=["sexual-violence-72h", "eviction"])]
    response = coordinator.post(f"/staff/campaigns/{world.campaign.uuid}/edit/", data)
    assert response.status_code == 302
    codes = set(ShortLink.objects.filter(campaign=world.campaign).values_list("code", flat=True))
    assert old <= codes and len(codes - old) == 6  # eviction in Spanish: six materials
    assert AuditEntry.objects.filter(action="campaigns.campaign.updated").count() == 1


def test_the_material_page_shows_every_text_with_its_counts(world: World, coordinator: Client) -> None:
    url = f"/staff/campaigns/{world.campaign.uuid}/m/pathway/sexual-violence-72h/pt/"
    with translation.override("en"):
        page = coordinator.get(url, HTTP_ACCEPT_LANGUAGE="en")
    assert page.status_code == 200
    html = page.content.decode()
    assert "Violência sexual: as primeiras 72 horas" in html
    assert "/r/" in html and "card-discreet.pdf" in html and "poster-a3.pdf" in html
    assert "UCS-2" in html  # the Portuguese SMS is UCS-2, and the page says why


def test_the_sms_checker_says_when_a_text_is_over_budget(world: World, coordinator: Client) -> None:
    url = f"/staff/campaigns/{world.campaign.uuid}/m/pathway/sexual-violence-72h/es/"
    page = coordinator.get(url, {"text": "Atención " * 30})
    html = page.content.decode()
    assert page.status_code == 200 and "ó" in html and "UCS-2" in html and "notice" in html
    too_long = coordinator.get(url, {"text": "x" * 3000})
    assert too_long.status_code == 400


def test_pdfs_and_texts_download(world: World, coordinator: Client) -> None:
    base = f"/staff/campaigns/{world.campaign.uuid}/m/pathway/sexual-violence-72h/es/"
    for fmt in ("card", "card-discreet", "poster-a4", "poster-a3-discreet"):
        response = coordinator.get(base + f"{fmt}.pdf")
        assert response.status_code == 200, fmt
        assert response["Content-Type"] == "application/pdf" and response.content.startswith(b"%PDF-")
        assert "attachment" in response["Content-Disposition"] and "no-store" in response["Cache-Control"]
    texts = coordinator.get(base + "texts.txt")
    body = texts.content.decode()
    # SMS, discreet SMS, WhatsApp, discreet WhatsApp, radio 30 s and 60 s
    assert texts.status_code == 200 and body.count("\n== ") == 6 and "== WhatsApp" in body and "155" in body
    assert coordinator.get(base + "poster-a5.pdf").status_code == 400
    assert coordinator.get(f"/staff/campaigns/{world.campaign.uuid}/m/pathway/eviction/es/").status_code == 400


def test_the_service_materials(world: World, coordinator: Client) -> None:
    base = f"/staff/campaigns/{world.campaign.uuid}/m/service/{world.sal.uuid}/en/"
    assert coordinator.get(base).status_code == 200
    assert coordinator.get(base + "card.pdf").status_code == 200


def test_the_reach_page_counts_visits_by_day_and_material(world: World, coordinator: Client) -> None:
    card = ShortLink.objects.get(campaign=world.campaign, kind="pathway", language="es", material=Material.CARD)
    sms = ShortLink.objects.get(campaign=world.campaign, kind="pathway", language="es", material=Material.SMS)
    for day, link, n in ((date(2026, 3, 1), card, 3), (date(2026, 3, 2), card, 1), (date(2026, 3, 2), sms, 2)):
        for _ in range(n):
            link_visit(link.pk, day)
    assert LinkDay.objects.count() == 3
    with translation.override("en"):
        page = coordinator.get(f"/staff/campaigns/{world.campaign.uuid}/reach/", HTTP_ACCEPT_LANGUAGE="en")
    html = page.content.decode()
    assert page.status_code == 200
    assert "6 visits in all" in html and "2026-03-01" in html and "not people" in html


def test_analysts_read_but_do_not_edit(world: World, verified_client_for: Callable[..., Client]) -> None:
    analyst = verified_client_for(world.analyst)
    assert analyst.get(f"/staff/campaigns/{world.campaign.uuid}/").status_code == 200
    assert analyst.get(f"/staff/campaigns/{world.campaign.uuid}/reach/").status_code == 200
    assert analyst.get(f"/staff/campaigns/{world.campaign.uuid}/edit/").status_code == 404


def test_another_organisations_campaign_is_a_404(world: World, verified_client_for: Callable[..., Client]) -> None:
    other = Organization.objects.create(name="Otra red")
    user = User.objects.create_user(username="otra@example.org", email="otra@example.org")
    Membership.objects.create(user=user, organization=other, role="coordinator")
    client = verified_client_for(user)
    base = f"/staff/campaigns/{world.campaign.uuid}/"
    for path in (
        "",
        "edit/",
        "reach/",
        "m/pathway/sexual-violence-72h/es/",
        "m/pathway/sexual-violence-72h/es/card.pdf",
    ):
        assert client.get(base + path).status_code == 404, path
    assert client.get(f"/staff/campaigns/sending/{world.org.uuid}/").status_code == 404
    assert world.campaign.name not in client.get("/staff/campaigns/").content.decode()
