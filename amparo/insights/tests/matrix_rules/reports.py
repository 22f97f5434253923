"""Situation reports in the role matrix: coordinators and analysts of the organisation (and platform
administrators) list, ask for, read and download them; nobody else. Another organisation's report is a 404."""

from __future__ import annotations

from datetime import date
from typing import Any

from amparo.accounts.roles import PLATFORM_ADMIN, Role
from amparo.accounts.tests.matrix_case import Case
from amparo.insights.models import ReportScope, ReportStatus, SituationReport

REPORTS = frozenset({Role.COORDINATOR, Role.ANALYST, PLATFORM_ADMIN})


def _report(w: dict[str, object]) -> list[object]:
    return [w["situation_report"].uuid]  # type: ignore[attr-defined]


EXPECTED: dict[str, Any] = {
    "insights_reports:list": Case(REPORTS),
    "insights_reports:new": Case(REPORTS),
    "insights_reports:detail": Case(REPORTS, _report),
    "insights_reports:pdf": Case(REPORTS, _report),
}
# The request form posted empty: the page says what is missing (400), nothing is queued.
POSTS: dict[str, Any] = {
    "insights_reports:new": Case(REPORTS, method="post", ok=400),
}


def world(org: Any, users: dict[str, Any]) -> dict[str, object]:
    """A built report of the organisation (its PDF a stand-in: the matrix tries who reaches it, not the build)."""
    report = SituationReport.objects.create(
        organization=org,
        scope_kind=ReportScope.ORGANISATION,
        scope_organization=org,
        period_start=date(2026, 1, 1),
        period_end=date(2026, 6, 30),
        language="es",
        threshold=5,
        status=ReportStatus.BUILT,
        pdf=b"%PDF-1.4 matrix",
        pdf_bytes=15,
    )
    return {"situation_report": report}
