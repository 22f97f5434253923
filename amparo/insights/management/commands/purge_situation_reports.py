"""Hard-delete situation reports older than INSIGHTS_REPORTS_RETENTION_DAYS (DESIGN.md rule 7), and record the
builds cut short (still "being built" after INSIGHTS_REPORT_BUILD_TIMEOUT_MINUTES) as failed, "interrupted". Run
daily (hourly if builds are many).

    manage.py purge_situation_reports [--dry-run]

Each deletion is recorded in the audit log (`insights.report.purge`, a count per organisation, never content), each
interrupted build as a failed build (`insights.report.build`).
"""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandParser

from amparo.insights.report_services import reports_purge, reports_recover


class Command(BaseCommand):
    help = "Delete situation reports requested more than INSIGHTS_REPORTS_RETENTION_DAYS ago."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--dry-run", action="store_true", help="count them, delete nothing")

    def handle(self, *args: Any, **options: Any) -> None:
        if not options["dry_run"]:
            recovered = reports_recover()
            if recovered:
                self.stdout.write(f"Recorded {recovered} interrupted build(s) as failed; they can be asked again.")
        count = reports_purge(dry_run=options["dry_run"])
        verb = "Would purge" if options["dry_run"] else "Purged"
        days = settings.INSIGHTS_REPORTS_RETENTION_DAYS
        self.stdout.write(f"{verb} {count} situation report(s) older than {days} days.")
