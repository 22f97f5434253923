"""Reads for the coverage-gap matrix: the municipalities of a scope, the service points counted in ONE SQL query
over `directory.ServiceAtLocation` (its `type_mask`, `fact_mask` and `place` columns), and the survey answers as
counts per municipality (never one answer). docs/networks.md, "Coverage gaps".

The counts are analysis: `service_counts`, `survey_demand`, `discrimination_counts` and `gap_matrix` read on
`analytics_db()`, the read replica when DATABASE_REPLICA_URL configures one (docs/architecture.md, "Scale").
`municipalities` and `consenting_submissions` return unbound query sets (other reads use them as subqueries): the
function that evaluates one picks the database."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any, cast

from django.conf import settings
from django.db import connections
from django.db.models import (
    BooleanField,
    Case,
    Count,
    Exists,
    ExpressionWrapper,
    F,
    IntegerField,
    OuterRef,
    Q,
    QuerySet,
    Sum,
    Value,
    When,
)
from django.utils import timezone

from amparo.campaigns.feedback_selectors import discrimination_by_municipality_need, summary_months
from amparo.core.db_router import analytics_db
from amparo.core.disclosure import ORGANISATION_THRESHOLD
from amparo.directory.models import FocalPoint, Place, Sensitisation, ServiceAtLocation
from amparo.directory.taxonomy import INCLUSION_FACT_BIT, SERVICE_TYPE_BIT, SERVICE_TYPES, ServiceTypeInfo
from amparo.surveys.codebook import CAPACITY, WORD_BITS
from amparo.surveys.models import Form as SurveyForm
from amparo.surveys.models import Submission

from .gaps import CellCounts, Group, Matrix, Municipality, SurveyDemand, build_matrix, groups, weights


def scope_filter(scope: Place | None) -> Q:
    """Municipalities in the scope (a country, a department or a municipality; None: everywhere)."""
    if scope is None:
        return Q()
    if scope.level == Place.Level.ADMIN2:
        return Q(pk=scope.pk)
    if scope.level == Place.Level.ADMIN1:
        return Q(parent=scope.pk)
    return Q(parent__parent=scope.pk) | Q(parent=scope.pk)


def municipalities(scope: Place | None = None, zone: str = "") -> QuerySet[Place]:
    """The municipalities (admin2) in the scope, of one zone type if given."""
    found = Place.objects.filter(scope_filter(scope), level=Place.Level.ADMIN2)
    if zone:
        found = found.filter(zone=zone)
    return found.select_related("parent")


def _municipality(place: Place) -> Municipality:
    return Municipality(
        place.pk,
        place.pcode,
        place.name,
        place.parent.name if place.parent else "",
        place.zone,
        str(place.get_zone_display()) if place.zone else "",
    )


def _service_points(scope: Place | None, zone: str, today: date, db: str) -> tuple[str, list[Any]]:
    """The inner query: one row per active service point in scope with its masks and two flags."""
    cutoff = today - timedelta(days=settings.STALE_AFTER_DAYS)
    sensitised = FocalPoint.services.through.objects.filter(
        service_id=OuterRef("service_id"),
        focalpoint__in=FocalPoint.objects.granted().filter(
            active=True,
            pk__in=Sensitisation.objects.filter(trained_on__lte=today, expires_on__gte=today).values("focal_point"),
        ),
    )
    points = ServiceAtLocation.objects.filter(active=True)
    if scope is not None:
        if scope.level == Place.Level.ADMIN2:
            points = points.filter(place=scope)
        elif scope.level == Place.Level.ADMIN1:
            points = points.filter(admin1=scope)
        else:
            points = points.filter(country=scope)
    if zone:
        points = points.filter(place__zone=zone)
    rows = points.annotate(
        verified=ExpressionWrapper(Q(service__last_verified_on__gte=cutoff), output_field=BooleanField()),
        sensitised=Exists(sensitised),
    ).values("place_id", "type_mask", "fact_mask", "verified", "sensitised")
    sql, params = rows.query.get_compiler(using=db).as_sql()
    return sql, list(params)


def service_counts(
    scope: Place | None = None,
    zone: str = "",
    *,
    types: tuple[ServiceTypeInfo, ...] = SERVICE_TYPES,
    considered: tuple[Group, ...] | None = None,
    today: date | None = None,
    using: str | None = None,
) -> dict[tuple[int, str], CellCounts]:
    """(municipality id, type code) -> counts, from one grouped query.

    SQL groups the service points by municipality and by what the matrix tells apart (type mask, the groups' fact
    bits, verified, sensitised) and counts each combination; Python then adds each combination's count to the
    types in its mask. The rows are the distinct combinations (a few per municipality and kind of service), never
    one per service. Read on `using`, by default `analytics_db()`."""
    db = using or analytics_db()
    today = today or timezone.localdate()
    considered = considered if considered is not None else groups()
    inner, params = _service_points(scope, zone, today, db)
    fact_bits = 0
    for g in considered:
        fact_bits |= INCLUSION_FACT_BIT[g.fact]
    type_bits = 0
    for t in types:
        type_bits |= SERVICE_TYPE_BIT[t.code]
    sql = (
        "SELECT p.place_id, (p.type_mask & %s), (p.fact_mask & %s), p.verified, p.sensitised, COUNT(*) "  # noqa: S608
        f"FROM ({inner}) p WHERE (p.type_mask & %s) <> 0 GROUP BY 1, 2, 3, 4, 5"
    )
    with connections[db].cursor() as cursor:
        cursor.execute(sql, [type_bits, fact_bits, *params, type_bits])
        fetched = cursor.fetchall()
    sums: dict[tuple[int, str], list[int]] = {}
    width = 3 + 2 * len(considered)
    for place_id, type_mask, fact_mask, verified, sensitised, n in fetched:
        for t in types:
            if not type_mask & SERVICE_TYPE_BIT[t.code]:
                continue
            acc = sums.setdefault((place_id, t.code), [0] * width)
            acc[0] += n
            acc[1] += n if verified else 0
            acc[2] += n if sensitised else 0
            for j, g in enumerate(considered):
                if fact_mask & INCLUSION_FACT_BIT[g.fact]:
                    acc[3 + 2 * j] += n
                    acc[4 + 2 * j] += n if verified else 0
    return {
        key: CellCounts(
            services=acc[0],
            verified=acc[1],
            sensitised=acc[2],
            group={g.code: acc[3 + 2 * j] for j, g in enumerate(considered)},
            group_verified={g.code: acc[4 + 2 * j] for j, g in enumerate(considered)},
        )
        for key, acc in sums.items()
    }


def _contains(question: str, choice: str) -> Q:
    """The answer (a JSON list of choice names) holds the choice: a text test that runs on PostgreSQL and SQLite."""
    return Q(**{f"answers__{question}__icontains": f'"{choice}"'})


def consenting_submissions(since: date | None = None, until: date | None = None) -> QuerySet[Submission]:
    """Submissions that count in aggregates: readable (not awaiting decryption) and with consent to statistics."""
    found = Submission.objects.filter(statistics_consent=True, encrypted=False).exclude(municipality_pcode="")
    if since is not None:
        found = found.filter(
            Q(interview_date__gte=since) | Q(interview_date__isnull=True, received_at__date__gte=since)
        )
    if until is not None:
        found = found.filter(Q(interview_date__lt=until) | Q(interview_date__isnull=True, received_at__date__lt=until))
    return found


def _named(question: str, code: str, codebooks: dict[int, list[list[str]]]) -> Sum:
    """How many rows of a group named `code` in the select_multiple `question`: from the submission's analysis bits
    (surveys/codebook.py) where its form's codebook holds the pair and the row's bits were computed with it, from
    the JSON answers otherwise (stale rows, forms without the pair). Reading a million JSON answers once per need
    and barrier took 4-6 s of a regional dashboard (bench/insights.py); a bit is a shift and a mask."""
    whens = []
    for form_id, codebook in codebooks.items():
        try:
            position = codebook.index([question, "select_multiple", code])
        except ValueError:
            continue
        if position >= CAPACITY:
            continue
        word, bit = divmod(position, WORD_BITS)
        whens.append(
            When(
                Q(form_id=form_id, analysis_size__gt=position),
                then=F(f"analysis_{word}").bitrightshift(bit).bitand(1),
            )
        )
    whens.append(When(_contains(question, code), then=Value(1)))
    return Sum(Case(*whens, default=Value(0), output_field=IntegerField()))


def survey_demand(pcodes: list[str], today: date | None = None, *, using: str | None = None) -> dict[str, SurveyDemand]:
    """Per municipality P-code: respondents, and how many named each need and each barrier (counts only). Read on
    `using`, by default `analytics_db()`."""
    today = today or timezone.localdate()
    db = using or analytics_db()
    w = weights()
    barriers = sorted({b for g in w.groups for b in g.barriers})
    codebooks = {
        pk: list(map(list, codebook or []))
        for pk, codebook in SurveyForm.objects.using(db).values_list("pk", "codebook")
    }
    aggregates: dict[str, Any] = {"respondents": Count("pk")}
    for i, need in enumerate(w.need_types):
        aggregates[f"n{i}"] = _named(w.needs_question, need, codebooks)
    for i, barrier in enumerate(barriers):
        aggregates[f"b{i}"] = _named(w.barriers_question, barrier, codebooks)
    rows = cast(
        Iterable[dict[str, Any]],
        consenting_submissions(since=today - timedelta(days=w.window_days))
        .using(db)
        .filter(municipality_pcode__in=pcodes)
        .values("municipality_pcode")
        .annotate(**aggregates)
        .order_by(),
    )
    return {
        row["municipality_pcode"]: SurveyDemand(
            respondents=row["respondents"],
            needs={need: int(row[f"n{i}"] or 0) for i, need in enumerate(w.need_types)},
            barriers={b: int(row[f"b{i}"] or 0) for i, b in enumerate(barriers)},
        )
        for row in rows
    }


def discrimination_counts(scope: Place | None, since: date, until: date) -> tuple[int, int]:
    """(respondents in the scope interviewed in [since, until), those who named a discrimination barrier), read on
    `analytics_db()`."""
    w = weights()
    pcodes = municipalities(scope).values("pcode")
    named = Q()
    for barrier in w.discrimination_barriers:
        named |= _contains(w.barriers_question, barrier)
    found = consenting_submissions(since, until).using(analytics_db()).filter(municipality_pcode__in=pcodes)
    result = found.aggregate(respondents=Count("pk"), named=Count("pk", filter=named))
    return int(result["respondents"] or 0), int(result["named"] or 0)


@dataclass(frozen=True)
class GapQuery:
    scope: Place | None = None
    zone: str = ""
    group: Group | None = None
    type_code: str = ""  # one need only (a phone shows one column at a time)
    order: str = "name"


def gap_matrix(query: GapQuery, today: date | None = None) -> Matrix:
    """The matrix for a scope: three queries (municipalities, service counts, survey counts), on `analytics_db()`."""
    db = analytics_db()
    today = today or timezone.localdate()
    types = tuple(t for t in SERVICE_TYPES if not query.type_code or t.code == query.type_code)
    considered = (query.group,) if query.group else groups()
    places = [_municipality(p) for p in municipalities(query.scope, query.zone).using(db)]
    counts = service_counts(query.scope, query.zone, types=types, considered=considered, today=today, using=db)
    demand = survey_demand([p.pcode for p in places], today, using=db) if places else {}
    first, last = summary_months(today)
    reports = discrimination_by_municipality_need(first, last, query.scope, using=db)
    return build_matrix(
        places,
        counts,
        demand,
        types=types,
        considered=considered,
        stale_days=settings.STALE_AFTER_DAYS,
        order=query.order,
        discrimination={key: count.discrimination for key, count in reports.items()},
        discrimination_threshold=ORGANISATION_THRESHOLD,
    )
