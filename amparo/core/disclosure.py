"""Disclosure control for tables of counts (DESIGN.md rule 6). Pure functions: no database, no Django.

A table is R rows x C columns of counts with its margins: the row totals (a last column), the column totals (a last
row) and the grand total. Seen whole it is an (R+1) x (C+1) grid in which every row and every column is a *line*:
the interior cells of a line add up to its margin cell.

1. **Primary suppression**: every cell, margins included, with 0 < count < threshold is hidden (a margin under the
   threshold is a small group too). Zeros are shown: an empty cell names nobody.
2. **Complementary suppression**: a line with exactly one hidden cell gives it away (margin minus the others), so
   another cell of that line is hidden too: the smallest positive count, then a zero, interior cells before
   margins on ties. Repeated until every line has none or at least two hidden cells.
3. **No hidden cell may be solved from the lines**: two hidden cells per line are not always enough (a hidden cell
   that bridges two otherwise separate groups of hidden cells is still the solution of a sum). The hidden cells
   are unknowns of the linear system "each line adds up"; a cell is exposed when every solution of the system gives
   it the same value (exact arithmetic with fractions). An exposed cell gets one more complement, and steps 2-3
   run again until nothing is exposed.

The totals are computed from the counts given (never from what is left after suppression), so a published table
adds up wherever nothing is hidden.

What this does not do: protect against bounds (an attacker who knows counts are not negative can sometimes narrow
a hidden cell to an interval) or against differencing between two tables published from overlapping data. Callers
that publish several tables from the same records lock the cells those tables share (`locked`, `forced`) so the
same number is hidden or shown everywhere.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from fractions import Fraction

ORGANISATION_THRESHOLD = 5  # inside an organisation (DESIGN.md rule 6)
PUBLIC_THRESHOLD = 11  # public and regional outputs

Position = tuple[int, int]


@dataclass(frozen=True)
class ProtectedTable:
    """A table after suppression. `None` is a hidden count."""

    cells: tuple[tuple[int | None, ...], ...]
    row_totals: tuple[int | None, ...]
    column_totals: tuple[int | None, ...]
    total: int | None
    primary: int  # cells hidden because they are small
    complementary: int  # cells hidden so that the small ones cannot be worked out
    withheld: bool = False  # no safe pattern existed without hiding a locked cell: every cell is hidden

    @property
    def hidden(self) -> int:
        return self.primary + self.complementary

    def grid(self) -> list[list[int | None]]:
        """The whole grid, margins included: rows then the totals row, each row ending with its total."""
        rows = [[*row, total] for row, total in zip(self.cells, self.row_totals, strict=True)]
        rows.append([*self.column_totals, self.total])
        return rows


class _Grid:
    def __init__(self, counts: Sequence[Sequence[int]], *, row_totals: bool, column_totals: bool) -> None:
        self.rows = len(counts)
        self.columns = len(counts[0]) if counts else 0
        if any(len(row) != self.columns for row in counts):
            raise ValueError("every row of a table needs the same number of cells")
        if any(value < 0 for row in counts for value in row):
            raise ValueError("counts are not negative")
        self.has_row_totals = row_totals
        self.has_column_totals = column_totals
        self.values: dict[Position, int] = {}
        for i, row in enumerate(counts):
            for j, value in enumerate(row):
                self.values[(i, j)] = int(value)
        if row_totals:
            for i in range(self.rows):
                self.values[(i, self.columns)] = sum(self.values[(i, j)] for j in range(self.columns))
        if column_totals:
            for j in range(self.columns):
                self.values[(self.rows, j)] = sum(self.values[(i, j)] for i in range(self.rows))
        if row_totals and column_totals:
            self.values[(self.rows, self.columns)] = sum(self.values[(i, self.columns)] for i in range(self.rows))
        # Each line: (interior positions, margin position)
        self.lines: list[tuple[list[Position], Position]] = []
        if row_totals:
            last = self.rows + (1 if column_totals else 0)
            for i in range(last):
                self.lines.append(([(i, j) for j in range(self.columns)], (i, self.columns)))
        if column_totals:
            last = self.columns + (1 if row_totals else 0)
            for j in range(last):
                self.lines.append(([(i, j) for i in range(self.rows)], (self.rows, j)))

    def is_margin(self, position: Position) -> bool:
        return position[0] == self.rows or position[1] == self.columns


def protect_table(
    counts: Sequence[Sequence[int]],
    threshold: int = ORGANISATION_THRESHOLD,
    *,
    row_totals: bool = True,
    column_totals: bool = True,
    forced: Iterable[Position] = (),
    locked: Iterable[Position] = (),
) -> ProtectedTable:
    """Suppress a table of counts for publication.

    `forced`: positions (row, column) of the extended grid hidden whatever their count (the row of totals is
    `len(counts)`, the column of totals `len(counts[0])`), e.g. a total that another table of the same page hides.
    `locked`: positions never chosen as complements (their count is shown elsewhere, e.g. a total shared by several
    tables); a locked position is still hidden when it is small or forced.
    """
    if threshold < 1:
        raise ValueError("the threshold is at least 1")
    grid = _Grid(counts, row_totals=row_totals, column_totals=column_totals)
    locked_set = set(locked)
    hidden: set[Position] = {p for p, v in grid.values.items() if 0 < v < threshold}
    primary = len(hidden)
    for position in forced:
        if position not in grid.values:
            raise ValueError(f"no cell at {position}")
        hidden.add(position)
    forced_extra = len(hidden) - primary
    withheld = False
    try:
        _complete(grid, hidden, locked_set)
    except _NoSafePattern:
        # Only cells shown elsewhere (locked) were left to hide: the whole table is withheld.
        withheld = True
        hidden = set(grid.values)
    complementary = len(hidden) - primary - forced_extra

    def shown(position: Position) -> int | None:
        return None if position in hidden else grid.values[position]

    cells = tuple(tuple(shown((i, j)) for j in range(grid.columns)) for i in range(grid.rows))
    r_totals = tuple(shown((i, grid.columns)) for i in range(grid.rows)) if row_totals else tuple(None for _ in cells)
    c_totals = (
        tuple(shown((grid.rows, j)) for j in range(grid.columns))
        if column_totals
        else tuple(None for _ in range(grid.columns))
    )
    total = shown((grid.rows, grid.columns)) if row_totals and column_totals else None
    return ProtectedTable(cells, r_totals, c_totals, total, primary, complementary + forced_extra, withheld)


def protect_counts(
    counts: Sequence[int], threshold: int = ORGANISATION_THRESHOLD, *, total_locked: bool = False
) -> ProtectedTable:
    """A one-way distribution (counts per category and their total), as a table of one row."""
    locked = [(0, len(counts))] if total_locked else []
    return protect_table([list(counts)], threshold, column_totals=False, locked=locked)


class _NoSafePattern(Exception):
    pass


def _pick(grid: _Grid, candidates: Iterable[Position]) -> Position | None:
    """The complement: the smallest positive count, then a zero; interior cells before margins on ties."""
    ordered = sorted(candidates, key=lambda p: (grid.values[p] == 0, grid.values[p], grid.is_margin(p), p[0], p[1]))
    return ordered[0] if ordered else None


def _complete(grid: _Grid, hidden: set[Position], locked: set[Position]) -> None:
    while True:
        changed = False
        for interior, margin in grid.lines:
            line = [*interior, margin]
            inside = [p for p in line if p in hidden]
            if len(inside) == 1:
                choice = _pick(grid, (p for p in line if p not in hidden and p not in locked))
                if choice is None:
                    raise _NoSafePattern
                hidden.add(choice)
                changed = True
        if changed:
            continue
        exposed = _exposed(grid, hidden)
        if not exposed:
            return
        target = exposed[0]
        lines = [[*interior, margin] for interior, margin in grid.lines if target in interior or target == margin]
        choice = _pick(grid, (p for line in lines for p in line if p not in hidden and p not in locked))
        if choice is None:
            raise _NoSafePattern
        hidden.add(choice)


def _exposed(grid: _Grid, hidden: set[Position]) -> list[Position]:
    """Hidden cells that the lines' sums determine exactly."""
    unknowns = sorted(hidden)
    if not unknowns:
        return []
    index = {p: k for k, p in enumerate(unknowns)}
    matrix: list[list[Fraction]] = []
    for interior, margin in grid.lines:
        row = [Fraction(0)] * len(unknowns)
        touched = False
        for p in interior:
            if p in index:
                row[index[p]] += 1
                touched = True
        if margin in index:
            row[index[margin]] -= 1
            touched = True
        if touched:
            matrix.append(row)
    return [unknowns[column] for column in sorted(determined_unknowns(matrix, len(unknowns)))]


