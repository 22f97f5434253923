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

    def ready(self) -> None:
        from django.db.models.signals import post_delete, post_save

        from amparo.directory.models import Service, ServiceAtLocation
        from amparo.pathways.models import Pathway

        from .models import ShortLink
        from .selectors import forget_link_destinations

        for model in (ShortLink, Pathway, Service, ServiceAtLocation):
            post_save.connect(forget_link_destinations, sender=model, dispatch_uid=f"links-{model.__name__}-save")
            post_delete.connect(forget_link_destinations, sender=model, dispatch_uid=f"links-{model.__name__}-delete")

    def demo_loaders(self) -> Iterable[DemoLoader]:
        from .bulletin_demo import load_demo_bulletin
        from .demo import load_demo_campaigns
        from .feedback_demo import load_feedback_demo

        return (
            DemoLoader(100, "campaigns: materials and short links", load_demo_campaigns),
            DemoLoader(105, "feedback on demo services (one flagged)", load_feedback_demo),
            DemoLoader(110, "campaigns: the bulletin and the library", load_demo_bulletin),
        )
