"""Writes of the situation reports, one transaction each, audited in it (docs/insights-reports.md).

- `report_request`: a report waiting to be built, with the background task that builds it (django-tasks' database
  backend stores the task in the same transaction, so both commit or neither).
- `report_build`: what the task (and the command) runs: tables, HTML, PDF; the report ends built, or failed with a
  reason in our words (the traceback goes to the server's log, never to the person).
- `report_pdf_read`: a download, audited.
- `reports_purge`: reports older than INSIGHTS_REPORTS_RETENTION_DAYS hard-deleted, the deletion audited.
- `reports_recover`: builds cut short (still "being built" after INSIGHTS_REPORT_BUILD_TIMEOUT_MINUTES, because the
  worker restarted or ran out of memory) recorded as failed, "interrupted", so the person sees it and asks again.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from amparo.accounts.models import Organization
from amparo.audit.services import audit_record
from amparo.core import once
from amparo.core.pdf import render_pdf

from .models import ReportFailure, ReportScope, ReportStatus, SituationReport, stalled_before
from .reports import BuildRefused, render_report_html, report_tables, threshold_for

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class ReportRequest:
    """What a report is built from, already checked (`reports.month_period`, `reports.check_country`; the view or
    the command decided the person may ask for it)."""

    scope_kind: str
    start: date
    end: date
    language: str
    scope_organization: Organization | None = None
    country: str = ""

    def parameters(self) -> dict[str, Any]:
        return {
            "scope": self.scope_kind,
            "organisation": str(self.scope_organization.uuid) if self.scope_organization is not None else "",
            "country": self.country,
            "period_start": self.start.isoformat(),
            "period_end": self.end.isoformat(),
            "language": self.language,
            "threshold": threshold_for(self.scope_kind),
        }


def _create(actor: Any, organization: Organization | None, request: ReportRequest) -> SituationReport:
    report = SituationReport.objects.create(
        organization=organization,
        scope_kind=request.scope_kind,
        scope_organization=request.scope_organization if request.scope_kind == ReportScope.ORGANISATION else None,
        scope_country=request.country if request.scope_kind == ReportScope.COUNTRY else "",
        period_start=request.start,
        period_end=request.end,
        language=request.language,
        threshold=threshold_for(request.scope_kind),
        parameters=request.parameters(),
        requested_by=actor if getattr(actor, "is_authenticated", False) else None,
    )
    audit_record(
        actor=actor,
        action="insights.report.request",
        obj=report,
        organization=organization,
        detail={k: v for k, v in report.parameters.items() if k != "organisation"},
    )
    return report


def report_request(
    *,
    actor: Any,
    organization: Organization | None,
    request: ReportRequest,
    form_token: str = "",
    enqueue: Callable[[int], object] | None = None,
) -> SituationReport:
    """A report of `organization` waiting to be built. `enqueue(report_id)` queues its build (the caller passes
    `tasks.build_situation_report.enqueue`), inside this transaction: django-tasks' database backend stores the task
    with the report, so both commit or neither. With the form's one-time token, a resubmitted form raises
    core.once.AlreadyDone with the report the first one asked for."""
    with transaction.atomic():
        claimed = once.claim(
            user=actor,
            kind="insights.report.request",
            token=form_token,
            content=once.plain({"organization": organization, **request.parameters()}),
        )
        report = _create(actor, organization, request)
        once.settle(claimed, report.uuid)
        if enqueue is not None:
            enqueue(report.pk)
    return report


def report_build(report_id: int) -> SituationReport | None:
    """Build a waiting report (the task and the command). Returns it built or failed; None when there is no such
    report or it is not waiting (a second run of the same task builds nothing)."""
    with transaction.atomic():
        report = SituationReport.objects.select_for_update().filter(pk=report_id).first()
        if report is None or report.status != ReportStatus.QUEUED:
            return None
        report.status = ReportStatus.BUILDING
        report.started_at = timezone.now()
        report.save(update_fields=["status", "started_at"])
    started = time.perf_counter()
    try:
        tables = report_tables(report)
        report.built_at = timezone.now()
        pdf = render_pdf(render_report_html(report, tables))
    except BuildRefused as refused:
        return _finish(report, failure=refused.failure, seconds=time.perf_counter() - started)
    except Exception:  # any other failure: logged for the administrator, recorded in our words for the person
        logger.exception("situation report %s failed", report.uuid)
        return _finish(report, failure=ReportFailure.UNEXPECTED, seconds=time.perf_counter() - started)
    return _finish(report, tables=[t.to_json() for t in tables], pdf=pdf, seconds=time.perf_counter() - started)


def _finish(
    report: SituationReport,
    *,
    seconds: float,
    failure: str = "",
    tables: list[dict[str, Any]] | None = None,
    pdf: bytes | None = None,
) -> SituationReport:
    with transaction.atomic():
        report.status = ReportStatus.FAILED if failure else ReportStatus.BUILT
        report.failure = failure
        report.tables = tables or []
        report.pdf = pdf
        report.pdf_bytes = len(pdf) if pdf else 0
        report.build_seconds = round(seconds, 3)
        if failure:
            report.built_at = None
        report.save(update_fields=["status", "failure", "tables", "pdf", "pdf_bytes", "build_seconds", "built_at"])
        audit_record(
            action="insights.report.build",
            obj=report,
            organization=report.organization,
            detail={
                "status": report.status,
                "failure": failure,
                "tables": len(report.tables),
                "hidden_cells": sum(int(t["primary"]) + int(t["complementary"]) for t in report.tables),
                "pdf_bytes": report.pdf_bytes,
                "seconds": report.build_seconds,
            },
        )
    return report


def report_pdf_read(*, actor: Any, report: SituationReport) -> bytes:
    """The PDF of a built report, its download audited."""
    with transaction.atomic():
        audit_record(
            actor=actor,
            action="insights.report.download",
            obj=report,
            organization=report.organization,
            detail={"pdf_bytes": report.pdf_bytes},
        )
    return bytes(report.pdf or b"")


def retention_cutoff(now: datetime | None = None) -> datetime:
    return (now or timezone.now()) - timedelta(days=settings.INSIGHTS_REPORTS_RETENTION_DAYS)


def reports_purge(*, now: datetime | None = None, dry_run: bool = False) -> int:
    """Hard-delete the reports requested before the retention cutoff (DESIGN.md rule 7), one audit entry per
    organisation with the count (never content), in one transaction."""
    expired = SituationReport.objects.filter(requested_at__lt=retention_cutoff(now))
    if dry_run:
        return expired.count()
    with transaction.atomic():
        per_organization: dict[int | None, int] = {}
        for owner in expired.values_list("organization_id", flat=True):
            per_organization[owner] = per_organization.get(owner, 0) + 1
        deleted = expired.delete()[1].get(SituationReport._meta.label, 0)
        organizations = Organization.objects.in_bulk([pk for pk in per_organization if pk is not None])
        for organization_id, count in sorted(per_organization.items(), key=lambda item: item[0] or 0):
            audit_record(
                action="insights.report.purge",
                object_type="insights.situationreport",
                organization=organizations.get(organization_id) if organization_id is not None else None,
                detail={"deleted": count, "retention_days": settings.INSIGHTS_REPORTS_RETENTION_DAYS},
            )
    return int(deleted)


def reports_recover(*, now: datetime | None = None) -> int:
    """Record the builds cut short as failed ("interrupted"), each audited like any finished build. A build that is
    still running holds its row only while it starts (report_build locks it to claim it, not while it renders), so
    the time is what tells: a build running longer than the timeout is taken for dead. Returns how many."""
    cutoff = stalled_before(now or timezone.now())
    recovered = 0
    with transaction.atomic():
        stalled = SituationReport.objects.select_for_update(skip_locked=True).filter(
            status=ReportStatus.BUILDING, started_at__lt=cutoff
        )
        for report in stalled:
            report.status = ReportStatus.FAILED
            report.failure = ReportFailure.INTERRUPTED
            report.save(update_fields=["status", "failure"])
            audit_record(
                action="insights.report.build",
                obj=report,
                organization=report.organization,
                detail={"status": report.status, "failure": report.failure, "tables": 0, "pdf_bytes": 0},
            )
            recovered += 1
    return recovered
