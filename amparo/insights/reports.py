"""Situation reports (issue 16, item 6): what a report covers, its tables, its charts, its HTML and its PDF.

Reads only: the writes (requesting, recording a build, downloading, purging) are in `report_services.py`.

- The input (a scope, a period of whole months, a language) is checked here once, for the form, the command and
  the task alike: a problem is a `ReportInputError` whose message says what to change.
- The tables come from the statistics layer (`statistics.py`), which passes every figure through
  `amparo.core.disclosure`: an organisation's report at the organisation threshold (5), a country's or the
  region's at the public threshold (11). A table that comes back with a lower threshold stops the build.
- The HTML is a Django template (`insights/report/document.html`) with one server-drawn SVG chart per table
  (`charts.chart_for`, as on the dashboards) and its data table (`display.table_view`, as on the public page);
  WeasyPrint turns it into a PDF with the fonts installed on the machine
  and a URL fetcher that refuses every address but `data:` URIs, so nothing is fetched while rendering.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any
from uuid import UUID

from django.conf import settings
from django.template.loader import render_to_string
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from amparo.accounts.models import Organization
from amparo.core.countries import country_name
from amparo.directory.models import Place

from .charts import Chart, chart_for
from .display import TableView, table_view
from .models import ReportFailure, ReportScope, SituationReport
from .statistics import Scope, dashboard_tables, public_tables
from .tables import StatTable

MAX_MONTHS = 24
MONTH = re.compile(r"(\d{4})-(\d{2})")


class ReportInputError(ValueError):
    """Input a report cannot be built from; the message says what to change (translated)."""


class BuildRefused(Exception):
    """A build that stops for a reason we can name (`failure`: a ReportFailure code)."""

    def __init__(self, failure: str) -> None:
        super().__init__(failure)
        self.failure = failure


# --- Input ----------------------------------------------------------------------------------------------------------


def parse_month(text: str) -> date:
    match = MONTH.fullmatch(text.strip())
    if match is None or not 1 <= int(match[2]) <= 12 or int(match[1]) < 1900:
        raise ReportInputError(
            _("“%(text)s” is not a month: write it as year and month, e.g. 2026-01.") % {"text": text}
        )
    return date(int(match[1]), int(match[2]), 1)


def month_period(first: date, last: date, today: date | None = None) -> tuple[date, date]:
    """The period from the first day of `first`'s month to the last day of `last`'s month, checked: not empty, at
    most MAX_MONTHS months, begun already."""
    first, last = first.replace(day=1), last.replace(day=1)
    today = today or timezone.localdate()
    if last < first:
        raise ReportInputError(_("The period is empty: its last month comes before its first."))
    months = (last.year - first.year) * 12 + last.month - first.month + 1
    if months > MAX_MONTHS:
        raise ReportInputError(
            _("A report covers at most %(max)s months; this period has %(months)s.")
            % {"max": MAX_MONTHS, "months": months}
        )
    if first > today.replace(day=1):
        raise ReportInputError(_("The period has not begun yet: choose months up to this one."))
    end = (last + timedelta(days=32)).replace(day=1) - timedelta(days=1)
    return first, end


def parse_period(text: str, today: date | None = None) -> tuple[date, date]:
    """ "2026-01..2026-06" (or one month, "2026-03"): the period's first and last day."""
    parts = text.split("..")
    if len(parts) == 1:
        parts = [parts[0], parts[0]]
    if len(parts) != 2 or not all(part.strip() for part in parts):
        raise ReportInputError(_("Write the period as first and last month, e.g. 2026-01..2026-06."))
    return month_period(parse_month(parts[0]), parse_month(parts[1]), today)


@dataclass(frozen=True)
class ScopeText:
    """A scope as written for the command: "region", "country:CO" or "org:<uuid>"."""

    kind: str
    country: str = ""
    organization_uuid: str = ""


def parse_scope(text: str) -> ScopeText:
    kind, _sep, value = text.strip().partition(":")
    if kind == "region" and not value:
        return ScopeText(ReportScope.REGION)
    if kind == "country" and value:
        return ScopeText(ReportScope.COUNTRY, country=value.upper())
    if kind == "org" and value:
        return ScopeText(ReportScope.ORGANISATION, organization_uuid=value)
    raise ReportInputError(
        _("“%(text)s” is not a scope: write region, country:CO (a country code) or org:<the organisation's id>.")
        % {"text": text}
    )


def report_countries() -> list[tuple[str, str]]:
    """The countries a report may cover: those of the places the platform knows, named in the current language."""
    codes = Place.objects.filter(level=Place.Level.COUNTRY).values_list("pcode", flat=True)
    return sorted(((code, country_name(code) or code) for code in codes if len(code) == 2), key=lambda c: c[1])


def check_country(code: str) -> str:
    code = code.upper()
    if code not in {c for c, _name in report_countries()}:
        raise ReportInputError(_("“%(code)s” is not a country the platform has places in.") % {"code": code})
    return code


