"""The ONE statistics layer (issue 16; DESIGN.md rule 6; docs/insights.md). Every figure a dashboard, a chart, the
public page, an HXL export or a situation report shows is a `StatTable` built here, from aggregates counted by the
database (GROUP BY through the ORM: no record is read into Python to be counted), and protected by
`core.disclosure` through `page.Page` (shared margins locked and forced, the page checked as a whole, optional
rounding).

What is counted, and for whom:
- **cases**: only those whose survivor's statistics consent is active (a withdrawal takes her out of the next
  build); duplicates and cases handed over to another organisation (counted there) are left out. Each person counts
  ONCE, with her latest incident of the period: zone type of that incident's municipality, GBV type, aggressor (one
  row per type, in the order of `PERPETRATOR_ORDER`: state agents and organised crime first, never folded into
  "other"), month; and her gender identity, nationality, migratory status and age band (bands only);
- **safe channel**: the risk metadata kept in clear for triage (municipality, the persecution and state-agent flags,
  the date), never the content. The report's GBV type is encrypted with the report's key, so it is not counted;
- **referrals** of cases counted above: outcome (status) and the days from sending to "attended", by service type;
- **surveys**: respondents who consented, by zone type and gender identity, and in an organisation's view the
  first indicators of each form counted by `surveys.selectors.characterisation_counts` (the characterisation page
  has them all);
- **trafficking alerts** (monitors): alerts of survivors who consent to statistics, by month and municipality
  zone type, by GBV type;
- **what people said of services** (campaigns' community-led monitoring): anonymous answers, each counted once, by
  the zone type of the service's municipality and whether it reported discrimination; by the month of the visit;
- **coverage gaps** (networks): municipality x need cells by level and zone type. They count places, not people,
  so no cell is hidden (threshold 1).

Scopes: an organisation's view counts that organisation at `INSIGHTS_ORGANISATION_THRESHOLD`; a national
(`country`) view counts the organisations with an active agreement for that country, and only incidents, reports
and alerts located in it; a regional view counts the organisations with an active regional agreement; both at
`INSIGHTS_PUBLIC_THRESHOLD`. Geography is never finer than the municipality; dates never finer than the month.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from typing import Any, cast

from django.conf import settings
from django.db.models import Case as When_
from django.db.models import CharField, Count, DateField, Exists, F, OuterRef, Q, QuerySet, Subquery, Value, When
from django.db.models.functions import TruncMonth
from django.utils import formats, timezone, translation
from django.utils.translation import gettext as _

from amparo.accounts.models import Organization
from amparo.campaigns.feedback_models import DISCRIMINATION as FEEDBACK_DISCRIMINATION
from amparo.campaigns.feedback_models import ServiceFeedback
from amparo.cases.models import Case, CaseTransfer, Consent, Incident, TraffickingAlert
from amparo.cases.vocab import PerpetratorType
from amparo.core.countries import country_name
from amparo.core.disclosure import ProtectedTable
from amparo.directory.models import Place
from amparo.referrals.models import Referral, ReferralEvent, ServiceType
from amparo.safechannel.models import Report
from amparo.surveys.models import Form as SurveyForm
from amparo.surveys.models import Submission
from amparo.vocab import AgeBand, ConsentKind, GBVType, GenderIdentity, MigratoryStatus

from .models import DataSharingAgreement
from .page import Page
from .tables import Category, Dimension, StatTable

SCOPE_KINDS = ("organisation", "country", "region")
NOT_RECORDED = "not_recorded"
ZONES = ("border", "urban", "rural")
# A person is counted once, under the first aggressor type of her incident in this order: the state agents and
# organised crime first (the recommendations ask for them as their own rows), then the others.
PERPETRATOR_ORDER = (
    PerpetratorType.POLICE,
    PerpetratorType.MILITARY,
    PerpetratorType.MIGRATION_OFFICIAL,
    PerpetratorType.OTHER_STATE_AGENT,
    PerpetratorType.ORGANISED_CRIME,
    PerpetratorType.EXPLOITER,
    PerpetratorType.CLIENT,
    PerpetratorType.INTIMATE_PARTNER,
    PerpetratorType.FAMILY,
    PerpetratorType.ACQUAINTANCE,
    PerpetratorType.EMPLOYER,
    PerpetratorType.STRANGER,
    PerpetratorType.UNKNOWN,
)
# Days from sending a referral to its "attended" event.
DELAY_BANDS: tuple[tuple[str, int | None], ...] = (("0-1", 1), ("2-3", 3), ("4-7", 7), ("8-14", 14), ("15-30", 30),
                                                   ("31+", None))  # fmt: skip
REFERRAL_OUTCOMES = ("sent", "received", "accepted", "declined", "attended", "closed")
SURVEY_INDICATORS_SHOWN = 4  # per form, in an organisation's view (the characterisation page has every one)


@dataclass(frozen=True)
class Scope:
    kind: str  # "organisation" | "country" | "region"
    organization_id: int | None = None
    country: str = ""  # ISO 3166-1 alpha-2, for kind == "country"


class ScopeError(ValueError):
    pass


def threshold_for(scope: Scope) -> int:
    if scope.kind == "organisation":
        return int(settings.INSIGHTS_ORGANISATION_THRESHOLD)
    return int(settings.INSIGHTS_PUBLIC_THRESHOLD)


def _check(scope: Scope) -> None:
    if scope.kind not in SCOPE_KINDS:
        raise ScopeError(f"unknown scope {scope.kind!r}")
    if scope.kind == "organisation" and not scope.organization_id:
        raise ScopeError("an organisation's view needs the organisation")
    if scope.kind == "country" and (len(scope.country) != 2 or not scope.country.isalpha()):
        raise ScopeError("a national view needs an ISO 3166-1 alpha-2 country code")


def organisations_in_scope(scope: Scope, start: date | None, end: date | None) -> list[int]:
    """The organisations counted: the one of an organisation's view; for a national or regional view, those with
    an active agreement for that scope that covers part of the period."""
    _check(scope)
    if scope.kind == "organisation":
        return [int(scope.organization_id or 0)]
    today = timezone.localdate()
    agreements = DataSharingAgreement.objects.filter(active=True, scope=scope.kind)
    if scope.kind == "country":
        agreements = agreements.filter(country=scope.country.upper())
    agreements = agreements.filter(since__lte=end or today).filter(Q(until__isnull=True) | Q(until__gte=start or today))
    return sorted(set(agreements.values_list("organization_id", flat=True)))


# --- Categories --------------------------------------------------------------------------------------------------


def _zone_categories() -> tuple[Category, ...]:
    labels = dict(Place.Zone.choices)
    return (*(Category(z, str(labels[z])) for z in ZONES), Category(NOT_RECORDED, _("Not recorded")))


def _choices(choices: Iterable[tuple[str, Any]]) -> tuple[Category, ...]:
    return tuple(Category(str(code), str(label)) for code, label in choices)


def _month_start(d: date) -> date:
    return d.replace(day=1)


def _next_month(d: date) -> date:
    return date(d.year + (d.month == 12), d.month % 12 + 1, 1)


def months_between(start: date, end: date) -> list[date]:
    found, current = [], _month_start(start)
    while current <= end:
        found.append(current)
        current = _next_month(current)
    return found


def _month_category(d: date) -> Category:
    return Category(f"{d:%Y-%m}", formats.date_format(d, "YEAR_MONTH_FORMAT"))


def _code(value: Any) -> str:
    if value is None or value == "":
        return NOT_RECORDED
    if isinstance(value, date):
        return f"{value:%Y-%m}"
    return str(value)


# --- Building a page ---------------------------------------------------------------------------------------------


@dataclass
class _Spec:
    key: str
    title: str
    description: str
    rows: Dimension
    columns: Dimension
    row_categories: tuple[Category, ...]
    column_categories: tuple[Category, ...]
    counts: list[list[int]]
    sources: tuple[str, ...]
    unit: str
    row_margin: str = ""  # the key prefix of the shared row totals ("" : not shared)
    column_margin: str = ""
    total_key: str = ""
    row_totals: bool = True
    notes: tuple[str, ...] = ()
    rank: bool = False  # rows re-ordered after protection: shown counts first, largest first


@dataclass
class _Builder:
    scope: Scope
    start: date | None
    end: date | None
    threshold: int
    page: Page
    specs: list[tuple[_Spec, int]] = field(default_factory=list)
    gap: tuple[tuple[Category, ...], tuple[Category, ...], ProtectedTable] | None = None

    def add(self, spec: _Spec) -> None:
        r, c = len(spec.counts), len(spec.column_categories)
        keys: dict[tuple[int, int], str] = {}
        if spec.row_margin and spec.row_totals:
            for i, category in enumerate(spec.row_categories):
                keys[(i, c)] = f"{spec.row_margin}:{category.code}"
        if spec.column_margin:
            for j, category in enumerate(spec.column_categories):
                keys[(r, j)] = f"{spec.column_margin}:{category.code}"
        if spec.total_key:
            # Without row totals (a one-column ranking), the column's total is the grand total.
            keys[(r, c) if spec.row_totals else (r, 0)] = spec.total_key
        index = self.page.protect(spec.counts, keys=keys, row_totals=spec.row_totals)
        self.specs.append((spec, index))

    def tables(self) -> list[StatTable]:
        self.page.finish()
        found = []
        for spec, index in self.specs:
            protected = self.page.table(index)
            rows = spec.row_categories
            if spec.rank:
                protected, rows = _ranked(protected, rows)
            notes = list(spec.notes)
            if protected.withheld:
                notes.append(_("Withheld whole: no pattern of hidden cells kept its small counts safe."))
            if self.page.rounding:
                notes.append(
                    _("Counts shown are rounded to the nearest multiple of %(base)s; totals may not add up.")
                    % {"base": self.page.rounding}
                )
            found.append(
                StatTable(
                    key=spec.key,
                    title=spec.title,
                    description=spec.description,
                    rows=spec.rows,
                    columns=spec.columns,
                    row_categories=rows,
                    column_categories=spec.column_categories,
                    protected=protected,
                    threshold=self.threshold,
                    period_start=self.start,
                    period_end=self.end,
                    sources=spec.sources,
                    unit=spec.unit,
                    notes=tuple(notes),
                )
            )
        return found


def _ranked(table: ProtectedTable, rows: tuple[Category, ...]) -> tuple[ProtectedTable, tuple[Category, ...]]:
    """Rows with a shown count first, largest first; hidden rows after, by name (their order says nothing)."""
    first = [row[0] for row in table.cells]
    order = sorted(
        range(len(rows)), key=lambda i: (first[i] is None, -(first[i] or 0), rows[i].label.casefold(), rows[i].code)
    )
    return (
        ProtectedTable(
            cells=tuple(table.cells[i] for i in order),
            row_totals=tuple(table.row_totals[i] for i in order),
            column_totals=table.column_totals,
            total=table.total,
            primary=table.primary,
            complementary=table.complementary,
            withheld=table.withheld,
        ),
        tuple(rows[i] for i in order),
    )


def _cross(
    grouped: Iterable[dict[str, Any]],
    row_categories: Sequence[Category],
    column_categories: Sequence[Category],
    row_code: Callable[[Any], str] = _code,
    column_code: Callable[[Any], str] = _code,
) -> list[list[int]]:
    """A grid of counts from GROUP BY rows {"r": ..., "c": ..., "n": ...}; values outside the categories are folded
    into NOT_RECORDED when it is a category (never dropped silently otherwise: they are not counted anywhere)."""
    r_index = {c.code: i for i, c in enumerate(row_categories)}
    c_index = {c.code: j for j, c in enumerate(column_categories)}
    grid = [[0 for _ in column_categories] for _ in row_categories]
    for item in grouped:
        rc, cc = row_code(item["r"]), column_code(item["c"])
        i = r_index.get(rc, r_index.get(NOT_RECORDED))
        j = c_index.get(cc, c_index.get(NOT_RECORDED))
        if i is not None and j is not None:
            grid[i][j] += int(item["n"])
    return grid


def _grouped(queryset: QuerySet[Any], row: Any, column: Any) -> list[dict[str, Any]]:
    return list(queryset.annotate(r=row, c=column).values("r", "c").annotate(n=Count("pk")).order_by())


# --- Cases -------------------------------------------------------------------------------------------------------


def _midnight(d: date) -> datetime:
    """The first instant of a day in the current time zone."""
    return timezone.make_aware(datetime.combine(d, time.min))


def _period(field_name: str, start: date | None, end: date | None) -> Q:
    """Records whose date (in the current time zone) is in the period: a range of instants, not the date of each
    row, so PostgreSQL can estimate (and index) it; the same records as `__date__gte`/`__date__lte`."""
    q = Q()
    if start is not None:
        q &= Q(**{f"{field_name}__gte": _midnight(start)})
    if end is not None:
        q &= Q(**{f"{field_name}__lt": _midnight(end + timedelta(days=1))})
    return q


def _country_q(prefix: str, scope: Scope) -> Q:
    """Records whose place (a municipality) is in the scope's country. The municipalities are listed first: as a
    join through two parents inside the "latest incident" subquery, PostgreSQL scanned every incident of each place
    once per case (90 s for a country report of 5,000 cases; bench/insights.py times the reports now)."""
    if scope.kind != "country":
        return Q()
    municipalities = list(
        Place.objects.filter(level=Place.Level.ADMIN2, parent__parent__pcode=scope.country.upper()).values_list(
            "pk", flat=True
        )
    )
    return Q(**{f"{prefix}__in": municipalities})


def counted_incidents(scope: Scope, start: date | None, end: date | None) -> QuerySet[Incident]:
    """One incident per counted person: her latest in the period (and, in a national view, in the country), the
    one no other incident of hers in the period follows (by time, then by id). Written as "no later incident" rather
    than "the first of her incidents ordered by time, per case": the database answers it in one pass over the
    incidents with an index probe each, where the per-case subquery ran twice per case (bench/insights.py)."""
    organisations = organisations_in_scope(scope, start, end)
    where = _period("occurred_at", start, end) & _country_q("place", scope)
    consented = Consent.objects.filter(case=OuterRef("case_id"), kind=ConsentKind.STATISTICS, withdrawn_at__isnull=True)
    handed_over = CaseTransfer.objects.filter(case=OuterRef("case_id"), status=CaseTransfer.Status.ACCEPTED)
    later = Incident.objects.filter(where, case=OuterRef("case_id")).filter(
        Q(occurred_at__gt=OuterRef("occurred_at")) | Q(occurred_at=OuterRef("occurred_at"), pk__gt=OuterRef("pk"))
    )
    return (
        Incident.objects.filter(where, case__organization_id__in=organisations)
        .filter(~Q(case__closed_as=Case.ClosedAs.DUPLICATE))
        .filter(Exists(consented))
        .exclude(Exists(handed_over))
        .exclude(Exists(later))
    )


def _perpetrator_expression() -> When_:
    return When_(
        *(When(perpetrator_types__icontains=f'"{code}"', then=Value(str(code))) for code in PERPETRATOR_ORDER),
        default=Value(NOT_RECORDED),
        output_field=CharField(),
    )


def _month_expression(field_name: str) -> TruncMonth:
    return TruncMonth(field_name, output_field=DateField())


def _case_tables(b: _Builder, language: str) -> None:
    """The case tables from two GROUP BYs of the counted people (each person once), not one per table: per
    municipality and nationality, counts of every category of the other dimensions (conditional counts); per
    aggressor (an expression over the list of aggressors) and zone type. Each table sums its cells from them."""
    incidents = counted_incidents(b.scope, b.start, b.end)
    zones = _zone_categories()
    people = _("people")
    column = Dimension("zone_type", _("Zone type"))
    base = "cases"
    sources = ("cases",)
    gender = _choices(GenderIdentity.choices)
    gbv = _choices(GBVType.choices)
    statuses = _choices(MigratoryStatus.choices)
    ages = _choices(AgeBand.choices)
    labels = dict(PerpetratorType.choices)
    perpetrators = (*(Category(str(c), str(labels[c])) for c in PERPETRATOR_ORDER), Category(NOT_RECORDED,
                    _("Not recorded")))  # fmt: skip
    if b.start is not None and b.end is not None:
        month_starts = months_between(b.start, b.end)
    else:
        found = incidents.annotate(m=_month_expression("occurred_at")).values_list("m", flat=True).order_by()
        month_starts = sorted({_month_start(m if isinstance(m, date) else m.date()) for m in found.distinct() if m})
    months = tuple(_month_category(m) for m in month_starts)
    facets: list[tuple[str, str, tuple[Category, ...]]] = [  # counter prefix, field, categories
        ("g", "case__gender_identity", gender),
        ("v", "gbv_type", gbv),
        ("s", "case__migratory_status", statuses),
        ("a", "case__age_band", ages),
    ]
    counters: dict[str, Any] = {"n": Count("pk")}
    for prefix, field_name, categories in facets:
        for i, category in enumerate(categories):
            counters[f"{prefix}{i}"] = Count("pk", filter=Q(**{field_name: category.code}))
    for i, month in enumerate(month_starts):
        counters[f"m{i}"] = Count("pk", filter=_period("occurred_at", month, _next_month(month) - timedelta(days=1)))
    for i, v in enumerate(gbv):
        for j, g in enumerate(gender):
            counters[f"x{i}_{j}"] = Count("pk", filter=Q(gbv_type=v.code, case__gender_identity=g.code))
    groups: list[dict[str, Any]] = list(
        cast(
            Iterable[dict[str, Any]],
            incidents.values(
                "place__pcode", "place__name", "place__zone", "place__parent__pcode", "place__parent__name",
                "case__nationality",
            )
            .annotate(**counters)
            .order_by(),
        )
    )  # fmt: skip
    z_index = {c.code: j for j, c in enumerate(zones)}
    not_recorded_zone = z_index[NOT_RECORDED]

    def zone_of(group: dict[str, Any]) -> int:
        return z_index.get(_code(group["place__zone"]), not_recorded_zone)

    def by_zone(prefix: str, categories: Sequence[Category]) -> list[list[int]]:
        grid = [[0 for _ in zones] for _ in categories]
        for group in groups:
            j = zone_of(group)
            for i in range(len(categories)):
                grid[i][j] += int(group[f"{prefix}{i}"])
        return grid

    def add(key: str, dimension: Dimension, categories: tuple[Category, ...], counts: list[list[int]], title: str,
            desc: str, notes: tuple[str, ...] = ()) -> None:  # fmt: skip
        b.add(
            _Spec(
                key=f"cases.{key}_by_zone",
                title=title,
                description=desc,
                rows=dimension,
                columns=column,
                row_categories=categories,
                column_categories=zones,
                counts=counts,
                sources=sources,
                unit="people",
                row_margin=f"{base}:{dimension.key}",
                column_margin=f"{base}:zone_type",
                total_key=base,
                notes=notes,
            )
        )

    add("gender_identity", Dimension("gender_identity", _("Gender identity")), gender, by_zone("g", gender),
        _("Survivors by gender identity and zone type"),
        _("People who consented to be counted, by gender identity and the zone type of the municipality where "
          "the incident happened."))  # fmt: skip
    add("gbv_type", Dimension("gbv_type", _("GBV type (GBVIMS)")), gbv, by_zone("v", gbv),
        _("Survivors by type of violence and zone type"),
        _("People counted once, with the GBVIMS type of their latest incident of the period."))  # fmt: skip
    add("perpetrator_type", Dimension("perpetrator_type", _("Aggressor")), perpetrators,
        _cross(_grouped(incidents, _perpetrator_expression(), F("place__zone")), perpetrators, zones),
        _("Survivors by aggressor and zone type"),
        _("People counted once, under the first aggressor of their incident in this order: police, military, "
          "migration officials, other state agents, organised crime or armed groups, then the others."),
        (_("State agents and organised crime are rows of their own, never folded into another row."),))  # fmt: skip
    nationalities = sorted(
        {str(g["case__nationality"]) for g in groups if g["case__nationality"]},
        key=lambda code: country_name(code).casefold(),
    )
    nationality = (*(Category(code, country_name(code)) for code in nationalities), Category(NOT_RECORDED,
                   _("Not recorded")))  # fmt: skip
    add("nationality", Dimension("nationality", _("Nationality")), nationality,
        _cross(({"r": g["case__nationality"], "c": g["place__zone"], "n": g["n"]} for g in groups), nationality,
               zones),
        _("Survivors by nationality and zone type"), _("People counted, by nationality."))  # fmt: skip
    add("migratory_status", Dimension("migratory_status", _("Migratory status")), statuses, by_zone("s", statuses),
        _("Survivors by migratory status and zone type"), _("People counted, by migratory status."))  # fmt: skip
    add("age_band", Dimension("age_band", _("Age")), ages, by_zone("a", ages),
        _("Survivors by age band and zone type"), _("People counted, by age band (never an exact age)."))  # fmt: skip
    add("month", Dimension("month", _("Month")), months, by_zone("m", months),
        _("Survivors by month of the incident and zone type"),
        _("People counted, by the month of their latest incident of the period (never a finer date)."))  # fmt: skip
    # GBV type by gender identity: trans women first. Its margins are the row totals of the two tables above.
    crossed = [[sum(int(g[f"x{i}_{j}"]) for g in groups) for j in range(len(gender))] for i in range(len(gbv))]
    b.add(
        _Spec(
            key="cases.gbv_type_by_gender_identity",
            title=_("Survivors by type of violence and gender identity"),
            description=_("People counted once, by the GBVIMS type of their latest incident and gender identity."),
            rows=Dimension("gbv_type", _("GBV type (GBVIMS)")),
            columns=Dimension("gender_identity", _("Gender identity")),
            row_categories=gbv,
            column_categories=gender,
            counts=crossed,
            sources=sources,
            unit="people",
            row_margin=f"{base}:gbv_type",
            column_margin=f"{base}:gender_identity",
            total_key=base,
        )
    )
    if b.scope.kind != "organisation":
        _geography_tables(b, groups, people)


def _months_of(b: _Builder, found: Iterable[Any]) -> tuple[Category, ...]:
    if b.start is not None and b.end is not None:
        return tuple(_month_category(m) for m in months_between(b.start, b.end))
    present = sorted({_month_start(m if isinstance(m, date) else m.date()) for m in found if m is not None})
    return tuple(_month_category(m) for m in present)


def _geography_tables(b: _Builder, groups: list[dict[str, Any]], people: str) -> None:
    """Departments by zone type, and the ranked municipalities (no finer geography; no map: docs/insights.md), from
    the counts per municipality of `_case_tables`."""
    one = (Category("people", people),)
    categories = tuple(
        sorted(
            {Category(str(g["place__parent__pcode"]), str(g["place__parent__name"])) for g in groups},
            key=lambda c: (c.label.casefold(), c.code),
        )
    )
    if categories:
        zones = _zone_categories()
        b.add(
            _Spec(
                key="cases.admin1_by_zone",
                title=_("Survivors by department and zone type"),
                description=_("People counted, by the department (first administrative level) of the incident."),
                rows=Dimension("admin1", _("Department / province")),
                columns=Dimension("zone_type", _("Zone type")),
                row_categories=categories,
                column_categories=zones,
                counts=_cross(
                    ({"r": g["place__parent__pcode"], "c": g["place__zone"], "n": g["n"]} for g in groups),
                    categories,
                    zones,
                ),
                sources=("cases",),
                unit="people",
                row_margin="cases:admin1",
                column_margin="cases:zone_type",
                total_key="cases",
            )
        )
    rows = tuple(
        sorted(
            {Category(str(g["place__pcode"]), str(g["place__name"])) for g in groups},
            key=lambda c: (c.label.casefold(), c.code),
        )
    )
    if rows:
        index = {c.code: i for i, c in enumerate(rows)}
        counts = [[0] for _ in rows]
        for g in groups:
            counts[index[str(g["place__pcode"])]][0] += int(g["n"])
        b.add(
            _Spec(
                key="cases.admin2_ranked",
                title=_("Survivors by municipality"),
                description=_(
                    "People counted, by the municipality of the incident, largest first; hidden counts "
                    "last, in alphabetical order."
                ),
                rows=Dimension("admin2", _("Municipality")),
                columns=Dimension("unit", _("Count")),
                row_categories=rows,
                column_categories=one,
                counts=counts,
                sources=("cases",),
                unit="people",
                total_key="cases",
                row_totals=False,
                rank=True,
            )
        )


# --- Safe channel, referrals, alerts, surveys, gaps ----------------------------------------------------------------


def _report_tables(b: _Builder) -> None:
    organisations = organisations_in_scope(b.scope, b.start, b.end)
    reports = Report.objects.filter(organization_id__in=organisations).filter(
        _period("created_at", b.start, b.end) & _country_q("place", b.scope)
    )
    zones = _zone_categories()
    risks = _choices((str(v), label) for v, label in Report.Risk.choices)
    column = Dimension("zone_type", _("Zone type"))
    # One GROUP BY for both tables (a few hundred groups at most), summed per table.
    groups = list(
        reports.annotate(r=F("risk"), m=_month_expression("created_at"), z=F("place__zone"))
        .values("r", "m", "z")
        .annotate(n=Count("pk"))
        .order_by()
    )
    b.add(
        _Spec(
            key="safechannel.risk_by_zone",
            title=_("Safe-channel reports by risk and zone type"),
            description=_(
                "Reports received through the safe channel, by what they say of the aggressor (persecution, "
                "state agent) and the zone type of the municipality; never their content."
            ),
            rows=Dimension("risk_flag", _("Risk")),
            columns=column,
            row_categories=risks,
            column_categories=zones,
            counts=_cross(({"r": g["r"], "c": g["z"], "n": g["n"]} for g in groups), risks, zones),
            sources=("safechannel",),
            unit="reports",
            row_margin="reports:risk_flag",
            column_margin="reports:zone_type",
            total_key="reports",
            notes=(_("The type of violence a report describes is encrypted with the report's key: not counted."),),
        )
    )
    months = _months_of(b, (g["m"] for g in groups))
    b.add(
        _Spec(
            key="safechannel.month_by_zone",
            title=_("Safe-channel reports by month and zone type"),
            description=_("Reports received through the safe channel, by month of reception."),
            rows=Dimension("month", _("Month")),
            columns=column,
            row_categories=months,
            column_categories=zones,
            counts=_cross(({"r": g["m"], "c": g["z"], "n": g["n"]} for g in groups), months, zones),
            sources=("safechannel",),
            unit="reports",
            row_margin="reports:month",
            column_margin="reports:zone_type",
            total_key="reports",
        )
    )


def _referral_tables(b: _Builder) -> None:
    """Both referral tables from one GROUP BY (outcome, type, delay band: a few hundred groups at most)."""
    people = counted_incidents(b.scope, b.start, b.end).values("case_id")
    referrals = Referral.objects.filter(case_id__in=people).filter(_period("sent_at", b.start, b.end))
    types = _choices(ServiceType.choices)
    outcomes_labels = dict(Referral.Status.choices)
    outcomes = tuple(Category(s, str(outcomes_labels[s])) for s in REFERRAL_OUTCOMES)
    column = Dimension("service_type", _("Referral type"))
    # The delay band of each referral, decided inside ONE subquery on its first "attended" event: a band written
    # over an annotated subquery would repeat the subquery in every WHEN (seconds at 50,000 referrals).
    band = When_(
        *(When(at__lte=OuterRef("sent_at") + timedelta(days=days), then=Value(code))
          for code, days in DELAY_BANDS if days is not None),
        default=Value(DELAY_BANDS[-1][0]),
        output_field=CharField(),
    )  # fmt: skip
    attended = (
        ReferralEvent.objects.filter(referral=OuterRef("pk"), status=Referral.Status.ATTENDED)
        .order_by("at", "pk")
        .annotate(band=band)
        .values("band")[:1]
    )
    groups = list(
        referrals.annotate(o=F("status"), t=F("service_type"), d=Subquery(attended, output_field=CharField()))
        .values("o", "t", "d")
        .annotate(n=Count("pk"))
        .order_by()
    )
    b.add(
        _Spec(
            key="referrals.outcome_by_type",
            title=_("Referrals by outcome and type"),
            description=_("Referrals of the people counted, sent in the period, by where they stand now."),
            rows=Dimension("referral_outcome", _("Outcome")),
            columns=column,
            row_categories=outcomes,
            column_categories=types,
            counts=_cross(({"r": g["o"], "c": g["t"], "n": g["n"]} for g in groups), outcomes, types),
            sources=("referrals", "cases"),
            unit="referrals",
            row_margin="referrals:outcome",
            column_margin="referrals:service_type",
            total_key="referrals",
        )
    )
    bands = tuple(Category(code, _("%(band)s days") % {"band": code}) for code, _days in DELAY_BANDS)
    b.add(
        _Spec(
            key="referrals.delay_by_type",
            title=_("Days from referral to attention, by type"),
            description=_("Referrals attended, by the days between sending and the receiving service's 'attended'."),
            rows=Dimension("delay_band", _("Days to attention")),
            columns=column,
            row_categories=bands,
            column_categories=types,
            counts=_cross(
                ({"r": g["d"], "c": g["t"], "n": g["n"]} for g in groups if g["d"] is not None), bands, types
            ),
            sources=("referrals", "cases"),
            unit="referrals",
            row_margin="referrals_attended:delay",
            column_margin="referrals_attended:service_type",
            total_key="referrals_attended",
        )
    )


def _alert_tables(b: _Builder) -> None:
    organisations = organisations_in_scope(b.scope, b.start, b.end)
    alerts = TraffickingAlert.objects.filter(reporting_organization_id__in=organisations, statistics_consented=True)
    if b.start is not None:
        alerts = alerts.filter(raised_on__gte=b.start)
    if b.end is not None:
        alerts = alerts.filter(raised_on__lte=b.end)
    alerts = alerts.filter(_country_q("place", b.scope))
    zones = _zone_categories()
    column = Dimension("zone_type", _("Zone type"))
    groups = list(
        alerts.annotate(m=TruncMonth("raised_on"), v=F("gbv_type"), z=F("place__zone"))
        .values("m", "v", "z")
        .annotate(n=Count("pk"))
        .order_by()
    )  # one GROUP BY for both tables, summed per table
    months = _months_of(b, (g["m"] for g in groups))
    b.add(
        _Spec(
            key="alerts.month_by_zone",
            title=_("Trafficking alerts by month and zone type"),
            description=_("Alerts raised for the Ombudsman, of survivors who consent to statistics, by month."),
            rows=Dimension("month", _("Month")),
            columns=column,
            row_categories=months,
            column_categories=zones,
            counts=_cross(({"r": g["m"], "c": g["z"], "n": g["n"]} for g in groups), months, zones),
            sources=("cases",),
            unit="alerts",
            row_margin="alerts:month",
            column_margin="alerts:zone_type",
            total_key="alerts",
        )
    )
    gbv = (*_choices(GBVType.choices), Category(NOT_RECORDED, _("Not recorded")))
    b.add(
        _Spec(
            key="alerts.gbv_type_by_zone",
            title=_("Trafficking alerts by type of violence and zone type"),
            description=_("Alerts raised for the Ombudsman, by the GBVIMS type of the incident."),
            rows=Dimension("gbv_type", _("GBV type (GBVIMS)")),
            columns=column,
            row_categories=gbv,
            column_categories=zones,
            counts=_cross(({"r": g["v"], "c": g["z"], "n": g["n"]} for g in groups), gbv, zones),
            sources=("cases",),
            unit="alerts",
            row_margin="alerts:gbv_type",
            column_margin="alerts:zone_type",
            total_key="alerts",
        )
    )


def counted_submissions(scope: Scope, start: date | None, end: date | None) -> QuerySet[Submission]:
    organisations = organisations_in_scope(scope, start, end)
    found = Submission.objects.filter(organization_id__in=organisations, statistics_consent=True).filter(
        Q(encrypted=False) | Q(decrypted_at__isnull=False)
    )
    if start is not None:
        found = found.filter(interview_date__gte=start)
    if end is not None:
        found = found.filter(interview_date__lte=end)
    if scope.kind == "country":
        found = found.filter(municipality_pcode__startswith=scope.country.upper())
    return found


def _survey_tables(b: _Builder, language: str) -> None:
    submissions = counted_submissions(b.scope, b.start, b.end)
    zones = _zone_categories()
    gender = (*_choices(GenderIdentity.choices), Category(NOT_RECORDED, _("Not recorded")))
    column = Dimension("zone_type", _("Zone type"))
    b.add(
        _Spec(
            key="surveys.respondents_by_zone",
            title=_("Survey respondents by gender identity and zone type"),
            description=_("People interviewed who consented to be counted, by gender identity and zone type."),
            rows=Dimension("gender_identity", _("Gender identity")),
            columns=column,
            row_categories=gender,
            column_categories=zones,
            counts=_cross(_grouped(submissions, F("gender_identity"), F("zone_type")), gender, zones),
            sources=("surveys",),
            unit="submissions",
            row_margin="surveys:gender_identity",
            column_margin="surveys:zone_type",
            total_key="surveys",
        )
    )
    if b.scope.kind == "organisation":
        forms = SurveyForm.objects.filter(organization_id=b.scope.organization_id or 0).order_by("title", "pk")
        for form in forms:
            _survey_indicator_tables(b, form, language)


def _survey_indicator_tables(b: _Builder, form: SurveyForm, language: str) -> None:
    """The first select-one indicators of a form by zone type, counted by the surveys' own selector."""
    from amparo.surveys.characterisation import DIMENSIONS
    from amparo.surveys.selectors import Filters, characterisation_counts, indicators_for_form

    indicators = [i for i in indicators_for_form(form, language) if i.kind == "select_one"][:SURVEY_INDICATORS_SHOWN]
    if not indicators:
        return
    counts = characterisation_counts(form, indicators, Filters(start=b.start, end=b.end))
    z = DIMENSIONS.index("zone_type")
    zones = _zone_categories()
    z_index = {c.code: j for j, c in enumerate(zones)}
    respondents = [0 for _ in zones]
    for row in counts.cube:
        respondents[z_index.get(row.groups[z] or NOT_RECORDED, len(zones) - 1)] += row.respondents
    for indicator in indicators:
        categories = (*(Category(code, label) for code, label in indicator.categories),
                      Category("no_answer", _("No answer")))  # fmt: skip
        grid = [[0 for _ in zones] for _ in categories]
        r_index = {c.code: i for i, c in enumerate(categories)}
        for row in counts.cube:
            j = z_index.get(row.groups[z] or NOT_RECORDED, len(zones) - 1)
            for (key, code), n in row.counts.items():
                if key == indicator.key and code in r_index:
                    grid[r_index[code]][j] += n
        for j in range(len(zones)):
            grid[-1][j] = max(respondents[j] - sum(grid[i][j] for i in range(len(categories) - 1)), 0)
        b.add(
            _Spec(
                key=f"surveys.{form.pk}.{indicator.key}_by_zone",
                title=f"{form.title}: {indicator.label}",
                description=_("Answers of the respondents who consented to be counted, by zone type."),
                rows=Dimension("indicator", indicator.label),
                columns=Dimension("zone_type", _("Zone type")),
                row_categories=categories,
                column_categories=zones,
                counts=grid,
                sources=("surveys",),
                unit="submissions",
                row_margin=f"surveys.{form.pk}:{indicator.key}",
                column_margin=f"surveys.{form.pk}:zone_type",
                total_key=f"surveys.{form.pk}",
            )
        )


