"""Hard-delete safe-channel reports past their retention (DESIGN.md rule 7). Run daily from a scheduler."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand

from amparo.safechannel.services import purge_expired


class Command(BaseCommand):
    help = "Delete expired safe-channel reports, their messages and attachment files, and expired sessions."

    def handle(self, *args: Any, **options: Any) -> None:
        purged = purge_expired()
        self.stdout.write(f"Purged {purged} expired report(s).")
