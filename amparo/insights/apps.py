from __future__ import annotations

from collections.abc import Iterable

from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _

from amparo.core.registry import DemoLoader


class InsightsConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "amparo.insights"
    verbose_name = _("Insights")

    def demo_loaders(self) -> Iterable[DemoLoader]:
        # The situation reports' demo (one report built at once) registers here at order 97, after every other
        # app's demo data.
        from .report_demo import load_demo_report

        return (DemoLoader(97, "insights: a situation report", load_demo_report),)
