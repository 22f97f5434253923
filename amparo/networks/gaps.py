"""Coverage gaps: for each municipality and need (directory service type), whether the groups the inclusion facts
describe find a service there (docs/networks.md, "Coverage gaps").

Pure: `gap_selectors` counts the services in SQL and the survey answers as aggregates; this module turns those
counts into cells with a level (a colour and a word) and the reasons, weights them by what surveys report, and
applies the small-count rule. What partners review (which survey answers mean which need and group) is the data
file `content/gap-weights.toml`.
"""

from __future__ import annotations

import tomllib
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from enum import IntEnum
from functools import cache
from pathlib import Path

from django.utils.functional import Promise
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from amparo.core.disclosure import ORGANISATION_THRESHOLD
from amparo.directory.taxonomy import INCLUSION_FACT_CODES, SERVICE_TYPE_BY_CODE, SERVICE_TYPES, ServiceTypeInfo

WEIGHTS_FILE = Path(__file__).resolve().parent / "content" / "gap-weights.toml"
SMALL_COUNT = ORGANISATION_THRESHOLD  # counts below it are shown as "fewer than 5" (DESIGN rule 6)


def shown_count(n: int | None) -> str:
    """A count as a page may show it: below SMALL_COUNT (and above zero) only "fewer than 5"."""
    if n is None:
        return "—"
    if 0 < n < SMALL_COUNT:
        return _("fewer than %(n)s") % {"n": SMALL_COUNT}
    return str(n)


def usable(n: int) -> int:
    """A count as a computation may use it: below SMALL_COUNT it counts as nothing (never shown, never weighed)."""
    return n if n >= SMALL_COUNT else 0


@dataclass(frozen=True)
class Group:
    code: str
    fact: str  # the directory inclusion fact that says a service receives this group
    label: Promise
    barriers: tuple[str, ...]  # survey barrier choices that count as this group being turned away


GROUP_LABELS: dict[str, Promise] = {
    "no_id": gettext_lazy("people without ID"),
    "irregular": gettext_lazy("people in irregular migratory status"),
    "trans": gettext_lazy("trans women"),
    "sex_workers": gettext_lazy("sex workers"),
}


@dataclass(frozen=True)
class Weights:
    needs_question: str
    barriers_question: str
    window_days: int
    min_count: int
    need_types: Mapping[str, tuple[str, ...]]  # survey need choice -> service type codes
    groups: tuple[Group, ...]
    discrimination_barriers: tuple[str, ...]

    def needs_for_type(self, type_code: str) -> tuple[str, ...]:
        return tuple(need for need, types in self.need_types.items() if type_code in types)


class WeightsError(ValueError):
    pass


def parse_weights(text: str) -> Weights:
    """The weights file, checked: every service type, fact and group it names must exist."""
    data = tomllib.loads(text)
    survey = data.get("survey", {})
    need_types: dict[str, tuple[str, ...]] = {}
    for need, entry in data.get("needs", {}).items():
        types = tuple(entry.get("service_types", ()))
        unknown = [t for t in types if t not in SERVICE_TYPE_BY_CODE]
        if unknown:
            raise WeightsError(f"need {need}: unknown service types {unknown}")
        need_types[need] = types
    groups = []
    for code, entry in data.get("groups", {}).items():
        if code not in GROUP_LABELS:
            raise WeightsError(f"unknown group {code}")
        if entry.get("fact") not in INCLUSION_FACT_CODES:
            raise WeightsError(f"group {code}: unknown inclusion fact {entry.get('fact')}")
        groups.append(Group(code, entry["fact"], GROUP_LABELS[code], tuple(entry.get("barriers", ()))))
    return Weights(
        needs_question=str(survey.get("needs_question", "needs")),
        barriers_question=str(survey.get("barriers_question", "barriers")),
        window_days=int(survey.get("window_days", 365)),
        min_count=max(SMALL_COUNT, int(survey.get("min_count", SMALL_COUNT))),
        need_types=need_types,
        groups=tuple(groups),
        discrimination_barriers=tuple(data.get("discrimination", {}).get("barriers", ())),
    )


@cache
def weights() -> Weights:
    return parse_weights(WEIGHTS_FILE.read_text(encoding="utf-8"))


