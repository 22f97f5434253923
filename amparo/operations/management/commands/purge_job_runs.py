"""Delete the records of scheduled runs older than 90 days, a day for the jobs that run every minute (DESIGN.md rule
7: nothing kept longer than it serves). The scheduler runs it daily (amparo/operations/schedule.py).

    manage.py purge_job_runs
"""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand

from amparo.operations.services import RUNS_RETENTION_DAYS, job_runs_purge


class Command(BaseCommand):
    help = "Delete the records of scheduled runs older than 90 days (a day for the every-minute jobs)."

    def handle(self, *args: Any, **options: Any) -> None:
        self.stdout.write(
            f"Purged {job_runs_purge()} record(s) of scheduled runs older than {RUNS_RETENTION_DAYS} days."
        )
