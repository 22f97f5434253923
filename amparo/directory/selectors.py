"""Reads from the directory. `search_services` is the ONE search selector (page, API, pathways, benchmarks).

Understanding: the query is first read with the vocabulary of needs (understanding.py, content/needs.toml): the
needs it names become service-type and inclusion-fact clauses, and its urgency and pathways go back to the page.
Words the vocabulary does not know are looked for in the directory's own words (names, places, keywords): each
must match the start of a word in a service's search text, and a word that matches nothing is corrected to the
closest word of the directory's vocabulary (small typos: "denucia" -> "denuncia"), or else ignored.

Ranking: services that meet every clause come first (strict AND, the best case); when they are fewer than a page,
the search relaxes, tier by tier, to services that meet part of the query, the most important part first (a need
weighs more than a word or a fact), then by distance. Words that match nothing never empty the list.

PostgreSQL uses full text search (GIN index on directory_service_search)
and pg_trgm for the corrections; SQLite uses an FTS5 index and difflib. Both paths return the same results. How a
search is planned, and why, is in docs/search.md.
"""

from __future__ import annotations

import difflib
import math
from collections import defaultdict
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Any, TypeVar
from zoneinfo import ZoneInfo

from django.conf import settings
from django.db import connection, transaction
from django.db.models import Case, CharField, Exists, F, OuterRef, Prefetch, Q, QuerySet, Value, When
from django.db.models.expressions import RawSQL
from django.db.models.lookups import GreaterThan, GreaterThanOrEqual
from django.db.models.query import prefetch_related_objects
from django.utils import timezone

from .hours import slot_at, week_bit
from .models import (
    PRIORITY_ENTITY_KINDS,
    FocalPoint,
    Organization,
    Place,
    SearchTerm,
    Service,
    ServiceAtLocation,
    ServiceType,
)
from .taxonomy import INCLUSION_FACT_CODES, TAXONOMY_WORDS, fact_mask, type_mask
from .understanding import read_query
from .vocabulary import vocabulary_version

EARTH_RADIUS_KM = 6371.0088
# Bounding boxes tried in turn when ordering by distance, so the database sorts a few rows, not the country.
_SEARCH_RADII_KM = (15.0, 60.0)


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
    complete: bool = True  # meets everything the query asked (False: part of it, after relaxing)

    @property
    def focal_points(self) -> list[PublicFocalPoint]:
        """The service's public focal points when attach_public_focal_points has run (the pathway pages), else none."""
        return getattr(self.sal.service, "public_focal_points", [])


@dataclass(frozen=True)
class Clause:
    """One part of what a query asks: a need (any of its service types), inclusion facts (all of them), or a
    word of the directory. `weight` orders the relaxed tiers: a need counts more than a fact or a word."""

    weight: int
    types: int = 0
    facts: int = 0
    word: str = ""


NEED_WEIGHT = 2
MAX_CLAUSES = 4  # more would mean up to 2^n relaxed searches; the first four (needs first) are kept


@dataclass(frozen=True)
class UrgentItem:
    kind: str  # emergency | crisis | child | protection | clock
    helplines: tuple[str, ...]
    pathway: str | None


@dataclass
class Understanding:
    """What the search made of the text: the words it used (as folded), the clauses, urgency and pathways."""

    used: list[str] = field(default_factory=list)
    clauses: list[Clause] = field(default_factory=list)
    corrected: dict[str, str] = field(default_factory=dict)
    urgent: list[UrgentItem] = field(default_factory=list)
    pathways: list[str] = field(default_factory=list)
    had_text: bool = False
    place: Place | None = None  # a municipality the text names ("en Cúcuta"): the origin when none was chosen

    @property
    def understood(self) -> bool:
        return bool(self.clauses or self.urgent or self.pathways)


@dataclass
class SearchResult:
    hits: list[Hit]
    page: int
    has_next: bool
    corrected: dict[str, str] = field(default_factory=dict)
    origin: Point | None = None
    understanding: Understanding = field(default_factory=Understanding)

    @property
    def complete_hits(self) -> list[Hit]:
        return [hit for hit in self.hits if hit.complete]

    @property
    def partial_hits(self) -> list[Hit]:
        """The hits found after relaxing: they meet part of the query."""
        return [hit for hit in self.hits if not hit.complete]


def haversine_km(a: Point, b: Point) -> float:
    lat1, lon1, lat2, lon2 = map(math.radians, (a.latitude, a.longitude, b.latitude, b.longitude))
    h = math.sin((lat2 - lat1) / 2) ** 2 + math.cos(lat1) * math.cos(lat2) * math.sin((lon2 - lon1) / 2) ** 2
    return 2 * EARTH_RADIUS_KM * math.asin(min(1.0, math.sqrt(h)))


# --- Vocabulary and typo correction ------------------------------------------------------------------------

_vocab_cache: dict[str, object] = {"version": None, "words": ()}


def _vocabulary() -> tuple[str, ...]:
    version = vocabulary_version()
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


def _whole_words(words: list[str]) -> list[str]:
    """The words that are whole words of the directory's vocabulary."""
    present = set(SearchTerm.objects.filter(word__in=words).values_list("word", flat=True))
    return [w for w in words if w in present]


