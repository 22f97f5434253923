"""`amparo restore ARCHIVE --identity FILE`: an archive of `amparo backup` into an EMPTY deployment.

Every checksum is verified before anything is written; a database with tables or a storage folder with files is
refused. `--check` only decrypts and verifies (the drill that proves a backup can be read)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from amparo.backup.archive import BackupError, archive_check, restore_read


class Command(BaseCommand):
    help = "Restore a backup made by `amparo backup` into an empty database and empty storage folders."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("archive", type=Path)
        parser.add_argument("--identity", type=Path, required=True, help="The age identity (private key) file.")
        parser.add_argument("--check", action="store_true", help="Decrypt and verify only; change nothing.")
        parser.add_argument("--database", default="default", help="The database alias (default: default).")

    def handle(self, *args: Any, **options: Any) -> None:
        archive, identity = Path(options["archive"]), Path(options["identity"])
        try:
            if options["check"]:
                manifest = archive_check(archive, identity)
            else:
                manifest = restore_read(archive, identity, alias=options["database"])
        except BackupError as exc:
            raise CommandError(str(exc)) from exc
        except OSError as exc:  # a full disk, a folder it may not read: said plainly, not as a traceback
            raise CommandError(f"{type(exc).__name__}: {exc}") from exc
        files = manifest["files"]
        verb = "verified" if options["check"] else "restored"
        self.stdout.write(
            f"Archive of {manifest['created_at']} (Amparo {manifest['app_version']}) {verb}: {len(files)} file(s), "
            "every checksum correct."
        )
        if manifest.get("pending_migrations"):
            self.stdout.write(
                f"This code has {len(manifest['pending_migrations'])} migration(s) the archive lacks: run "
                "`amparo migrate` now."
            )
