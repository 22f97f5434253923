from __future__ import annotations

from collections.abc import Iterable

from django.apps import AppConfig

from amparo.core.registry import DemoLoader


class NetworksConfig(AppConfig):
    name = "amparo.networks"
    label = "networks"
    verbose_name = "Protection networks"

    def demo_loaders(self) -> Iterable[DemoLoader]:
        # The networks' demo (ties, referral flows, a monitoring plan) registers here at order 80.
        from .demo import load_demo_network
        from .monitoring_demo import load_demo_monitoring

        return (
            DemoLoader(80, "networks", load_demo_network),
            DemoLoader(85, "networks: a monitoring plan for Cúcuta", load_demo_monitoring),
        )