def understand(text: str) -> Understanding:
    """Read a query: its needs (vocabulary of needs), then its other words against the directory's own words.

    In a sentence that names a need, the other words are kept only when they are whole words of the directory (a
    place, a name: "Cúcuta", "Profamilia"), so that everyday words do not narrow the list by chance; in a query
    that names no need, words are matched by prefix and corrected as before ("denucia" -> "denuncia")."""
    if not text.strip():
        return Understanding()
    reading = read_query(text)
    place, place_positions = _named_place(reading.words, reading.used)
    left = [reading.words[i] for i in reading.rest if i not in place_positions][:8]
    corrected = dict(reading.corrected)
    if reading.needs:
        # The taxonomy's own keywords ("familia" in "comisaría de familia", "prueba") say again what the needs say,
        # and match thousands of services: only names and other words of the directory are kept.
        words = _whole_words([w for w in left if len(w) >= 4 and not w.isdigit() and w not in TAXONOMY_WORDS])
    else:
        candidates, fixes = correct_tokens(left)
        corrected |= fixes
        words = [w for w in candidates if not w.isdigit() and _known_prefix(w)]
    clauses: list[Clause] = []
    for group in reading.groups:
        types = [t for need in group for t in need.types]
        facts = next((need.facts for need in group if need.facts), ())
        for clause in (
            Clause(NEED_WEIGHT, types=type_mask(types)) if types else None,
            Clause(1, facts=fact_mask(facts)) if facts else None,
        ):
            if clause is not None and clause not in clauses:
                clauses.append(clause)
    for word in words:
        if len(clauses) < MAX_CLAUSES and Clause(1, word=word) not in clauses:
            clauses.append(Clause(1, word=word))
    clauses = clauses[:MAX_CLAUSES]
    used_words = {c.word for c in clauses if c.word}
    used = [corrected.get(w, w) for i, w in enumerate(reading.words) if i in reading.used]
    used += [w for w in words if w in used_words and w not in used]
    if place is not None:
        used.append(place.name)
    return Understanding(
        used=used,
        clauses=clauses,
        corrected=corrected,
        urgent=[UrgentItem(u.kind, u.helplines, pathway) for u, pathway in reading.urgencies],
        pathways=reading.pathways,
        had_text=True,
        place=place,
    )


MAX_PLACE_WORDS = 4


def _named_place(words: list[str], used: set[int]) -> tuple[Place | None, set[int]]:
    """The municipality the query names, by its folded name ("cucuta", "san jose del guaviare"), among the words
    no need used: the longest name that names exactly one municipality, and the positions of its words."""
    spans: dict[str, tuple[int, ...]] = {}
    for size in range(MAX_PLACE_WORDS, 0, -1):
        for start in range(len(words) - size + 1):
            positions = tuple(range(start, start + size))
            if not used.intersection(positions):
                spans.setdefault(" ".join(words[start : start + size]), positions)
    names = [name for name in spans if len(name) >= 4]
    if not names:
        return None, set()
    found: dict[str, list[Place]] = defaultdict(list)
    for place in Place.objects.filter(search_name__in=names, level=Place.Level.ADMIN2):
        found[place.search_name].append(place)
    for name in sorted(found, key=lambda n: -len(spans[n])):
        if len(found[name]) == 1:
            return found[name][0], set(spans[name])
    return None, set()


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


# A word matching more services than this is "broad": walking rows in the needed order finds a page quickly.
# Below it, the matching ids are fetched first and the search filters on that short list, so the planner's
# row estimate for the text condition no longer matters.
_NARROW_MATCH = 2000


def _text_match_sql(words: list[str]) -> tuple[str, list[str]]:
    """SQL selecting the ids of services whose search text has a word starting with each of `words`."""
    if connection.vendor == "postgresql":
        query = " & ".join(f"{w}:*" for w in words)
        return (
            "SELECT service_id FROM directory_service_search WHERE search_vector @@ to_tsquery('simple', %s)",
            [query],
        )
    query = " ".join(f"{w}*" for w in words)
    return "SELECT rowid FROM directory_service_fts WHERE directory_service_fts MATCH %s", [query]


_Rows = TypeVar("_Rows", bound=QuerySet[ServiceAtLocation, Any])