def _gap_tables(b: _Builder) -> None:
    """Coverage gaps (networks): municipality x need cells by level and zone type, in the scope's countries. They
    count places, not people: the threshold is 1 (nothing hidden)."""
    from amparo.networks.gap_selectors import GapQuery, gap_matrix
    from amparo.networks.gaps import LEVEL_WORDS, Level

    if b.scope.kind == "country":
        scopes: list[Place | None] = list(Place.objects.filter(level=Place.Level.COUNTRY, pcode=b.scope.country))
    elif b.scope.kind == "region":
        scopes = [None]
    else:
        organisation = Organization.objects.filter(pk=b.scope.organization_id or 0).first()
        areas = list(organisation.areas.all()) if organisation else []
        scopes = list({a.pk: a for a in areas}.values())
    zones = _zone_categories()
    levels = tuple(Category(level.name.lower(), str(LEVEL_WORDS[level])) for level in Level)
    grid = [[0 for _ in zones] for _ in levels]
    z_index = {c.code: j for j, c in enumerate(zones)}
    seen: set[int] = set()
    for place in scopes:
        for row in gap_matrix(GapQuery(scope=place)).rows:
            if row.place.id in seen:
                continue  # areas may overlap (a department and one of its municipalities)
            seen.add(row.place.id)
            for cell in row.cells:
                grid[int(cell.level)][z_index.get(row.place.zone or NOT_RECORDED, len(zones) - 1)] += 1
    if not seen:
        return
    gaps = Page(threshold=1)
    index = gaps.protect(grid, keys={})
    gaps.finish()
    b.gap = (levels, zones, gaps.table(index))


