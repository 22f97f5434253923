"""Delete staff sign-in records past SIGNIN_LOG_RETENTION_DAYS (DESIGN.md rule 7). Run daily from a scheduler."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand

from amparo.accounts.services import signin_logs_purge


class Command(BaseCommand):
    help = "Delete sign-in logs older than SIGNIN_LOG_RETENTION_DAYS and failure counters past their lockout."

    def handle(self, *args: Any, **options: Any) -> None:
        deleted = signin_logs_purge()
        self.stdout.write(
            f"Purged {deleted['sign_ins']} sign-in(s), {deleted['failure_logs']} failure log(s), "
            f"{deleted['failure_counters']} failure counter(s)."
        )