def groups() -> tuple[Group, ...]:
    return weights().groups


def group_by_code(code: str) -> Group | None:
    return next((g for g in groups() if g.code == code), None)


class Level(IntEnum):
    """How bad a cell is; the colour on the page, always with its word (colour is never the only signal)."""

    COVERED = 0
    WEAK = 1  # services receive the groups, but none is verified recently or none has a sensitised focal point
    GAP = 2  # services exist, but none receives one of the groups
    NONE = 3  # no active service of this kind

    @property
    def css(self) -> str:
        return self.name.lower()

    @property
    def word(self) -> str:
        return str(LEVEL_WORDS[self])


LEVEL_WORDS: dict[Level, Promise] = {
    Level.COVERED: gettext_lazy("Covered"),
    Level.WEAK: gettext_lazy("Weak"),
    Level.GAP: gettext_lazy("Gap for a group"),
    Level.NONE: gettext_lazy("No service"),
}


@dataclass(frozen=True)
class CellCounts:
    """Active service points (a service at a location) of one type in one municipality."""

    services: int = 0
    verified: int = 0  # verified within settings.STALE_AFTER_DAYS
    sensitised: int = 0  # with a focal point whose sensitisation has not expired
    group: Mapping[str, int] = field(default_factory=dict)  # group code -> points that receive the group
    group_verified: Mapping[str, int] = field(default_factory=dict)


@dataclass(frozen=True)
class Cell:
    type_code: str
    level: Level
    reasons: tuple[str, ...]
    counts: CellCounts
    missing_groups: tuple[str, ...]
    weight: float = 1.0  # 1 + what surveys report (need named, barriers of the missing groups)
    demand: int | None = None  # respondents who named a need of this type (None: no survey data)

    @property
    def score(self) -> float:
        return int(self.level) * self.weight

    @property
    def demand_shown(self) -> str:
        return shown_count(self.demand)

    @property
    def type_name(self) -> str:
        return str(SERVICE_TYPE_BY_CODE[self.type_code].name)


def assess(type_code: str, counts: CellCounts, considered: Sequence[Group], stale_days: int) -> Cell:
    """The level of one cell and its reasons, for the groups considered (every group, or the one filtered)."""
    reasons: list[str] = []
    if counts.services == 0:
        return Cell(
            type_code, Level.NONE, (_("No active service of this kind."),), counts, tuple(g.code for g in considered)
        )
    missing = tuple(g for g in considered if counts.group.get(g.code, 0) == 0)
    level = Level.COVERED
    if missing:
        level = Level.GAP
        for g in missing:
            reasons.append(_("None receives %(group)s.") % {"group": g.label})
    if counts.verified == 0:
        level = max(level, Level.WEAK)
        reasons.append(_("None verified in the last %(days)s days.") % {"days": stale_days})
    else:
        for g in considered:
            if g not in missing and counts.group_verified.get(g.code, 0) == 0:
                level = max(level, Level.WEAK)
                reasons.append(_("The ones that receive %(group)s are not verified recently.") % {"group": g.label})
    if counts.sensitised == 0:
        level = max(level, Level.WEAK)
        reasons.append(_("No focal point with a current sensitisation."))
    if level == Level.COVERED:
        reasons.append(
            _("%(n)s service points, %(v)s verified, %(s)s with a sensitised focal point.")
            % {"n": counts.services, "v": counts.verified, "s": counts.sensitised}
        )
    return Cell(type_code, level, tuple(reasons), counts, tuple(g.code for g in missing))


@dataclass(frozen=True)
class SurveyDemand:
    """What consenting respondents of one municipality reported (counts, from gap_selectors)."""

    respondents: int
    needs: Mapping[str, int]  # need choice -> respondents who named it
    barriers: Mapping[str, int]  # barrier choice -> respondents who named it

    def share(self, count: int) -> float:
        respondents = usable(self.respondents)
        return usable(count) / respondents if respondents else 0.0

    def type_demand(self, type_code: str, w: Weights) -> int:
        """Respondents who named a need that asks for this type (the largest need: one person may name several)."""
        return max((self.needs.get(need, 0) for need in w.needs_for_type(type_code)), default=0)

    def group_share(self, group: Group) -> float:
        return max((self.share(self.barriers.get(b, 0)) for b in group.barriers), default=0.0)


