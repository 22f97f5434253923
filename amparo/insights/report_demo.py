"""The situation reports' part of the demo (load_demo step 97): one report of the demo organisation for the last
six months, built at once (no worker needed), so the demo has a PDF to download at /staff/insights/reports/.
It comes after the other apps' demo data (cases at 60, surveys at 70, networks at 80-85, the statistics' own
steps before 97), and takes a few seconds."""

from __future__ import annotations

from datetime import date

from django.utils import timezone

from amparo.accounts.models import Organization
from amparo.core.registry import DemoRun

from .models import ReportScope, SituationReport
from .report_services import ReportRequest, report_build, report_request
from .reports import month_period

DEMO_ORGANIZATION = "Red Violeta (demo)"


def load_demo_report(run: DemoRun) -> None:
    organization = Organization.objects.filter(name=DEMO_ORGANIZATION).first()
    if organization is None:
        run.say("insights: no demo organisation; situation report skipped")
        return
    if SituationReport.objects.filter(organization=organization, status=SituationReport.Status.BUILT).exists():
        run.say("insights: the demo situation report is already there")
        return
    today = timezone.localdate()
    index = today.year * 12 + today.month - 1 - 5  # six whole months, this one the last
    start, end = month_period(date(index // 12, index % 12 + 1, 1), today)
    request = ReportRequest(
        scope_kind=ReportScope.ORGANISATION, start=start, end=end, language="es", scope_organization=organization
    )
    report = report_build(report_request(actor=None, organization=organization, request=request).pk)
    if report is None or report.status != SituationReport.Status.BUILT:
        reason = report.failure_text if report is not None else ""
        run.say(f"insights: the demo situation report was not built: {reason}")
        return
    run.say(f"insights: a situation report of {organization.name} ({report.pdf_bytes // 1024} KB of PDF)")
