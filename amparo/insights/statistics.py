# Placeholder of branch reports: replaced by branch stats at merge.
"""A stand-in for the statistics layer, with the interface the statistics branch provides (`Scope`,
`dashboard_tables`, `public_tables`), so that the situation reports can be built and tested from real records.

It counts cases whose survivor consented to statistics (DESIGN.md rule 6), opened in the period, by the zone type of
the municipality where she lives and month, and by gender identity and zone type, each through
`amparo.core.disclosure.protect_table`. It knows nothing of sharing agreements (a region counts every organisation).
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import Any

from django.db.models import Count, Exists, OuterRef, Q, QuerySet
from django.db.models.functions import TruncMonth
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from amparo.cases.models import Case, Consent
from amparo.core.disclosure import ORGANISATION_THRESHOLD, PUBLIC_THRESHOLD, protect_table
from amparo.directory.models import Place
from amparo.vocab import ConsentKind, GenderIdentity

from .tables import Category, Dimension, StatTable


@dataclass(frozen=True)
class Scope:
    kind: str  # "organisation" | "country" | "region"
    organization_id: int | None = None
    country: str = ""  # ISO 3166-1 alpha-2, for kind == "country"


def _consented_cases(scope: Scope, start: date | None, end: date | None) -> QuerySet[Case]:
    consented = Consent.objects.filter(case=OuterRef("pk"), kind=ConsentKind.STATISTICS, withdrawn_at__isnull=True)
    cases = Case.objects.filter(Exists(consented))
    if scope.kind == "organisation":
        cases = cases.filter(organization_id=scope.organization_id or 0)
    elif scope.kind == "country":
        code = scope.country.upper()
        cases = cases.filter(Q(place__pcode=code) | Q(place__parent__pcode=code) | Q(place__parent__parent__pcode=code))
    tz = timezone.get_current_timezone()
    if start is not None:
        cases = cases.filter(opened_at__gte=datetime.combine(start, time.min, tz))
    if end is not None:
        cases = cases.filter(opened_at__lt=datetime.combine(end + timedelta(days=1), time.min, tz))
    return cases


def _months(start: date, end: date) -> list[date]:
    months, month = [], start.replace(day=1)
    while month <= end:
        months.append(month)
        month = (month + timedelta(days=32)).replace(day=1)
    return months


def _zones() -> list[Category]:
    return [Category(code, str(label)) for code, label in Place.Zone.choices] + [Category("", _("Not recorded"))]


def _tables(scope: Scope, start: date | None, end: date | None, threshold: int) -> list[StatTable]:
    cases = _consented_cases(scope, start, end)
    zones = _zones()
    tables = []
    if start is not None and end is not None:
        months = _months(start, end)
        by_month: Counter[tuple[str, date]] = Counter()
        rows: Any = cases.annotate(month=TruncMonth("opened_at")).values("place__zone", "month").annotate(n=Count("pk"))
        for row in rows:
            month = row["month"]
            month = month.date() if isinstance(month, datetime) else month
            by_month[(row["place__zone"] or "", month)] += row["n"]
        counts = [[by_month[(zone.code, month)] for month in months] for zone in zones]
        tables.append(
            StatTable(
                key="cases.zone_by_month",
                title=_("People counted, by zone and month"),
                description=_(
                    "People who agreed to be counted in statistics, by the zone type of the municipality where "
                    "she lives and the month her case was opened."
                ),
                rows=Dimension("zone_type", _("Zone type")),
                columns=Dimension("month", _("Month")),
                row_categories=tuple(zones),
                column_categories=tuple(Category(m.strftime("%Y-%m"), m.strftime("%Y-%m")) for m in months),
                protected=protect_table(counts, threshold),
                threshold=threshold,
                period_start=start,
                period_end=end,
                sources=("cases",),
            )
        )
    by_gender: Counter[tuple[str, str]] = Counter()
    for row in cases.values("gender_identity", "place__zone").annotate(n=Count("pk")):
        by_gender[(row["gender_identity"], row["place__zone"] or "")] += row["n"]
    genders = [Category(code, str(label)) for code, label in GenderIdentity.choices]
    counts = [[by_gender[(g.code, z.code)] for z in zones] for g in genders]
    tables.append(
        StatTable(
            key="cases.gender_by_zone",
            title=_("People counted, by gender identity and zone"),
            description=_(
                "People who agreed to be counted in statistics, by gender identity and the zone type of the "
                "municipality where she lives."
            ),
            rows=Dimension("gender_identity", _("Gender identity")),
            columns=Dimension("zone_type", _("Zone type")),
            row_categories=tuple(genders),
            column_categories=tuple(zones),
            protected=protect_table(counts, threshold),
            threshold=threshold,
            period_start=start,
            period_end=end,
            sources=("cases",),
        )
    )
    return tables


def dashboard_tables(
    *, scope: Scope, start: date | None, end: date | None, language: str, include_alerts: bool = False
) -> list[StatTable]:
    threshold = ORGANISATION_THRESHOLD if scope.kind == "organisation" else PUBLIC_THRESHOLD
    with translation.override(language):
        return _tables(scope, start, end, threshold)


def public_tables(*, scope: Scope, start: date, end: date, language: str) -> list[StatTable]:
    with translation.override(language):
        return _tables(scope, start, end, PUBLIC_THRESHOLD)