@dataclass(frozen=True)
class _TextMatch:
    """The text condition of a search: the matching service ids when there are few, else the SQL that finds them."""

    sql: str
    params: list[str]
    ids: list[int] | None

    @classmethod
    def find(cls, words: list[str]) -> _TextMatch:
        sql, params = _text_match_sql(words)
        with connection.cursor() as cursor:
            cursor.execute(f"{sql} LIMIT {_NARROW_MATCH + 1}", params)
            ids = [row[0] for row in cursor.fetchall()]
        return cls(sql, params, ids if len(ids) <= _NARROW_MATCH else None)

    def services_among(self, service_ids: Iterable[int]) -> set[int]:
        """Which of these services match. PostgreSQL only: one probe of directory_service_search's primary key per
        service (written as a join with the list: with "service_id = ANY(list)" the planner reads the whole match
        set through the GIN index instead)."""
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT s.service_id FROM unnest(%s::bigint[]) AS c(id) "
                "JOIN directory_service_search s ON s.service_id = c.id "
                "WHERE s.search_vector @@ to_tsquery('simple', %s)",
                [list(service_ids), *self.params],
            )
            return {row[0] for row in cursor.fetchall()}

    def apply(self, qs: _Rows) -> _Rows:
        if self.ids is not None:
            return qs.filter(service_id__in=self.ids)
        if connection.vendor == "sqlite":
            # "+ 0" hides the service_id index from SQLite's planner, so it walks rows in the order the search
            # needs (id, or the coordinates index) and checks each against the match list, built once per
            # statement, instead of sorting every match.
            return qs.alias(_sid=F("service_id") + 0).filter(_sid__in=RawSQL(self.sql, self.params))  # noqa: S611
        return qs.filter(service_id__in=RawSQL(self.sql, self.params))  # noqa: S611 - constant SQL, bound parameters


@contextmanager
def _hash_joins() -> Iterator[None]:
    """PostgreSQL: plan the statements run inside without nested loops, so that a join reads each side once.

    For the pass over the whole table when a common word matches few of the rows that pass the other filters: the
    planner cannot estimate how many rows the bit tests keep, and when it guesses "a handful" it probes the text
    of every row that passes them, or rescans the match set for each (hundreds of milliseconds when thousands
    pass). A hash join reads the match set once (GIN index) and checks each row against it, whatever the counts.
    set_config(..., true) lasts until the end of the transaction at most; the previous value is put back."""
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("SELECT current_setting('enable_nestloop'), set_config('enable_nestloop', 'off', true)")
        previous = cursor.fetchone()[0]
        try:
            yield
        finally:
            cursor.execute("SELECT set_config('enable_nestloop', %s, true)", [previous])


# --- Open now ----------------------------------------------------------------------------------------------


def _places_by_time_zone() -> dict[str, list[int]]:
    zones: dict[str, list[int]] = {}
    for pk, tz_name in Place.objects.values_list("pk", "timezone"):
        zones.setdefault(tz_name, []).append(pk)
    return zones


def _local_slot(at: datetime, tz_name: str) -> int:
    local = at.astimezone(ZoneInfo(tz_name))
    return slot_at(local.isoweekday(), local.time())


def _filter_open_now(qs: QuerySet[ServiceAtLocation], at: datetime) -> QuerySet[ServiceAtLocation]:
    """Rows open at instant `at` in their municipality's time zone: one bit of their week each (see
    hours.week_bit). Time zones that share the same local slot share one test; when every place is on the same
    slot, the test needs no place at all."""
    places_by_slot: dict[int, list[int]] = {}
    for tz_name, place_ids in _places_by_time_zone().items():
        places_by_slot.setdefault(_local_slot(at, tz_name), []).extend(place_ids)
    condition = Q(open_24h=True)
    bits: dict[str, Any] = {}
    for slot, place_ids in places_by_slot.items():
        column, bit = week_bit(slot)
        bits[f"_open_{slot}"] = F(column).bitand(bit)
        open_then = Q(**{f"_open_{slot}__gt": 0})
        condition |= open_then if len(places_by_slot) == 1 else open_then & Q(place_id__in=place_ids)
    return qs.alias(**bits).filter(condition)


def is_open_at(sal: ServiceAtLocation, at: datetime) -> bool:
    """The same rule as the search filter, in Python: the bit of `at`'s slot in the row's week."""
    if sal.open_24h:
        return True
    column, bit = week_bit(_local_slot(at, sal.place.timezone))
    return bool(getattr(sal, column) & bit)


# --- Search ------------------------------------------------------------------------------------------------


def search_queryset(criteria: SearchCriteria, words: list[str]) -> QuerySet[ServiceAtLocation]:
    """The rows matching criteria (words already corrected), unordered: for counts and for search_services.

    Status, service types and inclusion facts are read from the masks copied onto each row, so the filter
    touches one table; only the text match goes through the full-text index.
    """
    qs = _filter_without_text(criteria)
    return _TextMatch.find(words).apply(_filter_word_summaries(qs, words)) if words else qs


def _filter_without_text(criteria: SearchCriteria) -> QuerySet[ServiceAtLocation]:
    """Every condition but the text, which the caller adds last: SQLite tests conditions in the order written, so
    these cheap tests of one row's columns spare the text check for the rows they reject."""
    qs = ServiceAtLocation.objects.filter(active=True)
    if criteria.needs:
        qs = qs.alias(_types=F("type_mask").bitand(type_mask(criteria.needs))).filter(_types__gt=0)
    facts = fact_mask(f for f in criteria.facts if f in INCLUSION_FACT_CODES)
    if facts:
        # ">=" means "=" here (fact_mask & facts is never more than facts). PostgreSQL has no statistics for these
        # bit tests and guesses how many rows pass: one in 200 for "=", one in 3 for ">=". Guessing "a handful"
        # makes it probe the text of every row that passes rather than walk rows in order and stop at a page.
        qs = qs.alias(_facts=F("fact_mask").bitand(facts)).filter(_facts__gte=facts)
    if criteria.place is not None and (criteria.in_place_only or criteria.place.level != Place.Level.ADMIN2):
        qs = within_place(qs, criteria.place)
    if criteria.open_now:
        qs = _filter_open_now(qs, criteria.at or timezone.now())
    return qs


