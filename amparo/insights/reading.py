"""A dashboard read: the tables of a scope and period, and the audit entry of that read in the same transaction
(DESIGN.md rule 5: aggregates are data too; the entry says which scope, period and how many cells were hidden)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any

from django.db import transaction

from amparo.audit.services import audit_record

from .statistics import Scope, dashboard_tables, hidden_cells, organisations_in_scope
from .tables import StatTable


@dataclass(frozen=True)
class Dashboard:
    scope: Scope
    start: date | None
    end: date | None
    tables: list[StatTable]
    organisations_counted: int


def dashboard_read(
    *, actor: Any, scope: Scope, start: date | None, end: date | None, language: str, include_alerts: bool,
    organization: Any = None,
) -> Dashboard:  # fmt: skip
    with transaction.atomic():
        counted = organisations_in_scope(scope, start, end)
        tables = dashboard_tables(scope=scope, start=start, end=end, language=language, include_alerts=include_alerts)
        audit_record(
            actor=actor,
            action="insights.dashboard.read",
            object_type="insights.dashboard",
            object_id=scope.kind,
            organization=organization,
            detail={
                "scope": scope.kind,
                "country": scope.country,
                "start": start.isoformat() if start else "",
                "end": end.isoformat() if end else "",
                "organisations": len(counted),
                "tables": len(tables),
                "hidden_cells": hidden_cells(tables),
                "alerts": include_alerts,
            },
        )
    return Dashboard(scope, start, end, tables, len(counted))