# --- Entry points -------------------------------------------------------------------------------------------------


def _builder(scope: Scope, start: date | None, end: date | None, threshold: int) -> _Builder:
    rounding = int(getattr(settings, "INSIGHTS_ROUNDING", 0) or 0)
    return _Builder(scope, start, end, threshold, Page(threshold=threshold, rounding=rounding))


def _gap_table(b: _Builder) -> StatTable | None:
    if b.gap is None:
        return None
    levels, zones, protected = b.gap
    return StatTable(
        key="networks.gap_levels_by_zone",
        title=_("Coverage of needs by municipality and zone type"),
        description=_("Municipality and need pairs, by how well services cover the need (networks' gap matrix)."),
        rows=Dimension("gap_level", _("Coverage")),
        columns=Dimension("zone_type", _("Zone type")),
        row_categories=levels,
        column_categories=zones,
        protected=protected,
        threshold=1,
        period_start=None,
        period_end=None,
        sources=("directory", "networks"),
        unit="places",
        notes=(_("Counts of places and needs, not of people: nothing is hidden."),),
    )


def _feedback_tables(b: _Builder) -> None:
    """What people said of services (campaigns' community-led monitoring): anonymous answers by the zone type of
    the service's municipality, whether the answer reported discrimination (turned away for who she is, asked for
    an ID she did not have, or charged for something free). Each answer counts once. An organisation's view counts
    the services of its directory entry; a national view the services located in the country; the regional view
    all. Answers are counted by the month of the visit they name (they keep no finer date)."""
    answers = ServiceFeedback.objects.all()
    if b.start is not None:
        answers = answers.filter(visit_month__gte=_month_start(b.start))
    if b.end is not None:
        answers = answers.filter(visit_month__lte=b.end)
    if b.scope.kind == "organisation":
        entry = (
            Organization.objects.filter(pk=int(b.scope.organization_id or 0))
            .values_list("directory_organization_id", flat=True)
            .first()
        )
        if entry is None:
            return
        answers = answers.filter(service__organization_id=entry)
    elif b.scope.kind == "country":
        answers = answers.filter(service_at_location__country__pcode=b.scope.country.upper())
    zones = _zone_categories()
    said = (
        Category("discrimination", _("Reported discrimination")),
        Category("none", _("Reported none")),
    )
    grouped = [
        dict(row)
        for row in answers.annotate(
            c=F("service_at_location__place__zone"),
            r=When_(When(FEEDBACK_DISCRIMINATION, then=Value("discrimination")), default=Value("none"),
                    output_field=CharField()),
        )
        .values("r", "c")
        .annotate(n=Count("pk"))
        .order_by()
    ]  # fmt: skip
    if not grouped:
        return
    b.add(
        _Spec(
            key="feedback.discrimination_by_zone",
            title=_("What people said of services, by zone type"),
            description=_(
                "Anonymous answers about a visit to a service, each counted once: whether it reported being turned "
                "away for who she is, asked for an ID she did not have, or charged for something free."
            ),
            rows=Dimension("feedback", _("Answer")),
            columns=Dimension("zone_type", _("Zone type")),
            row_categories=said,
            column_categories=zones,
            counts=_cross(grouped, said, zones),
            sources=("campaigns",),
            unit="answers",
            row_margin="feedback:said",
            column_margin="feedback:zone_type",
            total_key="feedback",
        )
    )


