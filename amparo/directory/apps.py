from __future__ import annotations

from collections.abc import Iterable

from django.apps import AppConfig
from django.db.models.signals import post_migrate

from amparo.core.registry import DemoLoader


class DirectoryConfig(AppConfig):
    name = "amparo.directory"
    label = "directory"

    def ready(self) -> None:
        from .search_index import repair_after_migrate

        post_migrate.connect(repair_after_migrate, sender=self, dispatch_uid="directory-search-index")

    def demo_loaders(self) -> Iterable[DemoLoader]:
        from .demo import load_demo_directory, load_demo_focal_point_links

        return (
            DemoLoader(10, "directory", load_demo_directory),
            DemoLoader(40, "directory: focal points of the demo accounts", load_demo_focal_point_links),
        )
