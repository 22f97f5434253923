"""The risk characterisation: indicator tables by zone type and by group, with disclosure control (DESIGN rule 6).

Pure: it takes the counts that `selectors.characterisation_counts` reads with one SQL query (one row per
combination of the facets: zone type, gender identity, migratory status, nationality, age band) and builds, for
each indicator, one table with the total and a block of columns per facet, side by side. Every published number
passes through `core.disclosure`:

- **Respondents per group** (the header row of each block) are a one-way table per facet, with the respondents'
  total shown once for the page.
- **An indicator's total column** (counts per choice over every respondent, with "no answer") is a one-way table.
- **Each block of an indicator** is a two-way table (choices x groups) whose margins are the two tables above:
  they are *locked* (shown elsewhere on the page: never hidden as a complement here) and hidden here exactly when
  they are hidden there (*forced*), so the same number is never hidden in one place and shown in another. A
  "no answer" row makes every column add up to the group's respondents, as an attacker who knows both would see.
- **select_multiple**: each choice is a yes/no variable (chose it / did not, skipped included), protected as its
  own table; only the "chose it" row is shown, but a small "did not" count hides it too.
- **Numbers** are banded (the bands are in `NUMBER_BANDS`) and then treated as a select_one.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field

from amparo.core.disclosure import ORGANISATION_THRESHOLD, ProtectedTable, protect_counts, protect_table

DIMENSIONS = ("zone_type", "gender_identity", "migratory_status", "nationality", "age_band")
NOT_RECORDED = ""  # the group of respondents whose facet is empty
NO_ANSWER = "__no_answer__"
# (code, lowest, highest or None): the bands of number questions; ages have their own facet.
NUMBER_BANDS: tuple[tuple[str, float, float | None], ...] = (
    ("0", 0, 0),
    ("1", 1, 1),
    ("2-4", 2, 4),
    ("5-9", 5, 9),
    ("10+", 10, None),
)
NEGATIVE_BAND = "<0"


@dataclass(frozen=True)
class Indicator:
    key: str  # the question's name, the key in Submission.answers
    kind: str  # "select_one", "select_multiple" or "number"
    label: str
    categories: tuple[tuple[str, str], ...]  # (code, label): choices, or bands for numbers


@dataclass
class CubeRow:
    """Respondents sharing one combination of the facets, and their answers counted."""

    groups: tuple[str, ...]  # one value per DIMENSIONS ("" when not recorded)
    respondents: int
    counts: dict[tuple[str, str], int] = field(default_factory=dict)  # (indicator key, category code) -> count


@dataclass
class Column:
    code: str
    label: str
    respondents: int | None


@dataclass
class Block:
    dimension: str
    label: str
    columns: list[Column]


@dataclass
class Row:
    code: str
    label: str
    total: int | None
    values: list[list[int | None]]  # per block, per column


@dataclass
class IndicatorTable:
    indicator: Indicator
    rows: list[Row]
    answered: int | None  # respondents who answered (shown only when it passes disclosure control)
    hidden: int
    withheld: bool


@dataclass
class Characterisation:
    respondents: int | None
    blocks: list[Block]
    tables: list[IndicatorTable]
    threshold: int


def build(
    cube: Sequence[CubeRow],
    indicators: Sequence[Indicator],
    group_labels: dict[str, dict[str, str]],
    dimension_labels: dict[str, str],
    *,
    threshold: int = ORGANISATION_THRESHOLD,
    group_order: dict[str, list[str]] | None = None,
) -> Characterisation:
    """The page's tables. `group_labels[dimension][code]` names each group; `group_order` puts some first."""
    total = sum(row.respondents for row in cube)
    group_codes = _groups(cube, group_order or {})
    # Respondents per group, per facet: one-way tables sharing the (locked) grand total.
    respondents_total = protect_counts([total], threshold).row_totals[0] if total else 0
    block_tables: dict[str, ProtectedTable] = {}
    per_group: dict[str, list[int]] = {}
    for d, dimension in enumerate(DIMENSIONS):
        counts = [sum(r.respondents for r in cube if r.groups[d] == code) for code in group_codes[dimension]]
        per_group[dimension] = counts
        block_tables[dimension] = protect_counts(counts, threshold, total_locked=respondents_total is not None)
    blocks = [
        Block(
            dimension,
            dimension_labels.get(dimension, dimension),
            [
                Column(code, _group_label(group_labels, dimension, code), block_tables[dimension].cells[0][k])
                for k, code in enumerate(group_codes[dimension])
            ],
        )
        for dimension in DIMENSIONS
    ]
    margins = _margins(cube)
    tables = [
        _indicator_table(margins, indicator, group_codes, per_group, block_tables, total, respondents_total, threshold)
        for indicator in indicators
    ]
    return Characterisation(respondents_total, blocks, tables, threshold)


def _group_label(labels: dict[str, dict[str, str]], dimension: str, code: str) -> str:
    return labels.get(dimension, {}).get(code, code)


def _groups(cube: Sequence[CubeRow], order: dict[str, list[str]]) -> dict[str, list[str]]:
    found: dict[str, list[str]] = {}
    for d, dimension in enumerate(DIMENSIONS):
        present = {row.groups[d] for row in cube if row.respondents}
        first = [code for code in order.get(dimension, []) if code in present or dimension == "zone_type"]
        rest = sorted(present - set(first) - {NOT_RECORDED})
        codes = first + rest
        if NOT_RECORDED in present:
            codes.append(NOT_RECORDED)
        found[dimension] = codes
    return found


Margins = tuple[dict[tuple[str, str], int], list[dict[str, dict[tuple[str, str], int]]]]


