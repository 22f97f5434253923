"""`amparo backup ARCHIVE`: one encrypted archive of the database and the storage folders (docs/operations.md)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError, CommandParser

from amparo.backup.archive import BackupError, backup_write


class Command(BaseCommand):
    help = "Write one encrypted backup (database and storage folders, never the keys) to BACKUP_RECIPIENT."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("archive", type=Path, help="The file to write (e.g. /backups/amparo-2026-12-04.age).")
        parser.add_argument(
            "--recipient", default="", help="An age public key (age1...) instead of the BACKUP_RECIPIENT setting."
        )
        parser.add_argument("--database", default="default", help="The database alias (default: default).")

    def handle(self, *args: Any, **options: Any) -> None:
        archive = Path(options["archive"])
        try:
            manifest = backup_write(
                archive, options["recipient"] or settings.BACKUP_RECIPIENT, alias=options["database"]
            )
        except BackupError as exc:
            raise CommandError(str(exc)) from exc
        except OSError as exc:  # a full disk, a folder it may not read: said plainly, not as a traceback
            raise CommandError(f"{type(exc).__name__}: {exc}") from exc
        files = manifest["files"]
        total = sum(item["size"] for item in files)
        self.stdout.write(
            f"Backup written to {archive}: {len(files)} file(s), {total} bytes before encryption, "
            f"{archive.stat().st_size} bytes encrypted ({manifest['database']['vendor']} database)."
        )
