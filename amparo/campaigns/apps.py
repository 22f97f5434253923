from __future__ import annotations

from collections.abc import Iterable

from django.apps import AppConfig

from amparo.core.registry import DemoLoader


class CampaignsConfig(AppConfig):
    """Campaigns, community-led monitoring of services, and support between organisations (issue 17;
    docs/campaigns.md)."""

    name = "amparo.campaigns"
    label = "campaigns"
    verbose_name = "Campaigns"

    def demo_loaders(self) -> Iterable[DemoLoader]:
        from .bulletin_demo import load_demo_bulletin
        from .demo import load_demo_campaigns
        from .feedback_demo import load_feedback_demo

        return (
            DemoLoader(100, "campaigns: materials and short links", load_demo_campaigns),
            DemoLoader(105, "feedback on demo services (one flagged)", load_feedback_demo),
            DemoLoader(110, "campaigns: the bulletin and the library", load_demo_bulletin),
        )
