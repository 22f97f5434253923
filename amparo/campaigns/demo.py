"""The campaigns' step of the demo (order 100, after the accounts and pathways): Red Violeta's campaign in Cúcuta,
on every channel and in three languages, pointing to the 72-hour pathway, STI/HIV care and one service, with the
short links' visits of the last three weeks (made-up counts, as the rest of the demo)."""

from __future__ import annotations

import random
from datetime import timedelta

from django.db import transaction
from django.utils import timezone

from amparo.accounts.models import Membership, Organization
from amparo.core.registry import DemoRun
from amparo.directory.models import Place, ServiceAtLocation
from amparo.pathways.models import Pathway

from .models import Campaign, LinkDay, Material, ShortLink
from .services import CampaignInput, campaign_create

DEMO_CAMPAIGN = "Noches seguras Cúcuta (demo)"
DEMO_ORGANISATION = "Red Violeta (demo)"
# Visits per day on average, by material: cards and the SMS reach more than posters.
DEMO_DAILY: dict[str, int] = {
    Material.CARD: 6,
    Material.CARD_DISCREET: 4,
    Material.POSTER: 2,
    Material.POSTER_DISCREET: 1,
    Material.SMS: 5,
    Material.WHATSAPP: 3,
}


@transaction.atomic
def load_demo_campaigns(run: DemoRun) -> None:
    organization = Organization.objects.filter(name=DEMO_ORGANISATION).first()
    if organization is None or Campaign.objects.filter(name=DEMO_CAMPAIGN).exists():
        return
    coordinator = (
        Membership.objects.filter(organization=organization, role="coordinator", active=True)
        .select_related("user")
        .first()
    )
    pathways = list(Pathway.objects.filter(slug__in=["sexual-violence-72h", "sti-hiv-covid"]))
    service = (
        ServiceAtLocation.objects.filter(
            place__pcode="CO54001", service__status="active", service__sex_worker_friendly=True
        )
        .exclude(service__phone="")
        .order_by("pk")
        .first()
    )
    today = timezone.localdate()
    campaign = campaign_create(
        actor=coordinator.user if coordinator else None,
        organization=organization,
        data=CampaignInput(
            name=DEMO_CAMPAIGN,
            objective=(
                "Que las trabajadoras sexuales y las mujeres trans de Cúcuta sepan qué hacer en las primeras 72 horas "
                "después de una violencia sexual, y dónde hacerse pruebas de VIH e ITS sin documentos."
            ),
            starts_on=today - timedelta(days=21),
            ends_on=today + timedelta(days=70),
            languages=["es", "en", "pt"],
            channels=["card", "poster", "sms", "whatsapp", "radio"],
            zone_types=["border", "urban"],
            groups=["sex_workers", "trans_women", "migrants"],
            places=list(Place.objects.filter(pcode="CO54001")),
            pathways=pathways,
            services=[service] if service else [],
            sms_segments=2,
        ),
    )
    rng = random.Random(17)  # noqa: S311 - made-up demo counts, not a secret
    rows = []
    for link in ShortLink.objects.filter(campaign=campaign):
        mean = DEMO_DAILY.get(link.material, 1) * (1.0 if link.language == "es" else 0.3)
        for back in range(21):
            visits = max(0, round(rng.gauss(mean, mean / 2)))
            if visits:
                rows.append(LinkDay(link=link, day=today - timedelta(days=back), visits=visits))
    LinkDay.objects.bulk_create(rows)
    total = sum(r.visits for r in rows)
    run.say(f"Campaign “{DEMO_CAMPAIGN}”: {campaign.links.count()} short links, {total} visits over 21 days.")
