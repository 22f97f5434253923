"""Move the short links' visit counts waiting in the shared cache to their day counters (issue 17, part 2;
amparo/campaigns/visits.py). Run every minute (the scheduler does); without a shared cache there is nothing to move.

    manage.py flush_link_visits
"""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand

from amparo.campaigns.visits import counts_in_cache, flush_visits


class Command(BaseCommand):
    help = "Move short-link visit counts from the shared cache to the database."

    def handle(self, *args: Any, **options: Any) -> None:
        if not counts_in_cache():
            self.stdout.write("No shared cache: visits are counted in the database, nothing to move.")
            return
        self.stdout.write(f"Moved {flush_visits()} visit(s) to the day counters.")
