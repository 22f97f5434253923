"""A campaign world for the campaigns' tests: the demo directory and pathways, an organisation with a coordinator
and an analyst, and a campaign in three languages on every channel, pointing to the 72-hour pathway and to one
service in Cúcuta."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

import pytest

from amparo.accounts.models import Membership, Organization, User
from amparo.campaigns.models import Campaign
from amparo.campaigns.services import CampaignInput, campaign_create
from amparo.directory.models import Place, ServiceAtLocation
from amparo.pathways.models import Pathway

CUCUTA = "CO54001"


@dataclass
class World:
    org: Organization
    coordinator: User
    analyst: User
    campaign: Campaign
    sal: ServiceAtLocation


def campaign_input(**changes: object) -> CampaignInput:
    sal = (
        ServiceAtLocation.objects.filter(place__pcode=CUCUTA, service__status="active")
        .exclude(service__phone="")
        .order_by("pk")
        .first()
    )
    fields: dict[str, object] = {
        "name": "Noches seguras Cúcuta",
        "objective": "Que las compañeras sepan qué hacer en las primeras 72 horas.",
        "starts_on": date(2026, 1, 1),
        "ends_on": date(2026, 12, 31),
        "languages": ["es", "en", "pt"],
        "channels": ["card", "poster", "sms", "whatsapp", "radio"],
        "zone_types": ["border"],
        "groups": ["sex_workers", "migrants"],
        "places": [Place.objects.get(pcode=CUCUTA)],
        "pathways": [Pathway.objects.get(slug="sexual-violence-72h")],
        "services": [sal] if sal else [],
        "sms_segments": 2,
    }
    fields.update(changes)
    return CampaignInput(**fields)  # type: ignore[arg-type]


@pytest.fixture
def world(demo_directory: None) -> World:
    org = Organization.objects.create(name="Red Violeta (campañas)")
    coordinator = User.objects.create_user(username="coord@example.org", email="coord@example.org")
    analyst = User.objects.create_user(username="analyst@example.org", email="analyst@example.org")
    Membership.objects.create(user=coordinator, organization=org, role="coordinator")
    Membership.objects.create(user=analyst, organization=org, role="analyst")
    data = campaign_input()
    campaign = campaign_create(actor=coordinator, organization=org, data=data)
    return World(org=org, coordinator=coordinator, analyst=analyst, campaign=campaign, sal=data.services[0])
