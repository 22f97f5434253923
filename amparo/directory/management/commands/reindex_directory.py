"""Recompute every service's search text, masks and word summaries. Run it after an upgrade that changes the
taxonomy's everyday words (the release notes say so), or after editing services outside Amparo's own paths."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand

from amparo.directory.services import services_reindex


class Command(BaseCommand):
    help = "Recompute the search text of every service (after a change of the taxonomy's keywords)."

    def handle(self, *args: Any, **options: Any) -> None:
        self.stdout.write(f"Reindexed {services_reindex()} service(s).")