_ALL_BITS = (1 << 63) - 1


def _filter_word_summaries(qs: QuerySet[ServiceAtLocation], words: list[str]) -> QuerySet[ServiceAtLocation]:
    """Keep only rows that could contain every word, by their types, facts and 24-hour opening alone.

    A row whose search text holds a word is one of the rows summed up in that word's SearchTerm: its service types
    and inclusion facts are among the word's, and it is open 24 hours only if one of them is. A query word matches
    every vocabulary word it starts, so a row can match it only if its types and facts are among the union of
    those words' summaries. These bit tests cost nothing next to the full-text match, and a search whose text
    contradicts its other filters ("legal aid", open now at 23:00 when no service that mentions it is open all
    night) finds no row left to check. Words the vocabulary does not keep (under three characters, numbers) are
    not checked this way."""
    checked = [w for w in words if len(w) >= 3 and not w.isdigit()]
    if not checked:
        return qs
    prefixes = Q()
    for word in checked:
        prefixes |= Q(word__startswith=word)
    summaries = dict.fromkeys(checked, (0, 0, False))
    for term, types, facts, open_24h in SearchTerm.objects.filter(prefixes).values_list(
        "word", "type_masks", "fact_masks", "any_open_24h"
    ):
        for word in checked:
            if term.startswith(word):
                old_types, old_facts, old_open_24h = summaries[word]
                summaries[word] = (old_types | types, old_facts | facts, old_open_24h or open_24h)
    types, facts, open_24h = _ALL_BITS, _ALL_BITS, True
    for word_types, word_facts, word_open_24h in summaries.values():
        types, facts, open_24h = types & word_types, facts & word_facts, open_24h and word_open_24h
    qs = qs.alias(
        _other_types=F("type_mask").bitand(_ALL_BITS & ~types), _other_facts=F("fact_mask").bitand(_ALL_BITS & ~facts)
    ).filter(_other_types__lte=0, _other_facts__lte=0)  # "<= 0", not "= 0": see _filter_without_text
    return qs if open_24h else qs.filter(open_24h=False)


def within_place(qs: QuerySet[ServiceAtLocation], place: Place) -> QuerySet[ServiceAtLocation]:
    """Rows located in a municipality, or in any municipality of a department or country."""
    if place.level == Place.Level.ADMIN2:
        return qs.filter(place=place)
    if place.level == Place.Level.ADMIN1:
        return qs.filter(admin1=place)
    return qs.filter(country=place)


def _origin(criteria: SearchCriteria) -> Point | None:
    if criteria.point is not None:
        return criteria.point
    if criteria.place is not None:
        return Point(criteria.place.latitude, criteria.place.longitude)
    return None


def _by_distance(
    qs: QuerySet[ServiceAtLocation], text: _TextMatch | None, origin: Point, offset: int, limit: int
) -> list[int]:
    """Ids of the nearest rows, searching growing bounding boxes before falling back to the whole table."""
    k = max(math.cos(math.radians(origin.latitude)), 0.01)
    north = F("latitude") - Value(origin.latitude)
    east = (F("longitude") - Value(origin.longitude)) * Value(k)
    ordered = qs.annotate(d2=north * north + east * east).order_by("d2", "pk")
    for radius in _SEARCH_RADII_KM:
        dlat = radius / 111.32
        dlon = dlat / k
        boxed = ordered.filter(
            latitude__range=(origin.latitude - dlat, origin.latitude + dlat),
            longitude__range=(origin.longitude - dlon, origin.longitude + dlon),
        )
        if text is not None:
            boxed = text.apply(boxed)
        rows = list(boxed.values_list("pk", "d2")[offset : offset + limit])
        # Rows inside the box's inscribed circle are certainly nearer than anything outside the box.
        if len(rows) == limit and rows[-1][1] <= dlat * dlat:
            return [pk for pk, _ in rows]
        if not rows and offset == 0:
            break  # nothing at all in the small box: a larger one is unlikely to hold a page; go straight on
    return _page(ordered, text, offset, limit)


def _page(ordered: QuerySet[ServiceAtLocation], text: _TextMatch | None, offset: int, limit: int) -> list[int]:
    """Ids of one page of rows in the queryset's order, with the text condition."""
    if text is not None and text.ids is None and connection.vendor == "postgresql":
        return _first_matching(ordered, text, offset, limit)
    if text is not None:
        ordered = text.apply(ordered)
    return list(ordered.values_list("pk", flat=True)[offset : offset + limit])


# PostgreSQL, a common word: how many of the first rows in the search's order that pass the other filters are
# checked against the text before the search reads the whole match set instead.
_CANDIDATES = 200


