"""Take this period's snapshot of every monitoring plan (for a scheduler: cron, a systemd timer).

    manage.py take_network_snapshots            # every plan with indicators
    manage.py take_network_snapshots --plan UUID

Run again in the same period, it replaces that period's snapshot with the current figures.
"""

from __future__ import annotations

from typing import Any
from uuid import UUID

from django.core.management.base import BaseCommand, CommandError, CommandParser

from amparo.networks.models import MonitoringPlan
from amparo.networks.monitoring import snapshots_take_all


class Command(BaseCommand):
    help = "Take this period's snapshot of every monitoring plan (or of one, with --plan)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--plan", help="the plan's UUID (default: every plan)")

    def handle(self, *args: Any, **options: Any) -> None:
        plans = MonitoringPlan.objects.select_related("place", "organization").order_by("pk")
        if options["plan"]:
            try:
                plans = plans.filter(uuid=UUID(options["plan"]))
            except ValueError as exc:
                raise CommandError(f"not a plan UUID: {options['plan']}") from exc
            if not plans.exists():
                raise CommandError(f"no monitoring plan {options['plan']}")
        taken = snapshots_take_all(plans)
        skipped = plans.count() - len(taken)
        self.stdout.write(f"{len(taken)} snapshots taken, {skipped} plans without indicators skipped")
