from django.apps import AppConfig
from django.db.models.signals import post_migrate


class DirectoryConfig(AppConfig):
    name = "amparo.directory"
    label = "directory"

    def ready(self) -> None:
        from .search_index import repair_after_migrate

        post_migrate.connect(repair_after_migrate, sender=self, dispatch_uid="directory-search-index")
