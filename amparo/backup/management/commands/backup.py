"""`amparo backup ARCHIVE`: one encrypted archive of the database and the storage folders (docs/operations.md)."""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils import timezone

from amparo.backup.archive import BackupError, backup_write


class Command(BaseCommand):
    help = "Write one encrypted backup (database and storage folders, never the keys) to BACKUP_RECIPIENT."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "archive", type=Path, nargs="?", help="The file to write (e.g. /backups/amparo-2026-12-04.age)."
        )
        parser.add_argument(
            "--scheduled",
            action="store_true",
            help="Write amparo-<time>.age into BACKUP_DIR and delete its archives older than BACKUP_KEEP_DAYS "
            "(the scheduler's job; does nothing, and says so, while BACKUP_DIR or BACKUP_RECIPIENT is empty).",
        )
        parser.add_argument(
            "--recipient", default="", help="An age public key (age1...) instead of the BACKUP_RECIPIENT setting."
        )
        parser.add_argument("--database", default="default", help="The database alias (default: default).")

    def handle(self, *args: Any, **options: Any) -> None:
        if options["scheduled"]:
            if not (settings.BACKUP_DIR and (options["recipient"] or settings.BACKUP_RECIPIENT)):
                self.stdout.write("Backups are not configured (BACKUP_DIR, BACKUP_RECIPIENT): nothing written.")
                return
            folder = Path(settings.BACKUP_DIR)
            folder.mkdir(parents=True, exist_ok=True)
            archive = folder / f"amparo-{timezone.now():%Y%m%dT%H%M%SZ}.age"
        elif options["archive"] is None:
            raise CommandError("Name the archive to write, or use --scheduled.")
        else:
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
        if options["scheduled"]:
            deleted = prune_archives(archive.parent, settings.BACKUP_KEEP_DAYS, keep=archive)
            self.stdout.write(
                f"1 archive written, {deleted} archive(s) older than {settings.BACKUP_KEEP_DAYS} days deleted."
            )


def prune_archives(folder: Path, keep_days: int, keep: Path) -> int:
    """Delete this command's own scheduled archives (amparo-*.age) older than keep_days; never another file."""
    cutoff = time.time() - keep_days * 24 * 60 * 60
    deleted = 0
    for path in folder.glob("amparo-*.age"):
        if path != keep and path.is_file() and path.stat().st_mtime < cutoff:
            path.unlink()
            deleted += 1
    return deleted