def determined_unknowns(matrix: list[list[Fraction]], width: int) -> set[int]:
    """The unknowns (columns) that every solution of the linear system `matrix` gives the same value: what an
    attacker solves exactly from the sums. Reduces `matrix` in place (exact arithmetic with fractions)."""
    pivots = _rref(matrix, width)
    free = set(range(width)) - {column for _, column in pivots}
    return {column for row, column in pivots if all(matrix[row][f] == 0 for f in free)}


def _rref(matrix: list[list[Fraction]], width: int) -> list[tuple[int, int]]:
    """Reduce `matrix` in place to reduced row echelon form; return its (row, pivot column) pairs."""
    pivots: list[tuple[int, int]] = []
    row = 0
    for column in range(width):
        found = next((r for r in range(row, len(matrix)) if matrix[r][column] != 0), None)
        if found is None:
            continue
        matrix[row], matrix[found] = matrix[found], matrix[row]
        lead = matrix[row][column]
        matrix[row] = [value / lead for value in matrix[row]]
        for r in range(len(matrix)):
            if r != row and matrix[r][column] != 0:
                factor = matrix[r][column]
                matrix[r] = [a - factor * b for a, b in zip(matrix[r], matrix[row], strict=True)]
        pivots.append((row, column))
        row += 1
        if row == len(matrix):
            break
    return pivots
