from __future__ import annotations

from pathlib import Path

from django.core.management.base import BaseCommand, CommandError, CommandParser

from amparo.pathways.services import CONTENT_DIR, ContentError, content_load


class Command(BaseCommand):
    help = "Load the shipped care pathways and helplines (a file with a higher version replaces the stored one)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--dir", type=Path, default=CONTENT_DIR, help="Folder of content files.")
        parser.add_argument("--force", action="store_true", help="Replace pathways even at the same version.")

    def handle(self, *args: object, **options: object) -> None:
        try:
            lines, changed = content_load(options["dir"], force=bool(options["force"]))  # type: ignore[arg-type]
        except ContentError as exc:
            raise CommandError(str(exc)) from exc
        self.stdout.write(f"{lines} helplines, {changed} pathways loaded or updated.")