def weigh(cell: Cell, demand: SurveyDemand | None, w: Weights) -> Cell:
    """A cell weighted by survey data: 1 + the share of respondents naming its need + the largest share naming a
    barrier of a missing group. Without survey data (or fewer than 5 respondents) the weight stays 1."""
    if demand is None:
        return cell
    wanted = demand.type_demand(cell.type_code, w)
    weight = 1.0 + demand.share(wanted)
    by_code = {g.code: g for g in w.groups}
    barrier = max((demand.group_share(by_code[c]) for c in cell.missing_groups if c in by_code), default=0.0)
    return Cell(
        cell.type_code, cell.level, cell.reasons, cell.counts, cell.missing_groups, round(weight + barrier, 3), wanted
    )


@dataclass(frozen=True)
class Municipality:
    id: int
    pcode: str
    name: str
    department: str
    zone: str
    zone_label: str = ""


@dataclass(frozen=True)
class Row:
    place: Municipality
    cells: tuple[Cell, ...]
    demand: SurveyDemand | None

    @property
    def score(self) -> float:
        return round(sum(c.score for c in self.cells), 3)

    @property
    def worst(self) -> Level:
        return max((c.level for c in self.cells), default=Level.COVERED)

    @property
    def respondents_shown(self) -> str:
        return shown_count(self.demand.respondents) if self.demand else ""


@dataclass(frozen=True)
class Matrix:
    types: tuple[ServiceTypeInfo, ...]
    groups: tuple[Group, ...]
    rows: tuple[Row, ...]

    def level_totals(self) -> dict[Level, int]:
        totals = dict.fromkeys(Level, 0)
        for row in self.rows:
            for cell in row.cells:
                totals[cell.level] += 1
        return totals


def reported(cell: Cell, reports: int, threshold: int) -> Cell:
    """A cell whose services people said turned them away, asked for an ID or charged them (the campaigns'
    community-led monitoring), at least `threshold` times: at least WEAK, with that reason. The count itself is not
    shown (an answer is anonymous; "at least N" says enough)."""
    if cell.counts.services == 0 or reports < threshold:
        return cell
    reason = _(
        "People said services here turned them away, asked for an ID they did not have or charged them (at least "
        "%(n)s answers in the last months)."
    ) % {"n": threshold}
    return replace(cell, level=max(cell.level, Level.WEAK), reasons=(*cell.reasons, reason))


def build_matrix(
    places: Iterable[Municipality],
    counts: Mapping[tuple[int, str], CellCounts],
    demand: Mapping[str, SurveyDemand],
    *,
    types: Sequence[ServiceTypeInfo] = SERVICE_TYPES,
    considered: Sequence[Group] | None = None,
    stale_days: int,
    order: str = "name",
    discrimination: Mapping[tuple[str, str], int] | None = None,
    discrimination_threshold: int = 5,
) -> Matrix:
    """The matrix municipality x need. `order`: "name" (department, then name) or "priority" (weighted score).
    `discrimination`: (municipality P-code, type code) -> answers that reported discrimination at its services."""
    w = weights()
    considered = tuple(considered if considered is not None else w.groups)
    empty = CellCounts()
    rows = []
    for place in places:
        survey = demand.get(place.pcode)
        cells = tuple(
            reported(
                weigh(assess(t.code, counts.get((place.id, t.code), empty), considered, stale_days), survey, w),
                (discrimination or {}).get((place.pcode, t.code), 0),
                discrimination_threshold,
            )
            for t in types
        )
        rows.append(Row(place, cells, survey))
    if order == "priority":
        rows.sort(key=lambda r: (-r.score, r.place.department, r.place.name))
    else:
        rows.sort(key=lambda r: (r.place.department, r.place.name))
    return Matrix(tuple(types), considered, tuple(rows))


def open_gaps(matrix: Matrix) -> set[str]:
    """The cells with no service, or none for a group: "<pcode>:<type>" (what a snapshot keeps to compare)."""
    return {
        f"{row.place.pcode}:{cell.type_code}" for row in matrix.rows for cell in row.cells if cell.level >= Level.GAP
    }
