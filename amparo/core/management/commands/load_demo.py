"""Load the demo: each app contributes its steps through its AppConfig (core.registry), so core imports no app."""

from __future__ import annotations

from django.core.management.base import BaseCommand, CommandParser

from amparo.core.registry import DemoRun, demo_loaders


class Command(BaseCommand):
    help = "Load the demo: places, a synthetic directory, the care pathways and demo staff accounts."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--reset", action="store_true", help="Delete the existing directory first.")

    def handle(self, *args: object, **options: object) -> None:
        run = DemoRun(reset=bool(options["reset"]), stdout=self.stdout)
        for loader in demo_loaders():
            loader.load(run)
        for line in run.closing:
            self.stdout.write(line)
