"""Hard-delete the anonymous answers about services whose visit is older than FEEDBACK_RETENTION_MONTHS, and the
alerts whose window ended before then (DESIGN.md rule 7). Run monthly (or daily: it is cheap and idempotent).

    manage.py purge_service_feedback [--dry-run]

The deletion is recorded in the audit log (`campaigns.feedback.purge`: counts and the cutoff month, never content).
"""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandParser

from amparo.campaigns.feedback_services import feedback_purge, retention_cutoff


class Command(BaseCommand):
    help = "Delete answers about services whose visit is older than FEEDBACK_RETENTION_MONTHS."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--dry-run", action="store_true", help="count them, delete nothing")

    def handle(self, *args: Any, **options: Any) -> None:
        purged = feedback_purge(dry_run=options["dry_run"])
        verb = "Would purge" if options["dry_run"] else "Purged"
        self.stdout.write(
            f"{verb} {purged.answers} answer(s) about visits before {retention_cutoff():%Y-%m} and {purged.alerts} "
            f"alert(s) (retention {settings.FEEDBACK_RETENTION_MONTHS} months)."
        )
