from __future__ import annotations

import time

from django.core.management.base import BaseCommand, CommandError, CommandParser

from amparo.directory.demo import build_directory
from amparo.directory.models import Organization


class Command(BaseCommand):
    help = "Build a large synthetic directory (for benchmarks): N services spread over the demo places."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--services", type=int, required=True)
        parser.add_argument("--seed", type=int, default=7)
        parser.add_argument("--reset", action="store_true", help="Delete the existing directory first.")

    def handle(self, *args: object, **options: object) -> None:
        n = int(options["services"])  # type: ignore[call-overload]
        if not 1 <= n <= 5_000_000:
            raise CommandError("--services must be between 1 and 5,000,000")
        started = time.perf_counter()
        if options["reset"]:
            Organization.objects.all().delete()
        count = build_directory(services=n, seed=int(options["seed"]))  # type: ignore[call-overload]
        self.stdout.write(f"{count} services generated in {time.perf_counter() - started:.1f} s.")