def _first_matching(ordered: QuerySet[ServiceAtLocation], text: _TextMatch, offset: int, limit: int) -> list[int]:
    """PostgreSQL, a common word, rows in a given order (by id, or by distance when nothing was found nearby): the
    first rows that pass the other filters (no text), then their text in one query by primary key, and only if
    they hold too few matches, a hash join of the whole table with the whole match set.

    PostgreSQL cannot estimate how many rows the bit tests keep, nor how the words of a query go together, so left
    to itself it chose between probing the text of thousands of rows before sorting them and reading tens of
    thousands of matches to join them. After the word summaries (_filter_word_summaries), the rows left mostly
    match, and the first few hundred hold the page. The answer is the same: the candidates are the first rows in
    order, so when enough of them match, or when they are all the rows there are, no other row can come first."""
    wanted = offset + limit
    size = _CANDIDATES + wanted
    candidates = list(ordered.values_list("pk", "service_id")[: size + 1])
    if not candidates:
        return []
    matching = text.services_among({service_id for _pk, service_id in candidates[:size]})
    found = [pk for pk, service_id in candidates[:size] if service_id in matching]
    if len(found) >= wanted or len(candidates) <= size:
        return found[offset:wanted]
    with _hash_joins():
        return list(text.apply(ordered).values_list("pk", flat=True)[offset:wanted])


def _condition(clauses: Iterable[Clause]) -> Q:
    """Rows meeting the type and fact clauses (bit tests on the row); word clauses are left to the text match.
    Facts are written with ">=", which means "=" here: see _filter_without_text."""
    condition = Q()
    for clause in clauses:
        if clause.types:
            condition &= Q(GreaterThan(F("type_mask").bitand(clause.types), 0))
        if clause.facts:
            condition &= Q(GreaterThanOrEqual(F("fact_mask").bitand(clause.facts), clause.facts))
    return condition


def _narrowed(qs: QuerySet[ServiceAtLocation], clauses: Iterable[Clause]) -> QuerySet[ServiceAtLocation]:
    return qs.filter(_condition(clauses))


def _ids(
    qs: QuerySet[ServiceAtLocation],
    words: list[str],
    origin: Point | None,
    offset: int,
    limit: int,
    matches: dict[tuple[str, ...], _TextMatch] | None = None,
) -> list[int]:
    """One page of ids of rows matching every word, nearest first (or in directory order without an origin).
    `matches` keeps the text matches already found during one search, so a relaxed tier does not repeat them."""
    text = None
    if words:
        qs = _filter_word_summaries(qs, words)
        matches = {} if matches is None else matches
        key = tuple(words)
        if key not in matches:
            matches[key] = _TextMatch.find(words)
        text = matches[key]
    if origin is not None:
        return _by_distance(qs, text, origin, offset, limit)
    # No origin: directory order (by id), which needs no sort; people are asked for a place first.
    return _page(qs.order_by("pk"), text, offset, limit)


def _tiers(clauses: list[Clause]) -> list[list[tuple[Clause, ...]]]:
    """Every non-empty set of clauses, grouped by total weight, heaviest first: the whole query first."""
    subsets = [tuple(c for i, c in enumerate(clauses) if mask & (1 << i)) for mask in range(1, 1 << len(clauses))]
    by_weight: dict[int, list[tuple[Clause, ...]]] = defaultdict(list)
    for subset in subsets:
        by_weight[sum(c.weight for c in subset)].append(subset)
    return [sorted(by_weight[w], key=len, reverse=True) for w in sorted(by_weight, reverse=True)]


def _ranked_ids(
    base: QuerySet[ServiceAtLocation],
    clauses: list[Clause],
    origin: Point | None,
    wanted: int,
    required: tuple[int, int] = (0, 0),
) -> tuple[list[int], dict[int, int]]:
    """The first `wanted` ids in ranked order, and the tier of each (0: meets every clause).

    Tier by tier (heaviest sets of clauses first), the rows meeting that set and not listed yet, nearest first. A
    tier is only reached when the ones above it held fewer rows than wanted, so every row of those is listed
    already and none is counted twice; a row meeting more of the query is always in an earlier tier."""
    found: list[int] = []
    tier_of: dict[int, int] = {}
    matches: dict[tuple[str, ...], _TextMatch] = {}
    combos = _mask_combinations()
    for number, all_sets in enumerate(_tiers(clauses)):
        tier = [subset for subset in all_sets if _possible(subset, combos, required)]
        rows: list[int] = []
        # The sets of clauses without words go in one statement (their conditions joined by OR); a set with words
        # needs its own text match.
        without_words = [subset for subset in tier if not any(c.word for c in subset)]
        queries: list[tuple[Q, list[str]]] = [(_any_of(without_words), [])] if without_words else []
        queries += [
            (_condition(subset), [c.word for c in subset if c.word]) for subset in tier if subset not in without_words
        ]
        for condition, words in queries:
            qs = base.filter(condition)
            if found or rows:
                qs = qs.exclude(pk__in=[*found, *rows])
            rows += _ids(qs, words, origin, 0, wanted - len(found), matches)
        if len(queries) > 1 and rows:
            rows = _in_order(rows, origin)
        rows = rows[: wanted - len(found)]
        found += rows
        tier_of |= dict.fromkeys(rows, number)
        if len(found) >= wanted:
            break
    return found, tier_of


