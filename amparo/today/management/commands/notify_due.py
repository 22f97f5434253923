"""The notifications' daily job, for cron, systemd timers or a Kubernetes CronJob:

    manage.py notify_due [--days 7]

- a notification for each open legal deadline or hearing due within --days or overdue, to the matter's lawyer while
  she can still see the case (else the case's caseworkers), once per stage (coming up, last day, overdue), e-mailed
  like every notice as each person chose: at once, in the daily digest, or never (`services.legal_dates_notify`);
- a daily-digest e-mail task for each person who chose it;
- read notifications older than 90 days deleted (DESIGN.md rule 7).
Run `manage.py db_worker` for the e-mails to go out.
"""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils import timezone

from amparo.access import cases_for_user
from amparo.today import services
from amparo.today.tasks import email_digest

DEFAULT_LEGAL_DAYS = 7  # a week's notice of a hearing or a deadline, as the reminder e-mails always gave


class Command(BaseCommand):
    help = "Notify legal dates coming up, enqueue the daily digests, purge old read notifications."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--days", type=int, default=DEFAULT_LEGAL_DAYS, help="How many days ahead for legal dates (default 7)."
        )

    def handle(self, *args: Any, **options: Any) -> None:
        days = options["days"]
        if not 1 <= days <= 365:
            raise CommandError("--days must be between 1 and 365.")
        now = timezone.now()
        legal = services.legal_dates_notify(days=days, cases_for_user=cases_for_user, now=now)
        digests = services.digest_recipients()
        for user_id in digests:
            email_digest.enqueue(user_id)
        purged = services.notifications_purge(now)
        self.stdout.write(
            f"{legal.created} legal-date notices; {len(digests)} digests queued; {purged} old notices deleted."
        )
