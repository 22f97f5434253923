from __future__ import annotations

from collections.abc import Iterable

from django.apps import AppConfig

from amparo.core.registry import DemoLoader


class PathwaysConfig(AppConfig):
    name = "amparo.pathways"
    label = "pathways"

    def demo_loaders(self) -> Iterable[DemoLoader]:
        from .demo import load_demo_pathways

        return (DemoLoader(20, "care pathways", load_demo_pathways),)