_combos_cache: dict[str, object] = {"version": None, "combos": frozenset()}


def _mask_combinations() -> frozenset[tuple[int, int]]:
    """The (types, facts) combinations of the active rows, read once per vocabulary version (every reindex that
    changes a row's masks bumps it)."""
    version = vocabulary_version()
    if _combos_cache["version"] != version:
        rows = ServiceAtLocation.objects.filter(active=True).values_list("type_mask", "fact_mask").distinct()
        _combos_cache["combos"] = frozenset(rows)
        _combos_cache["version"] = version
    return _combos_cache["combos"]  # type: ignore[return-value]


def _possible(subset: tuple[Clause, ...], combos: frozenset[tuple[int, int]], required: tuple[int, int]) -> bool:
    """Whether some row could meet these clauses and the search's own type and fact filters. Skipping a set that
    cannot loses no row: a smaller set of clauses in a later tier finds every row of a larger one."""
    need_types, need_facts = required
    types = [c.types for c in subset if c.types]
    facts = need_facts
    for c in subset:
        facts |= c.facts
    return any(
        all(row_types & t for t in types) and (not need_types or row_types & need_types) and row_facts & facts == facts
        for row_types, row_facts in combos
    )


def _any_of(subsets: list[tuple[Clause, ...]]) -> Q:
    condition = Q(pk__in=[])
    for subset in subsets:
        condition |= _condition(subset)
    return condition


def _in_order(ids: list[int], origin: Point | None) -> list[int]:
    """Ids of one tier gathered from several sets of clauses, in the search's order (distance, else id)."""
    if origin is None:
        return sorted(ids)
    coordinates = {
        pk: (lat, lon)
        for pk, lat, lon in ServiceAtLocation.objects.filter(pk__in=ids).values_list("pk", "latitude", "longitude")
    }
    return sorted(ids, key=lambda pk: (haversine_km(origin, Point(*coordinates[pk])), pk))


def _has_filters(criteria: SearchCriteria) -> bool:
    return bool(criteria.needs or criteria.facts or criteria.place or criteria.point or criteria.open_now)


def search_services(criteria: SearchCriteria) -> SearchResult:
    understanding = understand(criteria.text)
    base = _filter_without_text(criteria)
    origin = _origin(criteria)
    if origin is None and understanding.place is not None:
        origin = Point(understanding.place.latitude, understanding.place.longitude)
    page = max(1, criteria.page)
    offset, limit = (page - 1) * criteria.page_size, criteria.page_size + 1
    tier_of: dict[int, int] = {}
    if understanding.clauses:
        required = (
            type_mask(criteria.needs) if criteria.needs else 0,
            fact_mask(f for f in criteria.facts if f in INCLUSION_FACT_CODES),
        )
        ids, tier_of = _ranked_ids(base, understanding.clauses, origin, offset + limit, required)
        ids = ids[offset:]
    elif understanding.had_text and not _has_filters(criteria):
        ids = []  # nothing understood and nothing else asked: the page offers the pathways and the lines
    else:
        ids = _ids(base, [], origin, offset, limit)
    has_next = len(ids) > criteria.page_size
    ids = ids[: criteria.page_size]
    rows = {
        sal.pk: sal
        for sal in ServiceAtLocation.objects.filter(pk__in=ids)
        # The service types are not fetched: the cards do not show them (the API prefetches them for its rows).
        .select_related("service__organization", "location", "place__parent")
    }
    at = criteria.at or timezone.now()
    hits = []
    for pk in ids:
        sal = rows[pk]
        distance = haversine_km(origin, Point(sal.latitude, sal.longitude)) if origin is not None else None
        hits.append(Hit(sal=sal, distance_km=distance, is_open=is_open_at(sal, at), complete=tier_of.get(pk, 0) == 0))
    # Within a tier, services at about the same distance (the same building, the same block): open ones first.
    hits.sort(
        key=lambda h: (
            tier_of.get(h.sal.pk, 0),
            round(h.distance_km, 1) if h.distance_km is not None else 0.0,
            not h.is_open,
        )
    )
    return SearchResult(
        hits=hits,
        page=page,
        has_next=has_next,
        corrected=understanding.corrected,
        origin=origin,
        understanding=understanding,
    )


def matching_queryset(text: str) -> QuerySet[ServiceAtLocation]:
    """The active rows a free-text query finds, for filters that keep their own order (the HSDS API): those that
    meet everything it asks when there are any, else those that meet any part of it. Nothing understood: none."""
    clauses = understand(text).clauses
    base = ServiceAtLocation.objects.filter(active=True)
    if not clauses:
        return base.none()
    strict = _narrowed(base, clauses)
    words = [c.word for c in clauses if c.word]
    if words:
        strict = _TextMatch.find(words).apply(strict)
    if strict.exists():
        return strict
    anything = Q(pk__in=[])
    for clause in clauses:
        part = _narrowed(base, [clause])
        if clause.word:
            part = _TextMatch.find([clause.word]).apply(part)
        anything |= Q(pk__in=part.values("pk"))
    return base.filter(anything)


