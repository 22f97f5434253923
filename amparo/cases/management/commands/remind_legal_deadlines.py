"""E-mail the legal deadlines and hearings coming up: a periodic job for cron, systemd timers or a Kubernetes CronJob.

    manage.py remind_legal_deadlines [--days 7] [--dry-run] [--again] [--base-url https://amparo.example.org]

Each date is e-mailed once per stage (legal_services.reminder_stage): when it comes within --days, on its last
day, and when it becomes overdue; run it daily. --again sends every date due, reminded or not (after a mail outage).

Who is reminded (cases.legal_services.legal_reminder_plan): the matter's lawyer while they can still see the case;
otherwise the case's caseworkers. Overdue open dates are included. The e-mail holds no identifying data: the
pseudonymous case code, the kind of matter and of date, the date and a link to the matter page (which asks for
sign-in and 2FA). Never parties, descriptions or outcomes. The run is audited (counts only).
"""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.core.mail import send_mass_mail
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.urls import reverse
from django.utils import formats, timezone, translation
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from amparo.access import cases_for_user
from amparo.cases.legal_services import Reminder, legal_reminder_plan, legal_reminders_sent
from amparo.cases.models import LegalEvent


class Command(BaseCommand):
    help = "E-mail each lawyer (or the case's caseworkers) the legal deadlines and hearings due within N days."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--days", type=int, default=7, help="How many days ahead (default 7; 1 to 365).")
        parser.add_argument("--dry-run", action="store_true", help="Print the plan, send nothing.")
        parser.add_argument(
            "--again", action="store_true", help="Include dates already reminded at their current stage."
        )
        parser.add_argument(
            "--base-url",
            default=settings.BASE_URL,
            help="Scheme and host of the staff site for the links (e.g. https://amparo.example.org).",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        days = options["days"]
        if not 1 <= days <= 365:
            raise CommandError("--days must be between 1 and 365.")
        base_url = str(options["base_url"] or "").rstrip("/")
        now = timezone.now()
        plan = legal_reminder_plan(days=days, cases_for_user=cases_for_user, now=now, again=options["again"])
        with translation.override(settings.LANGUAGE_CODE):
            messages = [self._message(r, base_url, now) for r in plan]
        sent = 0 if options["dry_run"] else send_mass_mail(messages, fail_silently=False)
        if not options["dry_run"]:
            legal_reminders_sent(reminders=plan, sent=sent, now=now)

        events = {e.pk for r in plan for e in r.events}
        self.stdout.write(f"{len(events)} legal dates due within {days} days (overdue included); {len(plan)} people.")
        for reminder in plan:
            role = "lawyer" if reminder.as_lawyer else "caseworker"
            self.stdout.write(f"{reminder.user.email}  ({role})  {len(reminder.events)}")
            for event in reminder.events:
                self.stdout.write(f"  {self._line(event, now)}")
        if options["dry_run"]:
            self.stdout.write(f"Dry run: {len(messages)} e-mails not sent.")
        else:
            self.stdout.write(f"{sent} e-mails sent.")

    def _line(self, event: LegalEvent, now: Any) -> str:
        local = timezone.localtime(event.due_at)
        overdue = " " + _("(overdue)") if event.due_at < now else ""
        return (
            f"{formats.date_format(local, 'SHORT_DATETIME_FORMAT')}{overdue} · {event.matter.case.code} · "
            f"{event.matter.get_kind_display()} · {event.get_kind_display()}"
        )

    def _message(self, reminder: Reminder, base_url: str, now: Any) -> tuple[str, str, str, list[str]]:
        user = reminder.user
        count = len(reminder.events)
        subject = ngettext("Amparo: %(count)d legal date coming up", "Amparo: %(count)d legal dates coming up", count)
        lines = [
            _("Hello %(name)s,") % {"name": user.display_name or user.email},
            "",
            ngettext(
                "This legal deadline or hearing of your cases is coming up:",
                "These legal deadlines and hearings of your cases are coming up:",
                count,
            ),
            "",
        ]
        for event in reminder.events:
            lines.append("- " + self._line(event, now))
            lines.append("  " + base_url + reverse("legal:matter", args=[event.matter.uuid]))
        lines += [
            "",
            _("All your upcoming legal dates: %(url)s") % {"url": base_url + reverse("legal:upcoming")},
            "",
            _("When a date is met, mark it done on the matter page so the reminders stop."),
        ]
        return subject % {"count": count}, "\n".join(lines) + "\n", settings.DEFAULT_FROM_EMAIL, [user.email]
