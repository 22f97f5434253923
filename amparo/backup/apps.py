from django.apps import AppConfig


class BackupConfig(AppConfig):
    """`amparo backup` and `amparo restore` (docs/operations.md): one encrypted archive of the database and of the
    storage folders that the apps register (core.registry.storage_dirs), never the keys."""

    name = "amparo.backup"
    label = "backup"
    verbose_name = "Backup and restore"