def place_by_code(pcode: str) -> Place | None:
    return Place.objects.select_related("parent").filter(pcode=pcode.upper()).first()


@dataclass(frozen=True)
class PlaceChoice:
    """A municipality as the public pages' place menus show it: its code and "Name (Department)"."""

    pcode: str
    label: str


def municipalities() -> list[PlaceChoice]:
    """Every municipality for the public place menus, read as plain values: these menus are on the search page,
    whose time budget counts each model instance built."""
    rows = Place.objects.filter(level=Place.Level.ADMIN2).order_by("name").values_list("pcode", "name", "parent__name")
    return [PlaceChoice(pcode, f"{name} ({parent})" if parent else name) for pcode, name, parent in rows]


def service_types() -> QuerySet[ServiceType]:
    return ServiceType.objects.all()


def stale_services(today: date | None = None, days: int | None = None) -> QuerySet[Service]:
    """Services not verified for over STALE_AFTER_DAYS days (the same rule as Service.is_stale), or never."""
    days = settings.STALE_AFTER_DAYS if days is None else days
    limit = (today or timezone.localdate()) - timedelta(days=days)
    return Service.objects.filter(Q(last_verified_on__lt=limit) | Q(last_verified_on__isnull=True))


# --- Focal points on public pages --------------------------------------------------------------------------


@dataclass(frozen=True)
class PublicFocalPoint:
    """What a public page may show of a focal point: only what they agreed to publish ("" otherwise)."""

    name: str
    job_title: str
    availability: str
    languages: tuple[str, ...]
    phone: str
    whatsapp: str
    email: str


def _published(field_name: str, flag: str) -> Case:
    return Case(When(**{flag: True}, then=F(field_name)), default=Value(""), output_field=CharField())


def public_focal_points_queryset(today: date | None = None) -> QuerySet[FocalPoint]:
    """Active, currently sensitised focal points, with unpublished contact data blanked by the database itself:
    the unpublished values are never even loaded."""
    return (
        FocalPoint.objects.currently_sensitised(today)
        .annotate(
            public_name=_published("display_name", "publish_name"),
            public_phone=_published("phone", "phone_public"),
            public_whatsapp=_published("whatsapp", "whatsapp_public"),
            public_email=_published("email", "email_public"),
        )
        .only("pk", "job_title", "availability", "languages")
        .order_by("pk")
    )


def attach_public_focal_points(services: Iterable[Service], today: date | None = None) -> None:
    """Set `service.public_focal_points` (a list of PublicFocalPoint) on each service, in one query for them all."""
    pending = [s for s in services if not hasattr(s, "public_focal_points")]
    if not pending:
        return
    prefetch = Prefetch("focal_points", queryset=public_focal_points_queryset(today), to_attr="_public_fp_rows")
    prefetch_related_objects(pending, prefetch)
    for service in pending:
        rows: list[Any] = service.__dict__.pop("_public_fp_rows", [])
        service.public_focal_points = [  # type: ignore[attr-defined]
            PublicFocalPoint(
                name=row.public_name,
                job_title=row.job_title,
                availability=row.availability,
                languages=tuple(str(code) for code in (row.languages or [])),
                phone=row.public_phone,
                whatsapp=row.public_whatsapp,
                email=row.public_email,
            )
            for row in rows
        ]


# --- Coverage gaps: priority entities without a sensitised focal point -------------------------------------


@dataclass
class GapEntity:
    organization: Organization
    services: int  # active services of the entity located in the municipality


@dataclass
class MunicipalityCoverage:
    place: Place
    priority_entities: int
    gaps: list[GapEntity]

    @property
    def covered(self) -> int:
        return self.priority_entities - len(self.gaps)


@dataclass
class CoverageReport:
    place: Place
    municipalities: list[MunicipalityCoverage]

    @property
    def priority_entities(self) -> int:
        return sum(m.priority_entities for m in self.municipalities)

    @property
    def gaps(self) -> int:
        return sum(len(m.gaps) for m in self.municipalities)


