"""Reads from the directory. `search_services` is the ONE search selector (page, API, pathways, benchmarks).

Matching: the query is folded (case, accents), stop words dropped, and each remaining word must match the start of
a word in the service's search text, which already holds the names and keywords of its service types in Spanish,
English and Portuguese. A word that matches nothing is corrected to the closest word of the directory's vocabulary
(small typos: "denucia" -> "denuncia"). PostgreSQL uses full text search (GIN index on to_tsvector) and pg_trgm for
the corrections; SQLite uses an FTS5 index and difflib. Both paths return the same results.
"""

from __future__ import annotations

import difflib
import math
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from django.core.cache import cache
from django.db import connection
from django.db.models import Exists, F, OuterRef, Q, QuerySet, Value
from django.db.models.expressions import RawSQL
from django.db.models.functions import Power
from django.utils import timezone

from .models import OpeningHours, Place, SearchTerm, Service, ServiceAtLocation, ServiceType
from .taxonomy import INCLUSION_FACT_CODES
from .text import tokens

EARTH_RADIUS_KM = 6371.0088
# Bounding boxes tried in turn when ordering by distance, so the database sorts a few rows, not the country.
_SEARCH_RADII_KM = (15.0, 60.0, 250.0, 1000.0)


@dataclass(frozen=True)
class Point:
    latitude: float
    longitude: float


@dataclass
class SearchCriteria:
    text: str = ""
    needs: tuple[str, ...] = ()  # service-type codes; a service of any of them matches
    place: Place | None = None
    point: Point | None = None
    in_place_only: bool = False
    facts: tuple[str, ...] = ()
    open_now: bool = False
    page: int = 1
    page_size: int = 20
    at: datetime | None = None  # "now", for open-now; injectable for tests


@dataclass
class Hit:
    sal: ServiceAtLocation
    distance_km: float | None
    is_open: bool


@dataclass
class SearchResult:
    hits: list[Hit]
    page: int
    has_next: bool
    corrected: dict[str, str] = field(default_factory=dict)
    origin: Point | None = None


def haversine_km(a: Point, b: Point) -> float:
    lat1, lon1, lat2, lon2 = map(math.radians, (a.latitude, a.longitude, b.latitude, b.longitude))
    h = math.sin((lat2 - lat1) / 2) ** 2 + math.cos(lat1) * math.cos(lat2) * math.sin((lon2 - lon1) / 2) ** 2
    return 2 * EARTH_RADIUS_KM * math.asin(min(1.0, math.sqrt(h)))


# --- Vocabulary and typo correction ------------------------------------------------------------------------

_VOCAB_VERSION_KEY = "directory:vocabulary-version"
_vocab_cache: dict[str, object] = {"version": None, "words": ()}


def vocabulary_changed() -> None:
    try:
        cache.incr(_VOCAB_VERSION_KEY)
    except ValueError:
        cache.set(_VOCAB_VERSION_KEY, 1, None)


def _vocabulary() -> tuple[str, ...]:
    version = cache.get(_VOCAB_VERSION_KEY, 0)
    if _vocab_cache["version"] != version:
        _vocab_cache["words"] = tuple(SearchTerm.objects.order_by("word").values_list("word", flat=True))
        _vocab_cache["version"] = version
    return _vocab_cache["words"]  # type: ignore[return-value]


def _known_prefix(token: str) -> bool:
    return SearchTerm.objects.filter(word__gte=token, word__lt=token + "\uffff").exists()


def _closest_word(token: str) -> str | None:
    if len(token) < 4:
        return None  # too short to correct safely
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT word FROM directory_searchterm WHERE word %% %s "
                "ORDER BY similarity(word, %s) DESC, word LIMIT 1",
                [token, token],
            )
            row = cursor.fetchone()
        return row[0] if row else None
    matches = difflib.get_close_matches(token, _vocabulary(), n=1, cutoff=0.75)
    return matches[0] if matches else None


def correct_tokens(words: list[str]) -> tuple[list[str], dict[str, str]]:
    """Replace each word that starts no word of the vocabulary by its closest neighbour, when there is one."""
    corrected: dict[str, str] = {}
    result = []
    for word in words:
        if word.isdigit() or _known_prefix(word):
            result.append(word)
            continue
        best = _closest_word(word)
        if best:
            corrected[word] = best
            result.append(best)
        else:
            result.append(word)
    return result, corrected


def _text_filter(words: list[str]) -> RawSQL:
    """Ids of services whose search text has a word starting with each of `words` (already [a-z0-9]+)."""
    if connection.vendor == "postgresql":
        query = " & ".join(f"{w}:*" for w in words)
        return RawSQL(
            "SELECT id FROM directory_service WHERE to_tsvector('simple', search_text) @@ to_tsquery('simple', %s)",
            [query],
        )
    query = " ".join(f"{w}*" for w in words)
    return RawSQL("SELECT rowid FROM directory_service_fts WHERE directory_service_fts MATCH %s", [query])


# --- Open now ----------------------------------------------------------------------------------------------


def _open_now_condition(at: datetime) -> Q:
    """True for a service-at-location open at instant `at`, in the time zone of its municipality."""
    condition = Q(open_24h=True)
    for tz_name in Place.objects.filter(level=Place.Level.ADMIN2).values_list("timezone", flat=True).distinct():
        local = at.astimezone(ZoneInfo(tz_name))
        day, now = local.isoweekday(), local.time().replace(microsecond=0)
        yesterday = 7 if day == 1 else day - 1
        hours = OpeningHours.objects.filter(service_at_location=OuterRef("pk")).filter(
            Q(weekday=day, opens_at__lte=now) & (Q(closes_at__gt=now) | Q(closes_at__lt=F("opens_at")))
            | Q(weekday=yesterday, closes_at__lt=F("opens_at"), closes_at__gt=now)
        )
        condition |= Q(Q(place__timezone=tz_name), Exists(hours))
    return condition


