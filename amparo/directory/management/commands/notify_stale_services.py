"""E-mail whoever must re-verify stale services: a periodic job for cron, systemd timers or a Kubernetes CronJob.

    manage.py notify_stale_services [--dry-run] [--base-url https://amparo.example.org]

Who is asked (directory.selectors.reverification_plan): the staff accounts of the service's active focal points;
failing that, the coordinators of the member organisation linked to the service's directory entry; failing that,
the platform administrators. One plain-text e-mail per person, listing their services (public directory data only,
never survivor data). Prints a summary table and exits 0.
"""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.core.mail import send_mass_mail
from django.core.management.base import BaseCommand, CommandParser
from django.urls import reverse
from django.utils import formats, translation
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from amparo.directory.selectors import Reverifier, reverification_plan

MAX_SERVICES_PER_EMAIL = 100  # the rest are on the verification page, stale ones first
REASON_LABELS = {"focal_point": "focal point", "coordinator": "coordinator", "platform_admin": "platform admin"}


class Command(BaseCommand):
    help = "List services not verified for over STALE_AFTER_DAYS days and e-mail whoever must re-verify them."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--dry-run", action="store_true", help="Print the summary, send nothing.")
        parser.add_argument(
            "--base-url",
            default=settings.BASE_URL,
            help="Scheme and host of the staff site for the links in the e-mails (e.g. https://amparo.example.org).",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        base_url = str(options["base_url"] or "").rstrip("/")
        plan = reverification_plan()
        with translation.override(settings.LANGUAGE_CODE):
            messages = [self._message(r, base_url) for r in plan.reverifiers]
        sent = (
            0 if options["dry_run"] else (send_mass_mail(messages, fail_silently=False) or 0)
        )  # None: nothing to send

        self.stdout.write(
            f"{len(plan.services)} services not verified for over {settings.STALE_AFTER_DAYS} days; "
            f"{len(plan.reverifiers)} people to ask."
        )
        if plan.reverifiers:
            width = max(len(r.user.email) for r in plan.reverifiers)
            self.stdout.write(f"{'recipient':<{width}}  {'as':<30}  services")
            for r in plan.reverifiers:
                reasons = ", ".join(REASON_LABELS[x] for x in sorted(r.reasons))
                self.stdout.write(f"{r.user.email:<{width}}  {reasons:<30}  {len(r.services):>8}")
        for service in plan.unassigned:
            self.stderr.write(f"nobody to ask (no platform administrator): {service.uuid} {service.name}")
        if options["dry_run"]:
            self.stdout.write(f"Dry run: {len(messages)} e-mails not sent.")
        else:
            self.stdout.write(f"{sent} e-mails sent.")

    def _message(self, reverifier: Reverifier, base_url: str) -> tuple[str, str, str, list[str]]:
        user = reverifier.user
        count = len(reverifier.services)
        subject = ngettext("Amparo: %(count)d service to verify", "Amparo: %(count)d services to verify", count) % {
            "count": count
        }
        lines = [
            _("Hello %(name)s,") % {"name": user.display_name or user.email},
            "",
            ngettext(
                "This service in the Amparo directory has not been verified for over %(days)d days.",
                "These services in the Amparo directory have not been verified for over %(days)d days.",
                count,
            )
            % {"days": settings.STALE_AFTER_DAYS},
            _(
                "People rely on this information to find safe care: please confirm the facts with the entity "
                "and record them on the verification page."
            ),
            "",
        ]
        for service in reverifier.services[:MAX_SERVICES_PER_EMAIL]:
            verified = (
                formats.date_format(service.last_verified_on, "DATE_FORMAT") if service.last_verified_on else _("never")
            )
            lines.append(
                "- "
                + _("%(service)s (%(entity)s), last verified: %(date)s")
                % {"service": service.name, "entity": service.organization.name, "date": verified}
            )
            lines.append("  " + base_url + reverse("directory_staff:verify_service", args=[service.uuid]))
        if count > MAX_SERVICES_PER_EMAIL:
            lines.append(_("… and %(more)d more.") % {"more": count - MAX_SERVICES_PER_EMAIL})
        lines += [
            "",
            _("All the services you can verify: %(url)s") % {"url": base_url + reverse("directory_staff:verify_list")},
            "",
            _("You receive this message because you are a focal point, coordinator or administrator in Amparo."),
        ]
        return subject, "\n".join(lines) + "\n", settings.DEFAULT_FROM_EMAIL, [user.email]
