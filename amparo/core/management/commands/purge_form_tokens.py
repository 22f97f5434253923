"""Delete one-time form tokens older than a day (core/once.py; DESIGN.md rule 7). Run daily from a scheduler.

    manage.py purge_form_tokens

A token lives only to recognise a resubmitted create form for 24 hours; after that it and the keyed fingerprint of
what was sent are hard-deleted, and the deletion is recorded in the audit log (`core.form_tokens.purge`, counts only).
"""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand

from amparo.core import once


class Command(BaseCommand):
    help = "Delete one-time form tokens (and their fingerprints) spent more than 24 hours ago."

    def handle(self, *args: Any, **options: Any) -> None:
        deleted = once.purge()
        hours = int(once.WINDOW.total_seconds() // 3600)
        self.stdout.write(f"Purged {deleted} one-time form token(s) older than {hours} hours.")