def is_open_at(sal: ServiceAtLocation, at: datetime) -> bool:
    """The same rule as _open_now_condition, in Python, for rows already loaded with their hours."""
    if sal.open_24h:
        return True
    local = at.astimezone(ZoneInfo(sal.place.timezone))
    day, now = local.isoweekday(), local.time()
    yesterday = 7 if day == 1 else day - 1
    for h in sal.hours.all():
        overnight = h.closes_at < h.opens_at
        if h.weekday == day and h.opens_at <= now and (overnight or now < h.closes_at):
            return True
        if h.weekday == yesterday and overnight and now < h.closes_at:
            return True
    return False


# --- Search ------------------------------------------------------------------------------------------------


def search_queryset(criteria: SearchCriteria, words: list[str]) -> QuerySet[ServiceAtLocation]:
    """The rows matching criteria (words already corrected), unordered: for counts and for search_services."""
    qs = ServiceAtLocation.objects.filter(service__status=Service.Status.ACTIVE)
    if words:
        qs = qs.filter(service_id__in=_text_filter(words))
    if criteria.needs:
        qs = qs.filter(
            service_id__in=Service.types.through.objects.filter(servicetype_id__in=criteria.needs).values("service_id")
        )
    for fact in criteria.facts:
        if fact in INCLUSION_FACT_CODES:
            qs = qs.filter(**{f"service__{fact}": True})
    if criteria.place is not None and (criteria.in_place_only or criteria.place.level != Place.Level.ADMIN2):
        place = criteria.place
        if place.level == Place.Level.ADMIN2:
            qs = qs.filter(place=place)
        elif place.level == Place.Level.ADMIN1:
            qs = qs.filter(place__parent=place)
        else:
            qs = qs.filter(place__parent__parent=place)
    if criteria.open_now:
        qs = qs.filter(_open_now_condition(criteria.at or timezone.now()))
    return qs


def _origin(criteria: SearchCriteria) -> Point | None:
    if criteria.point is not None:
        return criteria.point
    if criteria.place is not None:
        return Point(criteria.place.latitude, criteria.place.longitude)
    return None


def _by_distance(qs: QuerySet[ServiceAtLocation], origin: Point, offset: int, limit: int) -> list[int]:
    """Ids of the nearest rows, searching growing bounding boxes before falling back to the whole table."""
    k = max(math.cos(math.radians(origin.latitude)), 0.01)
    ordered = qs.annotate(
        d2=Power(F("latitude") - Value(origin.latitude), 2)
        + Power((F("longitude") - Value(origin.longitude)) * Value(k), 2)
    ).order_by("d2", "pk")
    for radius in _SEARCH_RADII_KM:
        dlat = radius / 111.32
        dlon = dlat / k
        boxed = ordered.filter(
            latitude__range=(origin.latitude - dlat, origin.latitude + dlat),
            longitude__range=(origin.longitude - dlon, origin.longitude + dlon),
        )
        rows = list(boxed.values_list("pk", "d2")[offset : offset + limit])
        # Rows inside the box's inscribed circle are certainly nearer than anything outside the box.
        if len(rows) == limit and rows[-1][1] <= dlat * dlat:
            return [pk for pk, _ in rows]
    return list(ordered.values_list("pk", flat=True)[offset : offset + limit])


def search_services(criteria: SearchCriteria) -> SearchResult:
    words, corrected = correct_tokens(tokens(criteria.text))
    qs = search_queryset(criteria, words)
    origin = _origin(criteria)
    page = max(1, criteria.page)
    offset, limit = (page - 1) * criteria.page_size, criteria.page_size + 1
    if origin is not None:
        ids = _by_distance(qs, origin, offset, limit)
    else:
        ids = list(qs.order_by("service__name", "pk").values_list("pk", flat=True)[offset : offset + limit])
    has_next = len(ids) > criteria.page_size
    ids = ids[: criteria.page_size]
    rows = {
        sal.pk: sal
        for sal in ServiceAtLocation.objects.filter(pk__in=ids)
        .select_related("service__organization", "location", "place__parent")
        .prefetch_related("hours", "service__types")
    }
    at = criteria.at or timezone.now()
    hits = []
    for pk in ids:
        sal = rows[pk]
        distance = haversine_km(origin, Point(sal.latitude, sal.longitude)) if origin is not None else None
        hits.append(Hit(sal=sal, distance_km=distance, is_open=is_open_at(sal, at)))
    return SearchResult(hits=hits, page=page, has_next=has_next, corrected=corrected, origin=origin)


def place_by_code(pcode: str) -> Place | None:
    return Place.objects.select_related("parent").filter(pcode=pcode.upper()).first()


def municipalities() -> QuerySet[Place]:
    return Place.objects.filter(level=Place.Level.ADMIN2).select_related("parent").order_by("name")


def service_types() -> QuerySet[ServiceType]:
    return ServiceType.objects.all()


def stale_services(today: datetime | None = None, days: int = 90) -> QuerySet[Service]:
    limit = (today or timezone.now()).date() - timedelta(days=days)
    return Service.objects.filter(Q(last_verified_on__lt=limit) | Q(last_verified_on__isnull=True))