def coverage_gaps(place: Place, today: date | None = None) -> CoverageReport:
    """For each municipality in `place` (a municipality, department or country): the priority entities that have
    an active service located there, and among them those without an active, currently sensitised focal point
    covering one of those services (a focal point at the entity's Bogotá office does not cover Cúcuta).
    Municipalities are listed with the most gaps first."""
    covering = FocalPoint.objects.currently_sensitised(today).filter(
        entity_id=OuterRef("service__organization_id"),
        services__organization_id=OuterRef("service__organization_id"),
        services__status=Service.Status.ACTIVE,
        services__at_locations__place_id=OuterRef("place_id"),
    )
    rows = (
        within_place(ServiceAtLocation.objects.all(), place)
        .filter(service__status=Service.Status.ACTIVE, service__organization__kind__in=PRIORITY_ENTITY_KINDS)
        .annotate(covered=Exists(covering))
        .values_list("place_id", "service__organization_id", "service_id", "covered")
    )
    services: dict[tuple[int, int], set[int]] = defaultdict(set)
    covered: dict[tuple[int, int], bool] = {}
    for place_id, organization_id, service_id, is_covered in rows:
        key = (place_id, organization_id)
        services[key].add(service_id)
        covered[key] = covered.get(key, False) or bool(is_covered)
    gap_keys = [key for key, ok in covered.items() if not ok]
    organizations = Organization.objects.only("pk", "uuid", "name", "kind").in_bulk({o for _p, o in gap_keys})
    places = Place.objects.select_related("parent").in_bulk({p for p, _o in services})
    by_place: dict[int, MunicipalityCoverage] = {}
    for place_id, _organization_id in services:
        if place_id not in by_place:
            by_place[place_id] = MunicipalityCoverage(places[place_id], 0, [])
        by_place[place_id].priority_entities += 1
    for place_id, organization_id in gap_keys:
        by_place[place_id].gaps.append(
            GapEntity(organizations[organization_id], len(services[(place_id, organization_id)]))
        )
    for coverage in by_place.values():
        coverage.gaps.sort(key=lambda g: (g.organization.kind, g.organization.name))
    ordered = sorted(by_place.values(), key=lambda m: (-len(m.gaps), m.place.name))
    return CoverageReport(place=place, municipalities=ordered)


# --- Stale services and who must re-verify them ------------------------------------------------------------


@dataclass
class Reverifier:
    """A staff member asked to re-verify stale services, and why (one e-mail per Reverifier)."""

    user: Any  # accounts.User
    services: list[Service] = field(default_factory=list)
    reasons: set[str] = field(default_factory=set)  # "focal_point", "coordinator", "platform_admin"


@dataclass
class ReverificationPlan:
    services: list[Service]  # every stale active service, never-verified and oldest first
    reverifiers: list[Reverifier]
    unassigned: list[Service]  # stale services nobody can be asked about (no platform administrator at all)


def reverification_plan(today: date | None = None) -> ReverificationPlan:
    """Active services not verified for over STALE_AFTER_DAYS, and who must re-verify each: the staff accounts of
    its active focal points; failing that, the coordinators of the member organisation linked to the service's
    directory entry; failing that, the platform administrators. Everyone asked is someone
    `amparo.access.services_for_verification` lets verify the service."""
    from amparo.accounts.models import Membership, User
    from amparo.accounts.roles import Role

    stale = stale_services(today).filter(status=Service.Status.ACTIVE)
    services = list(
        stale.select_related("organization")
        .only("pk", "uuid", "name", "last_verified_on", "organization__name")
        .order_by(F("last_verified_on").asc(nulls_first=True), "name", "pk")
    )
    with_email = Q(user__is_active=True) & ~Q(user__email="")
    focal_users: dict[int, set[int]] = defaultdict(set)
    for service_id, user_id in FocalPoint.services.through.objects.filter(
        service_id__in=stale.values("pk"),
        focalpoint__in=acting_focal_points().filter(~Q(user__email="")),
    ).values_list("service_id", "focalpoint__user_id"):
        focal_users[service_id].add(user_id)
    coordinators: dict[int, set[int]] = defaultdict(set)
    for entry_id, user_id in Membership.objects.filter(
        with_email, role=Role.COORDINATOR, active=True, organization__directory_organization__isnull=False
    ).values_list("organization__directory_organization_id", "user_id"):
        coordinators[entry_id].add(user_id)
    admins = set(User.objects.filter(is_superuser=True, is_active=True).exclude(email="").values_list("pk", flat=True))

    assigned: dict[int, list[tuple[Service, str]]] = defaultdict(list)
    unassigned: list[Service] = []
    for service in services:
        for reason, user_ids in (
            ("focal_point", focal_users.get(service.pk)),
            ("coordinator", coordinators.get(service.organization_id)),
            ("platform_admin", admins),
        ):
            if user_ids:
                for user_id in user_ids:
                    assigned[user_id].append((service, reason))
                break
        else:
            unassigned.append(service)
    users = User.objects.in_bulk(list(assigned))
    reverifiers = []
    for user_id, items in assigned.items():
        reverifier = Reverifier(user=users[user_id])
        for service, reason in items:
            reverifier.services.append(service)
            reverifier.reasons.add(reason)
        reverifiers.append(reverifier)
    reverifiers.sort(key=lambda r: r.user.email.lower())
    return ReverificationPlan(services=services, reverifiers=reverifiers, unassigned=unassigned)


def acting_focal_points() -> QuerySet[FocalPoint]:
    """Focal points whose staff account may act for them: the focal point is active and approved by its entity,
    the account is active, and it holds an active focal_point membership in the member organisation that manages
    the focal point. Deactivating that membership (or the focal point) takes the right away at once. The permission
    module (`amparo.access`) builds the focal points' access rules on this."""
    from amparo.accounts.models import Membership
    from amparo.accounts.roles import Role

    membership = Membership.objects.filter(
        user=OuterRef("user"), organization=OuterRef("managed_by"), role=Role.FOCAL_POINT, active=True
    )
    return FocalPoint.objects.granted().filter(Exists(membership), active=True, user__is_active=True)
