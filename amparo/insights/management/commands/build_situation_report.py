"""Build a situation report now (for a scheduler: cron, a systemd timer, a Kubernetes CronJob).

    manage.py build_situation_report --scope region --period 2026-01..2026-06 --language es
    manage.py build_situation_report --scope country:CO --period 2026-01..2026-06 --language en [--organisation UUID]
    manage.py build_situation_report --scope org:<organisation UUID> --period 2026-03 --language pt

An organisation's report belongs to it (its coordinators and analysts see it in the list); a country's or the
region's report belongs to `--organisation` if given, else to no organisation (platform administrators see it).
The report is built in this process (no worker needed) and kept with its parameters; a report that cannot be built
is kept as failed with the reason, and the command exits with an error saying it.
"""

from __future__ import annotations

import time
from typing import Any
from uuid import UUID

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils import translation

from amparo.accounts.models import Organization
from amparo.insights.models import ReportScope, ReportStatus
from amparo.insights.report_services import ReportRequest, report_build, report_request
from amparo.insights.reports import (
    ReportInputError,
    check_country,
    organization_for_scope,
    parse_period,
    parse_scope,
)


class Command(BaseCommand):
    help = "Build a situation report (PDF) for a scope and a period of whole months, and keep it."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--scope", required=True, help="region, country:CO or org:<organisation UUID>")
        parser.add_argument("--period", required=True, help="first..last month, e.g. 2026-01..2026-06 (at most 24)")
        parser.add_argument("--language", default=settings.LANGUAGE_CODE, help="es, en or pt (default: es)")
        parser.add_argument("--organisation", default="", help="the organisation a country or region report is for")

    def handle(self, *args: Any, **options: Any) -> None:
        with translation.override("en"):  # the operator's messages; the report is in --language
            request, owner = self._request(options)
        report = report_request(actor=None, organization=owner, request=request)
        started = time.perf_counter()
        built = report_build(report.pk)
        seconds = time.perf_counter() - started
        assert built is not None
        if built.status != ReportStatus.BUILT:
            with translation.override("en"):
                raise CommandError(f"situation report {built.uuid} was not built: {built.failure_text}")
        self.stdout.write(
            f"Built situation report {built.uuid}: {len(built.tables)} tables, {built.pdf_bytes} bytes of PDF, "
            f"in {seconds:.2f} s."
        )

    def _request(self, options: dict[str, Any]) -> tuple[ReportRequest, Organization | None]:
        languages = {code for code, _name in settings.LANGUAGES}
        if options["language"] not in languages:
            raise CommandError(f"unknown language {options['language']!r}: one of {', '.join(sorted(languages))}")
        try:
            scope = parse_scope(options["scope"])
            start, end = parse_period(options["period"])
            country = check_country(scope.country) if scope.kind == ReportScope.COUNTRY else ""
        except ReportInputError as error:
            raise CommandError(str(error)) from None
        scope_organization = organization_for_scope(scope)
        if scope.kind == ReportScope.ORGANISATION and scope_organization is None:
            raise CommandError(f"no organisation {scope.organization_uuid!r}")
        owner = scope_organization
        if options["organisation"]:
            if scope.kind == ReportScope.ORGANISATION:
                raise CommandError("--organisation is for country and region reports (org: names it already)")
            try:
                owner = Organization.objects.filter(uuid=UUID(options["organisation"])).first()
            except ValueError:
                owner = None
            if owner is None:
                raise CommandError(f"no organisation {options['organisation']!r}")
        request = ReportRequest(
            scope_kind=scope.kind,
            start=start,
            end=end,
            language=options["language"],
            scope_organization=scope_organization,
            country=country,
        )
        return request, owner
