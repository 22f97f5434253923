"""`amparo backup_keygen IDENTITY_FILE`: a new backup key pair (age X25519), the same format as `age-keygen`.

Run it on the machine where backups will be READ (not on the server): it writes the identity (private key) file
and prints the public key to put in BACKUP_RECIPIENT on the server."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from amparo.backup.archive import new_identity


class Command(BaseCommand):
    help = "Create a backup identity file (private key) and print its public key for BACKUP_RECIPIENT."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("identity", type=Path, help="Where to write the identity (private key); must not exist.")

    def handle(self, *args: Any, **options: Any) -> None:
        path = Path(options["identity"])
        text, public = new_identity()
        try:
            fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        except FileExistsError as exc:
            raise CommandError(f"{path} exists already: never overwrite an identity (old backups need it).") from exc
        except OSError as exc:
            raise CommandError(f"Cannot write {path}: {exc}") from exc
        with os.fdopen(fd, "w") as out:
            out.write(text)
        self.stdout.write(f"Identity written to {path} (keep it OFF the server, with a copy in a second place).")
        self.stdout.write(f"Public key, for BACKUP_RECIPIENT on the server: {public}")
