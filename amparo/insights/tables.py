"""The one shape every published figure takes (issue 16): a two-way table of counts after disclosure control.

The statistics layer (`statistics.py`) builds `StatTable`s from the domains' aggregates and passes every one
through `amparo.core.disclosure`; dashboards, charts, the public page, the HXL exports and the situation reports
only ever read `StatTable`s, never the domains. A published table is frozen as JSON (`to_json` / `from_json`) so
that the public page shows what was reviewed, not what the data says today.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from typing import Any

from amparo.core.disclosure import ProtectedTable


@dataclass(frozen=True)
class Dimension:
    """One axis of a table: `key` is stable (it names the HXL column in `content/hxl.toml`), `label` is shown."""

    key: str  # e.g. "zone_type", "gender_identity", "nationality", "migratory_status", "gbv_type", "month"
    label: str


@dataclass(frozen=True)
class Category:
    code: str  # stable code (a P-code, "trans_woman", "2026-03", "police"...)
    label: str


@dataclass(frozen=True)
class StatTable:
    key: str  # stable identifier, e.g. "cases.gbv_type_by_zone"
    title: str
    description: str  # one plain sentence: what is counted, for screen readers and the method note
    rows: Dimension
    columns: Dimension
    row_categories: tuple[Category, ...]
    column_categories: tuple[Category, ...]
    protected: ProtectedTable
    threshold: int  # 5 inside one organisation, 11 public or across organisations (DESIGN.md rule 6)
    period_start: date | None
    period_end: date | None
    sources: tuple[str, ...]  # e.g. ("cases",), ("safechannel", "cases")
    unit: str = "people"  # what a count counts: "people", "reports", "referrals", "submissions", "alerts"
    notes: tuple[str, ...] = field(default_factory=tuple)

    # A one-column table (a ranking: municipalities, a survey indicator) has no column of row totals: each row's
    # total IS its one cell, and the column's total is the grand total. The statistics layer protects such tables
    # without row margins, so `protected.row_totals` and `protected.total` are None there, which means "not
    # computed", not "hidden". Every reader (pages, charts, HXL, reports) asks these instead, so that a figure
    # that is shown is never written "hidden".

    @property
    def has_row_totals(self) -> bool:
        return len(self.column_categories) > 1

    @property
    def shown_row_totals(self) -> tuple[int | None, ...]:
        p = self.protected
        if self.has_row_totals:
            return p.row_totals
        return tuple(row[0] if row else None for row in p.cells)

    @property
    def grand_total(self) -> int | None:
        p = self.protected
        if self.has_row_totals or not p.column_totals:
            return p.total
        return p.column_totals[0]

    def to_json(self) -> dict[str, Any]:
        p = self.protected
        return {
            "key": self.key,
            "title": self.title,
            "description": self.description,
            "rows": {"key": self.rows.key, "label": self.rows.label},
            "columns": {"key": self.columns.key, "label": self.columns.label},
            "row_categories": [[c.code, c.label] for c in self.row_categories],
            "column_categories": [[c.code, c.label] for c in self.column_categories],
            "cells": [list(r) for r in p.cells],
            "row_totals": list(p.row_totals),
            "column_totals": list(p.column_totals),
            "total": p.total,
            "primary": p.primary,
            "complementary": p.complementary,
            "withheld": p.withheld,
            "threshold": self.threshold,
            "period_start": self.period_start.isoformat() if self.period_start else None,
            "period_end": self.period_end.isoformat() if self.period_end else None,
            "sources": list(self.sources),
            "unit": self.unit,
            "notes": list(self.notes),
        }

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> StatTable:
        protected = ProtectedTable(
            cells=tuple(tuple(r) for r in data["cells"]),
            row_totals=tuple(data["row_totals"]),
            column_totals=tuple(data["column_totals"]),
            total=data["total"],
            primary=int(data["primary"]),
            complementary=int(data["complementary"]),
            withheld=bool(data.get("withheld", False)),
        )
        return cls(
            key=data["key"],
            title=data["title"],
            description=data["description"],
            rows=Dimension(data["rows"]["key"], data["rows"]["label"]),
            columns=Dimension(data["columns"]["key"], data["columns"]["label"]),
            row_categories=tuple(Category(c, label) for c, label in data["row_categories"]),
            column_categories=tuple(Category(c, label) for c, label in data["column_categories"]),
            protected=protected,
            threshold=int(data["threshold"]),
            period_start=date.fromisoformat(data["period_start"]) if data.get("period_start") else None,
            period_end=date.fromisoformat(data["period_end"]) if data.get("period_end") else None,
            sources=tuple(data.get("sources") or ()),
            unit=str(data.get("unit") or "people"),
            notes=tuple(data.get("notes") or ()),
        )
