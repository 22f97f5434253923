"""Hard-delete survey submissions older than their form's retention (DESIGN.md rule 7). Run daily from a scheduler.

    manage.py purge_surveys [--dry-run]

Each form keeps its submissions `retention_days` days after they were received (default `SURVEYS_RETENTION_DAYS`).
The deletion takes their attachments with them and is recorded in the audit log with counts per form
(`survey.purge`). `--dry-run` prints what would go and deletes nothing.
"""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandParser

from amparo.surveys.retention import purge_expired


class Command(BaseCommand):
    help = "Delete survey submissions (with their attachments) older than their form's retention period."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--dry-run", action="store_true", help="count what would be deleted; delete nothing")

    def handle(self, *args: Any, **options: Any) -> None:
        dry_run = options["dry_run"]
        results = purge_expired(dry_run=dry_run)
        verb = "Would purge" if dry_run else "Purged"
        for count in results:
            self.stdout.write(
                f"{verb} {count.submissions} submission(s) and {count.attachments} attachment(s) of form "
                f"{count.form.form_id} ({count.form.uuid}), older than {count.form.retention_days} days."
            )
        total = sum(count.submissions for count in results)
        self.stdout.write(f"{verb} {total} survey submission(s) in {len(results)} form(s).")