def dashboard_tables(
    *, scope: Scope, start: date | None, end: date | None, language: str, include_alerts: bool = False
) -> list[StatTable]:
    """Every table of a dashboard, protected together (one page). Raises ScopeError for a malformed scope."""
    _check(scope)
    if start is not None and end is not None and start > end:
        raise ScopeError("the period starts after it ends")
    with translation.override(language):
        b = _builder(scope, start, end, threshold_for(scope))
        _case_tables(b, language)
        _report_tables(b)
        _referral_tables(b)
        _survey_tables(b, language)
        if include_alerts:
            _alert_tables(b)
        _feedback_tables(b)
        _gap_tables(b)
        tables = b.tables()
        gap = _gap_table(b)
        if gap is not None:
            tables.append(gap)
    return tables


def public_tables(*, scope: Scope, start: date, end: date, language: str) -> list[StatTable]:
    """The tables a coordinator may publish: a national or regional scope, the public threshold, whole months, no
    trafficking-alert detail, no survey indicator of one organisation's forms."""
    _check(scope)
    if scope.kind not in ("country", "region"):
        raise ScopeError("only a national or regional view is published")
    if start > end:
        raise ScopeError("the period starts after it ends")
    start = _month_start(start)
    end = _next_month(end) - timedelta(days=1)
    with translation.override(language):
        b = _builder(scope, start, end, int(settings.INSIGHTS_PUBLIC_THRESHOLD))
        _case_tables(b, language)
        _report_tables(b)
        _referral_tables(b)
        _survey_tables(b, language)
        return b.tables()


def hidden_cells(tables: Iterable[StatTable]) -> int:
    return sum(t.protected.hidden for t in tables)


def by_key(tables: Iterable[StatTable]) -> dict[str, StatTable]:
    return {t.key: t for t in tables}


def grouped_by_source(tables: Iterable[StatTable]) -> dict[str, list[StatTable]]:
    found: dict[str, list[StatTable]] = defaultdict(list)
    for t in tables:
        found[t.key.split(".", 1)[0]].append(t)
    return dict(found)
