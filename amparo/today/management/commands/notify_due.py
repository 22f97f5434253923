"""The notifications' daily job, for cron, systemd timers or a Kubernetes CronJob:

    manage.py notify_due [--days 2]

- a notification (badge, notifications page) for each legal deadline or hearing due within --days or overdue, to
  whoever `remind_legal_deadlines` e-mails (the lawyer while she can still see the case, else its caseworkers), once
  per stage (coming up, overdue);
- a daily-digest e-mail task for each person who chose it;
- read notifications older than 90 days deleted (DESIGN.md rule 7).
Run `manage.py db_worker` for the e-mails to go out.
"""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.urls import reverse
from django.utils import timezone

from amparo.access import cases_for_user
from amparo.cases.legal_services import legal_reminder_plan
from amparo.today import services
from amparo.today.models import Kind
from amparo.today.tasks import email_digest


class Command(BaseCommand):
    help = "Notify legal dates coming up, enqueue the daily digests, purge old read notifications."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--days", type=int, default=2, help="How many days ahead (default 2; 1 to 30).")

    def handle(self, *args: Any, **options: Any) -> None:
        days = options["days"]
        if not 1 <= days <= 30:
            raise CommandError("--days must be between 1 and 30.")
        now = timezone.now()
        notified = 0
        for reminder in legal_reminder_plan(days=days, cases_for_user=cases_for_user, now=now, again=True):
            for event in reminder.events:
                stage = "overdue" if event.due_at < now else "ahead"
                notified += len(
                    services.notify(
                        kind=Kind.LEGAL_DEADLINE,
                        key=f"legal:{event.pk}:{stage}",
                        path=reverse("legal:matter", args=[event.matter.uuid]),
                        recipients=[reminder.user],
                    )
                )
        digests = services.digest_recipients()
        for user_id in digests:
            email_digest.enqueue(user_id)
        purged = services.notifications_purge(now)
        self.stdout.write(
            f"{notified} legal-date notices; {len(digests)} digests queued; {purged} old notices deleted."
        )
