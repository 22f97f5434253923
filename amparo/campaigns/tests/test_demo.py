"""The campaigns' demo step: Red Violeta's campaign with cards, posters, texts, radio scripts and reach counts."""

from __future__ import annotations

import io

import pytest
from django.core.management.base import OutputWrapper

from amparo.accounts.demo import load_demo_staff
from amparo.campaigns import demo, materials
from amparo.campaigns.models import Campaign, LinkDay
from amparo.campaigns.selectors import reach, targets
from amparo.core.registry import DemoRun

pytestmark = pytest.mark.django_db


def test_the_demo_has_a_campaign_with_every_material_and_reach(demo_directory: None) -> None:
    load_demo_staff()
    out = io.StringIO()
    demo.load_demo_campaigns(DemoRun(reset=False, stdout=OutputWrapper(out)))
    demo.load_demo_campaigns(DemoRun(reset=False, stdout=OutputWrapper(io.StringIO())))  # idempotent
    campaign = Campaign.objects.get(name=demo.DEMO_CAMPAIGN)
    assert campaign.channels == ["card", "poster", "sms", "whatsapp", "radio"]
    assert [t.kind for t in targets(campaign)] == ["pathway", "pathway", "service"]
    assert LinkDay.objects.filter(link__campaign=campaign).exists()
    found = reach(campaign)
    assert found.total > 0 and len(found.by_material) == 6
    content = materials.content_for(campaign, "pathway", "sti-hiv-covid", "pt")
    assert materials.card_pdf(campaign, content, "https://x.example.org/r/abc").startswith(b"%PDF-")
    assert "visits over 21 days" in out.getvalue()
