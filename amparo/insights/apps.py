from collections.abc import Iterable

from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _

from amparo.core.registry import DemoLoader


class InsightsConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "amparo.insights"
    verbose_name = _("Insights")

    def demo_loaders(self) -> Iterable[DemoLoader]:
        from .demo import load_demo_insights
        from .publication_demo import load_demo_publication
        from .report_demo import load_demo_report

        return (
            # After the cases (60), referrals and networks (80): synthetic consented records with agreements.
            DemoLoader(90, "insights: statistics for the dashboards", load_demo_insights),
            # After every domain's demo data: the published figures count them.
            DemoLoader(95, "insights: published figures (four eyes)", load_demo_publication),
            # One situation report, built at once from all of the above.
            DemoLoader(97, "insights: a situation report", load_demo_report),
        )
