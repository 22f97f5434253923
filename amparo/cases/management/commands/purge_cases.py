"""Hard-delete cases closed longer ago than CASES_RETENTION_DAYS (DESIGN.md rule 7). Run daily from a scheduler."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand

from amparo.cases.services import purge_closed_cases


class Command(BaseCommand):
    help = "Delete cases closed longer ago than CASES_RETENTION_DAYS, with everything attached to them."

    def handle(self, *args: Any, **options: Any) -> None:
        self.stdout.write(f"Purged {purge_closed_cases()} closed case(s).")