def threshold_for(scope_kind: str) -> int:
    """DESIGN.md rule 6: 5 inside one organisation, 11 for a country or the region (across organisations); the
    statistics layer's settings, so that a report asks what the tables are built with."""
    if scope_kind == ReportScope.ORGANISATION:
        return int(settings.INSIGHTS_ORGANISATION_THRESHOLD)
    return int(settings.INSIGHTS_PUBLIC_THRESHOLD)


# Tables that count places, not people (the coverage gaps: municipality x need cells), are built with threshold 1
# by the statistics layer on purpose: no person is in them.
UNITS_WITHOUT_PEOPLE = frozenset({"places"})


# --- Tables ---------------------------------------------------------------------------------------------------------


def scope_of(report: SituationReport) -> Scope:
    return Scope(kind=report.scope_kind, organization_id=report.scope_organization_id, country=report.scope_country)


def report_tables(report: SituationReport) -> list[StatTable]:
    """The report's tables from the statistics layer: an organisation's dashboard tables, or the public tables of a
    country or the region. Refused when one has a lower threshold than the report's or there is nothing to show."""
    if report.scope_kind == ReportScope.ORGANISATION:
        if report.scope_organization_id is None:
            raise BuildRefused(ReportFailure.SCOPE_GONE)
        tables = dashboard_tables(
            scope=scope_of(report), start=report.period_start, end=report.period_end, language=report.language
        )
    else:
        tables = public_tables(
            scope=scope_of(report), start=report.period_start, end=report.period_end, language=report.language
        )
    if any(table.threshold < report.threshold and table.unit not in UNITS_WITHOUT_PEOPLE for table in tables):
        raise BuildRefused(ReportFailure.THRESHOLD)
    if all(_is_empty(table) for table in tables):
        raise BuildRefused(ReportFailure.NO_DATA)
    return tables


def _is_empty(table: StatTable) -> bool:
    """No one counted: every cell is a shown zero (a hidden cell stands for someone)."""
    return all(value == 0 for row in table.protected.cells for value in row)


# --- Words ----------------------------------------------------------------------------------------------------------


def source_words(code: str) -> str:
    words = {
        "cases": _("Cases recorded by the member organisations"),
        "safechannel": _("Reports through the safe channel (risk data only, never their content)"),
        "referrals": _("Referrals between services"),
        "surveys": _("Surveys of the community"),
        "networks": _("The protection networks' coverage gaps"),
        "alerts": _("Trafficking alerts"),
        "campaigns": _("Anonymous answers about services (community-led monitoring)"),
    }
    return words.get(code, code)


def scope_label(report: SituationReport) -> str:
    if report.scope_kind == ReportScope.ORGANISATION:
        organization = report.scope_organization
        return organization.name if organization is not None else _("An organisation that no longer exists")
    if report.scope_kind == ReportScope.COUNTRY:
        return country_name(report.scope_country) or report.scope_country
    return _("The region (every country)")


# --- Tables and charts ---------------------------------------------------------------------------------------------
# The same chart (charts.chart_for) and the same words for a hidden count (display.table_view) as the dashboards and
# the public page: a figure reads the same in a report, on screen and in an export.


@dataclass(frozen=True)
class ReportTable:
    view: TableView
    chart: Chart

    @property
    def table(self) -> StatTable:
        return self.view.table


def report_table(table: StatTable) -> ReportTable:
    return ReportTable(view=table_view(table), chart=chart_for(table))


def report_context(report: SituationReport, tables: list[StatTable]) -> dict[str, Any]:
    sources = sorted({code for table in tables for code in table.sources})
    return {
        "report": report,
        "scope": scope_label(report),
        "tables": [report_table(table) for table in tables],
        "sources": [source_words(code) for code in sources],
        "threshold": report.threshold,
        "built_at": timezone.localtime(report.built_at or timezone.now()),
        "hidden_count": sum(t.protected.hidden for t in tables),
        "tables_count": ngettext("%(n)s table", "%(n)s tables", len(tables)) % {"n": len(tables)},
    }


def render_report_html(report: SituationReport, tables: list[StatTable]) -> str:
    with translation.override(report.language):
        return render_to_string("insights/report/document.html", report_context(report, tables))


def period_label(report: SituationReport) -> str:
    if (report.period_start.year, report.period_start.month) == (report.period_end.year, report.period_end.month):
        return f"{report.period_start:%Y-%m}"
    return f"{report.period_start:%Y-%m} – {report.period_end:%Y-%m}"


def organization_for_scope(scope: ScopeText) -> Organization | None:
    if scope.kind != ReportScope.ORGANISATION:
        return None
    try:
        return Organization.objects.filter(uuid=UUID(scope.organization_uuid)).first()
    except ValueError:  # not a UUID
        return None
