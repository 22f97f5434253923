from __future__ import annotations

import os
import sys
import tempfile
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError, CommandParser

from amparo.directory.hsds.exporter import write_document


class Command(BaseCommand):
    help = "Write the whole directory as one Open Referral HSDS 3.0 JSON document (docs/hsds.md)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("file", help='Where to write the JSON document ("-" for standard output).')

    def handle(self, *args: object, **options: object) -> None:
        target = str(options["file"])
        if target == "-":
            write_document(sys.stdout)
            return
        path = Path(target)
        if path.is_dir():
            raise CommandError(f"{path} is a directory")
        # Write next to the target and rename, so a failed export never leaves half a file behind.
        try:
            fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent or Path("."))
        except OSError as exc:
            raise CommandError(f"cannot write {path}: {exc.strerror}") from None
        try:
            with os.fdopen(fd, "w", encoding="utf-8") as stream:
                counts = write_document(stream)
            os.replace(tmp, path)
        except BaseException:
            Path(tmp).unlink(missing_ok=True)
            raise
        summary = ", ".join(f"{n} {key}" for key, n in counts.items())
        self.stdout.write(f"Wrote {path}: {summary}.")
