"""The legal-date reminders, as a thin wrapper of the notifications (kept so that existing schedules keep working):

    manage.py remind_legal_deadlines [--days 7] [--dry-run] [--again]

It runs the legal part of `notify_due` (`today.services.legal_dates_notify`): a notice for each open deadline or
hearing due within --days or overdue, once per stage (coming up, last day, overdue), to the matter's lawyer while
she can still see the case, else the case's caseworkers. Each notice is e-mailed as its recipient chose (at once,
in the daily digest, or never) by the background worker (`manage.py db_worker`); the e-mail says only that a legal
date is coming up or overdue, with a link to the matter page (sign-in and 2FA): no case code, no party, no date.
`--dry-run` prints who would be told of which dates and creates nothing. `--again` also queues again the e-mails of
legal notices not yet sent nor read (after a mail outage). `notify_due` does all of this daily: schedule one or
the other for legal dates, not both (running both is harmless: a stage is notified once).
"""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils import formats, timezone

from amparo.access import cases_for_user
from amparo.cases.legal_services import legal_reminder_plan
from amparo.cases.models import LegalEvent
from amparo.today import services
from amparo.today.models import Kind


class Command(BaseCommand):
    help = "Notify each lawyer (or the case's caseworkers) of legal deadlines and hearings due within N days."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--days", type=int, default=7, help="How many days ahead (default 7; 1 to 365).")
        parser.add_argument("--dry-run", action="store_true", help="Print the plan, notify nobody.")
        parser.add_argument(
            "--again", action="store_true", help="Also queue again the e-mails of legal notices not yet sent."
        )
        parser.add_argument(
            "--base-url", default="", help="Ignored: e-mailed links use the BASE_URL setting (kept for old schedules)."
        )

    def handle(self, *args: Any, **options: Any) -> None:
        days = options["days"]
        if not 1 <= days <= 365:
            raise CommandError("--days must be between 1 and 365.")
        if options["base_url"]:
            self.stderr.write("--base-url is ignored: the e-mails of notices link to BASE_URL.")
        now = timezone.now()
        if options["dry_run"]:
            plan = legal_reminder_plan(days=days, cases_for_user=cases_for_user, now=now)
        else:
            plan = services.legal_dates_notify(days=days, cases_for_user=cases_for_user, now=now).plan
        events = {e.pk for r in plan for e in r.events}
        self.stdout.write(f"{len(events)} legal dates due within {days} days (overdue included); {len(plan)} people.")
        for reminder in plan:
            role = "lawyer" if reminder.as_lawyer else "caseworker"
            self.stdout.write(f"{reminder.user.email}  ({role})  {len(reminder.events)}")
            for event in reminder.events:
                self.stdout.write(f"  {self._line(event, now)}")
        if options["dry_run"]:
            self.stdout.write("Dry run: nobody notified.")
            return
        queued = services.email_again(kind=Kind.LEGAL_DEADLINE) if options["again"] else 0
        self.stdout.write(f"Notified; {queued} e-mails queued again." if options["again"] else "Notified.")

    def _line(self, event: LegalEvent, now: Any) -> str:
        """For the operator's terminal only (never in a notice or an e-mail)."""
        local = timezone.localtime(event.due_at)
        overdue = " (overdue)" if event.due_at < now else ""
        return (
            f"{formats.date_format(local, 'SHORT_DATETIME_FORMAT')}{overdue} · {event.matter.case.code} · "
            f"{event.matter.kind} · {event.kind}"
        )
