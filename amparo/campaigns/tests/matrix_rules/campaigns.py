"""Campaigns (issue 17, parts 1, 2 and 5): coordinators create, edit, set the sending webhook and send; coordinators,
caseworkers, legal advisors, enumerators and analysts of the organisation (and platform admins) read campaigns,
materials and reach (amparo/access/campaigns_access.py says why). Empty POSTs are 400 form errors."""

from __future__ import annotations

from datetime import date
from typing import Any

from amparo.accounts.roles import PLATFORM_ADMIN, Role
from amparo.accounts.tests.matrix_case import Case

READ = frozenset({Role.COORDINATOR, Role.CASEWORKER, Role.LEGAL_ADVISOR, Role.ENUMERATOR, Role.ANALYST, PLATFORM_ADMIN})
EDIT = frozenset({Role.COORDINATOR})


def _campaign(w: dict[str, object]) -> list[object]:
    return [w["campaign"].uuid]  # type: ignore[attr-defined]


def _material(w: dict[str, object]) -> list[object]:
    return [str(w["campaign"].uuid), "pathway", "sexual-violence-72h", "es"]  # type: ignore[attr-defined]


def _org(w: dict[str, object]) -> list[object]:
    return [w["org"].uuid]  # type: ignore[attr-defined]


EXPECTED: dict[str, Any] = {
    "campaigns:list": Case(READ),
    "campaigns:new": Case(EDIT),
    "campaigns:detail": Case(READ, _campaign),
    "campaigns:edit": Case(EDIT, _campaign),
    "campaigns:reach": Case(READ, _campaign),
    "campaigns:material": Case(READ, _material),
    "campaigns:material_texts": Case(READ, _material),
    "campaigns:material_pdf": Case(READ, lambda w: [*_material(w), "card"]),
    "campaigns:sending": Case(EDIT, _org),
    # An empty POST names no text to send: a 400 page, nothing sent.
    "campaigns:send": Case(EDIT, _campaign, "post", 400),
}
POSTS: dict[str, Any] = {
    "campaigns:new": Case(EDIT, method="post", ok=400),
    "campaigns:edit": Case(EDIT, _campaign, "post", 400),
    "campaigns:sending": Case(EDIT, _org, "post", 400),
}


def world(org: Any, users: dict[str, Any]) -> dict[str, object]:
    from django.core.management import call_command

    from amparo.campaigns.services import CampaignInput, campaign_create
    from amparo.pathways.models import Pathway

    if not Pathway.objects.filter(slug="sexual-violence-72h").exists():
        call_command("load_pathways", verbosity=0)
    campaign = campaign_create(
        actor=users[Role.COORDINATOR],
        organization=org,
        data=CampaignInput(
            name="Campaña (matriz)", objective="Difundir la ruta", starts_on=date(2026, 1, 1), ends_on=None,
            languages=["es"], channels=["card", "sms"], zone_types=[], groups=[], places=[],
            pathways=[Pathway.objects.get(slug="sexual-violence-72h")], services=[],
        ),
    )  # fmt: skip
    return {"campaign": campaign}
