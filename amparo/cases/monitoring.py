"""Ombudsman monitoring: the trafficking alerts of a monitor's areas and their trends (selectors, no writes but the
audit of the read).

Disclosure control of the trends (DESIGN.md rule 6). The alerts of an area come from every organisation working in
it, so the trends are a regional output: SUPPRESS_UNDER = 11, and only alerts of survivors who consent to statistics
count (`TraffickingAlert.statistics_consented`, kept in step with her consent by cases.services). The choice, cell
by cell:
- a count from 1 to 10 is shown as "<11"; 0 is shown as 0 (an empty cell says nothing about a person);
- in the tables with a total (alerts by month, by municipality), when exactly one cell of the table is suppressed
  the next smallest non-zero cell is suppressed too (complementary suppression), so the total minus the other cells
  cannot reveal it; a total under 11 is itself shown as "<11";
- the indicators-by-month table has no margins, and an alert can carry several indicators, so its cells add up to
  nothing shown: primary suppression alone cannot be undone by subtraction there;
- geography is never finer than the municipality; alerts carry no age, no name, no case link.

The alert list itself is the alert feed the Ombudsman receives (type, municipality, indicators, date; the case code
only when the survivor consented to it): each alert is a record without identity, and it is not a statistic.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from django.db import transaction
from django.db.models import QuerySet

from amparo.audit.services import audit_record

from .models import TraffickingAlert
from .vocab import TraffickingIndicator

SUPPRESS_UNDER = 11
SUPPRESSED = f"<{SUPPRESS_UNDER}"


def suppress_counts(counts: dict[Any, int], threshold: int = SUPPRESS_UNDER) -> tuple[dict[Any, str], str]:
    """Cells and total of a one-way table as text, with primary and complementary suppression (see module doc)."""
    hidden = {key for key, n in counts.items() if 0 < n < threshold}
    if len(hidden) == 1:
        others = sorted((n, str(key), key) for key, n in counts.items() if key not in hidden and n > 0)
        if others:
            hidden.add(others[0][2])
    total = sum(counts.values())
    cells = {key: SUPPRESSED if key in hidden else str(n) for key, n in counts.items()}
    return cells, SUPPRESSED if 0 < total < threshold else str(total)


def suppress_cell(n: int, threshold: int = SUPPRESS_UNDER) -> str:
    return SUPPRESSED if 0 < n < threshold else str(n)


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


def _one_way(counter: Counter[str], label: Any, keys: Iterable[str]) -> tuple[list[Row], str]:
    cells, total = suppress_counts(dict(counter))
    return [Row(label(key), [cells[key]]) for key in keys], total


def alert_trends(alerts: QuerySet[TraffickingAlert]) -> Trends:
    """Trends of the alerts whose survivors consent to statistics, with small cells suppressed."""
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
    by_month, by_month_total = _one_way(months, str, month_keys)
    by_place, by_place_total = _one_way(places, str, sorted(places, key=lambda k: (-places[k], k)))
    codes = [c for c in TraffickingIndicator.values if any(code == c for _m, code in by_month_indicator)]
    indicator_rows = [
        Row(month, [suppress_cell(by_month_indicator[(month, code)]) for code in codes]) for month in month_keys
    ]
    labels = [str(TraffickingIndicator(code).label) for code in codes]
    return Trends(by_month, by_month_total, by_place, by_place_total, labels, indicator_rows)


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
