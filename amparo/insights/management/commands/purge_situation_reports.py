"""Hard-delete situation reports older than INSIGHTS_REPORTS_RETENTION_DAYS (DESIGN.md rule 7). Run daily.

    manage.py purge_situation_reports [--dry-run]

Each deletion is recorded in the audit log (`insights.report.purge`, a count per organisation, never content).
"""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandParser

from amparo.insights.report_services import reports_purge


class Command(BaseCommand):
    help = "Delete situation reports requested more than INSIGHTS_REPORTS_RETENTION_DAYS ago."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--dry-run", action="store_true", help="count them, delete nothing")

    def handle(self, *args: Any, **options: Any) -> None:
        count = reports_purge(dry_run=options["dry_run"])
        verb = "Would purge" if options["dry_run"] else "Purged"
        days = settings.INSIGHTS_REPORTS_RETENTION_DAYS
        self.stdout.write(f"{verb} {count} situation report(s) older than {days} days.")