def _margins(cube: Sequence[CubeRow]) -> Margins:
    """The counts over every respondent, and per facet and group: one pass over the cube."""
    overall: dict[tuple[str, str], int] = defaultdict(int)
    per_dimension: list[dict[str, dict[tuple[str, str], int]]] = [{} for _ in DIMENSIONS]
    for row in cube:
        for key, value in row.counts.items():
            overall[key] += value
        for d in range(len(DIMENSIONS)):
            target = per_dimension[d].setdefault(row.groups[d], defaultdict(int))
            for key, value in row.counts.items():
                target[key] += value
    return overall, per_dimension


def _indicator_table(
    margins: Margins,
    indicator: Indicator,
    group_codes: dict[str, list[str]],
    per_group: dict[str, list[int]],
    block_tables: dict[str, ProtectedTable],
    total: int,
    respondents_total: int | None,
    threshold: int,
) -> IndicatorTable:
    categories = [code for code, _label in indicator.categories]
    key = indicator.key
    hidden = 0
    withheld = False

    overall_counts_by_key, per_dimension = margins

    def count(d: int | None, group: str, code: str) -> int:
        if d is None:
            return overall_counts_by_key.get((key, code), 0)
        return per_dimension[d].get(group, {}).get((key, code), 0)

    if indicator.kind == "select_multiple":
        answered_all = total - count(None, "", NO_ANSWER)
    else:
        answered_all = sum(count(None, "", code) for code in categories)
    rows: list[Row] = []
    if indicator.kind == "select_multiple":
        for code, label in indicator.categories:
            chose = count(None, "", code)
            overall = protect_counts([chose, total - chose], threshold, total_locked=respondents_total is not None)
            hidden += overall.hidden
            row = Row(code, label, overall.cells[0][0], [])
            for d, dimension in enumerate(DIMENSIONS):
                codes = group_codes[dimension]
                yes = [count(d, g, code) for g in codes]
                no = [n - y for n, y in zip(per_group[dimension], yes, strict=True)]
                table = _block(
                    [yes, no], [overall.cells[0][0], overall.cells[0][1]], block_tables[dimension], threshold
                )
                hidden += table.hidden
                withheld |= table.withheld
                row.values.append(list(table.cells[0]))
            rows.append(row)
        answered = protect_counts([answered_all, total - answered_all], threshold).cells[0][0]
        return IndicatorTable(indicator, rows, answered, hidden, withheld)

    codes_with_none = [*categories, NO_ANSWER]
    overall_counts = [count(None, "", c) for c in categories] + [total - answered_all]
    overall = protect_counts(overall_counts, threshold, total_locked=respondents_total is not None)
    hidden += overall.hidden
    labels = dict(indicator.categories)
    for k, code in enumerate(codes_with_none):
        rows.append(Row(code, labels.get(code, ""), overall.cells[0][k], []))
    for d, dimension in enumerate(DIMENSIONS):
        groups = group_codes[dimension]
        matrix = []
        for code in categories:
            matrix.append([count(d, g, code) for g in groups])
        answered_per_group = [sum(matrix[i][k] for i in range(len(categories))) for k in range(len(groups))]
        matrix.append([n - a for n, a in zip(per_group[dimension], answered_per_group, strict=True)])
        table = _block(matrix, list(overall.cells[0]), block_tables[dimension], threshold)
        hidden += table.hidden
        withheld |= table.withheld
        for k, row in enumerate(rows):
            row.values.append(list(table.cells[k]))
    # Respondents minus "no answer": shown only when both are (else it would give the hidden one back).
    no_answer = overall.cells[0][-1]
    answered = answered_all if no_answer is not None and respondents_total is not None else None
    return IndicatorTable(indicator, rows, answered, hidden, withheld)


def _block(
    matrix: list[list[int]], shown_row_totals: list[int | None], respondents: ProtectedTable, threshold: int
) -> ProtectedTable:
    """One block of an indicator: its margins are the indicator's total column and the block's respondents."""
    n_rows = len(matrix)
    n_cols = len(matrix[0]) if matrix else 0
    if not n_cols:
        return protect_table([[] for _ in matrix], threshold) if matrix else protect_table([[0]], threshold)
    locked = [(i, n_cols) for i in range(n_rows)] + [(n_rows, j) for j in range(n_cols)] + [(n_rows, n_cols)]
    forced = [(i, n_cols) for i in range(n_rows) if shown_row_totals[i] is None]
    forced += [(n_rows, j) for j in range(n_cols) if respondents.cells[0][j] is None]
    if respondents.row_totals[0] is None:
        forced.append((n_rows, n_cols))
    return protect_table(matrix, threshold, forced=forced, locked=locked)


def band(value: float) -> str:
    """The band of a number answer: the last band whose lowest value it reaches (1.5 is in "1")."""
    if value < 0:
        return NEGATIVE_BAND
    found = NUMBER_BANDS[0][0]
    for code, low, _high in NUMBER_BANDS:
        if value >= low:
            found = code
    return found


def rows_from_groups(
    counts: dict[tuple[str, ...], dict[tuple[str, str], int]], respondents: dict[tuple[str, ...], int]
) -> list[CubeRow]:
    return [CubeRow(groups, n, dict(counts.get(groups, {}))) for groups, n in respondents.items()]


def merge(rows: Sequence[CubeRow]) -> list[CubeRow]:
    """Add up rows with the same groups (several versions of one form)."""
    merged: dict[tuple[str, ...], CubeRow] = {}
    for row in rows:
        target = merged.setdefault(row.groups, CubeRow(row.groups, 0, defaultdict(int)))
        target.respondents += row.respondents
        for key, value in row.counts.items():
            target.counts[key] = target.counts.get(key, 0) + value
    return list(merged.values())
