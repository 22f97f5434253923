from collections.abc import Iterable

from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _

from amparo.core.registry import DemoLoader


class InsightsConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "amparo.insights"
    verbose_name = _("Insights")

    def demo_loaders(self) -> Iterable[DemoLoader]:
        from .demo import load_demo_publication

        # After the cases (60) and every domain's demo data: the published figures count them.
        return (DemoLoader(95, "insights: published figures (four eyes)", load_demo_publication),)
