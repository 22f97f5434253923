from collections.abc import Iterable

from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _

from amparo.core.registry import DemoLoader


class InsightsConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "amparo.insights"
    verbose_name = _("Insights")

    def demo_loaders(self) -> Iterable[DemoLoader]:
        # After the cases (60), referrals and networks (80): synthetic consented records with agreements.
        from .demo import load_demo_insights

        return (DemoLoader(90, "insights: statistics for the dashboards", load_demo_insights),)
