"""Ombudsman monitoring: the trafficking alerts of a monitor's areas and their trends (selectors, no writes but the
audit of the read).

Disclosure control of the trends (DESIGN.md rule 6) is `core.disclosure`, the same module as every statistics page
(insights): the alerts of an area come from every organisation working in it, so the trends are a regional output at
`INSIGHTS_PUBLIC_THRESHOLD` (11), and only alerts of survivors who consent to statistics count
(`TraffickingAlert.statistics_consented`, kept in step with her consent by cases.services).
- alerts by month and by municipality are one-way tables with their total: `protect_counts` hides the counts from 1
  to 10 and, where the total would give one away, the complements it needs (checked by solving the table); a zero
  is shown (an empty cell names nobody);
- the indicators-by-month table has no margins, and an alert can carry several indicators, so its cells add up to
  nothing shown: primary suppression alone cannot be undone by subtraction there;
- a hidden count reads as everywhere else (`core.disclosure_words`): "fewer than 11" when only small counts are
  hidden, "hidden" for all of them when complements were needed (a complement may be large);
- geography is never finer than the municipality; alerts carry no age, no name, no case link.

The alert list itself is the alert feed the Ombudsman receives (type, municipality, indicators, date; the case code
only when the survivor consented to it): each alert is a record without identity, and it is not a statistic.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.db import transaction
from django.db.models import QuerySet

from amparo.audit.services import audit_record
from amparo.core.disclosure import ProtectedTable, protect_counts, protect_table
from amparo.core.disclosure_words import hidden_words, shown

from .models import TraffickingAlert
from .vocab import TraffickingIndicator


def threshold() -> int:
    return int(settings.INSIGHTS_PUBLIC_THRESHOLD)


@dataclass
class Row:
    label: str
    cells: list[str]


@dataclass
class Trends:
    by_month: list[Row]  # month, alerts
    by_month_total: str
    by_place: list[Row]  # municipality, alerts
    by_place_total: str
    indicators: list[str]  # column labels of indicator_rows
    indicator_rows: list[Row]  # month, one cell per indicator
    threshold: int
    hidden: bool  # some count is hidden (the page explains how it is written)


def one_way(counts: Sequence[int], limit: int) -> tuple[list[str], str, ProtectedTable]:
    """A one-way table's cells and total as text, protected by core.disclosure."""
    table = protect_counts(list(counts), limit)
    words = hidden_words(table, limit)
    return [shown(v, words) for v in table.cells[0]], shown(table.row_totals[0], words), table


def alert_trends(alerts: QuerySet[TraffickingAlert]) -> Trends:
    """Trends of the alerts whose survivors consent to statistics, with small cells suppressed."""
    limit = threshold()
    rows = list(
        alerts.filter(statistics_consented=True).values_list(
            "raised_on", "place__name", "place__parent__name", "indicators"
        )
    )
    months: Counter[str] = Counter()
    places: Counter[str] = Counter()
    by_month_indicator: Counter[tuple[str, str]] = Counter()
    for raised_on, name, parent, indicators in rows:
        month = raised_on.strftime("%Y-%m")
        months[month] += 1
        places[f"{name} ({parent})" if parent else name] += 1
        for code in set(indicators or []):
            by_month_indicator[(month, code)] += 1
    month_keys = sorted(months, reverse=True)
    place_keys = sorted(places, key=lambda k: (-places[k], k))
    month_cells, month_total, month_table = one_way([months[k] for k in month_keys], limit)
    place_cells, place_total, place_table = one_way([places[k] for k in place_keys], limit)
    codes = [c for c in TraffickingIndicator.values if any(code == c for _m, code in by_month_indicator)]
    grid = [[by_month_indicator[(month, code)] for code in codes] for month in month_keys]
    protected: list[ProtectedTable] = [month_table, place_table]
    indicator_rows: list[Row] = []
    if codes and month_keys:
        indicator_table = protect_table(grid, limit, row_totals=False, column_totals=False)
        words = hidden_words(indicator_table, limit)
        indicator_rows = [
            Row(month, [shown(v, words) for v in cells])
            for month, cells in zip(month_keys, indicator_table.cells, strict=True)
        ]
        protected.append(indicator_table)
    labels = [str(TraffickingIndicator(code).label) for code in codes]
    return Trends(
        by_month=[Row(k, [c]) for k, c in zip(month_keys, month_cells, strict=True)],
        by_month_total=month_total,
        by_place=[Row(k, [c]) for k, c in zip(place_keys, place_cells, strict=True)],
        by_place_total=place_total,
        indicators=labels,
        indicator_rows=indicator_rows,
        threshold=limit,
        hidden=any(t.hidden for t in protected),
    )


@dataclass
class AlertRow:
    raised_on: Any
    place: str
    gbv_type: str
    indicators: list[str]
    case_code: str  # empty unless the survivor consented to give the Ombudsman more


def alert_rows(alerts: Iterable[TraffickingAlert]) -> list[AlertRow]:
    labels = dict(TraffickingIndicator.choices)
    return [
        AlertRow(
            raised_on=alert.raised_on,
            place=str(alert.place),
            gbv_type=str(alert.get_gbv_type_display()) if alert.gbv_type else "",
            indicators=[str(labels.get(code, code)) for code in alert.indicators],
            case_code=alert.case_code if alert.detail_consented else "",
        )
        for alert in alerts
    ]


@transaction.atomic
def monitoring_read(*, actor: Any, shown: int) -> None:
    audit_record(actor=actor, action="monitoring.alerts.read", object_type="cases.traffickingalert",
                 detail={"alerts": shown})  # fmt: skip
