"""Several tables of one page, protected together (DESIGN.md rule 6). Pure: no database, no Django.

Tables of one page are counted from the same records, so they share margins: the people per zone type are the
column totals of "gender identity by zone type" and of "GBV type by zone type"; the people per GBV type are the row
totals of "GBV type by zone type" and of "GBV type by gender identity". Each margin has a *key* (the population and
the category it counts, e.g. "cases:zone_type:border"). `Page.protect` passes every table through
`core.disclosure.protect_table` in order, and:

1. a margin already decided by an earlier table is *locked* here (never chosen as a complement) and *forced* hidden
   when the earlier table hid it, so one number is hidden everywhere or shown everywhere;
2. once every table is protected, `Page.finish` solves the page as an attacker would, all tables at once: the
   hidden cells are unknowns, a margin hidden in several tables is ONE unknown, a margin shown anywhere is known,
   and every row and column of every table is an equation. A hidden cell that the system determines exactly (its
   unit vector lies in the row space) is exposed; the last table protected that holds an exposed cell is then
   withheld whole, and the check runs again. Each table alone is safe (core.disclosure); only hidden margins shared
   by two or more tables can join their systems, so the check is skipped when there are none;
3. with `rounding` > 0, the counts shown are rounded to that base afterwards (rounding only removes information;
   the totals of a rounded table may not add up, which the method note says).

What this does not do, like core.disclosure: bounds (counts are not negative) and differencing between pages built
for different periods or scopes.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from fractions import Fraction

from amparo.core.disclosure import ProtectedTable, determined_unknowns, protect_table

Position = tuple[int, int]


@dataclass
class Entry:
    """One table of the page, as protected, with the keys of its shared margins."""

    counts: list[list[int]]
    row_totals: bool
    column_totals: bool
    keys: dict[Position, str]  # positions of the extended grid (margins) -> shared key
    table: ProtectedTable

    @property
    def rows(self) -> int:
        return len(self.counts)

    @property
    def columns(self) -> int:
        return len(self.counts[0]) if self.counts else 0

    def value(self, p: Position) -> int:
        i, j = p
        r, c = self.rows, self.columns
        if i < r and j < c:
            return self.counts[i][j]
        if i < r:
            return sum(self.counts[i])
        if j < c:
            return sum(row[j] for row in self.counts)
        return sum(sum(row) for row in self.counts)

    def shown(self, p: Position) -> int | None:
        i, j = p
        r, c = self.rows, self.columns
        t = self.table
        if i < r and j < c:
            return t.cells[i][j]
        if i < r:
            return t.row_totals[i]
        if j < c:
            return t.column_totals[j]
        return t.total

    def positions(self) -> list[Position]:
        r, c = self.rows, self.columns
        found = [(i, j) for i in range(r) for j in range(c)]
        if self.row_totals:
            found += [(i, c) for i in range(r)]
        if self.column_totals:
            found += [(r, j) for j in range(c)]
        if self.row_totals and self.column_totals:
            found.append((r, c))
        return found

    def lines(self) -> list[list[tuple[Position, int]]]:
        """Each line as (position, sign): interior cells +1, the margin -1; the line adds up to 0."""
        r, c = self.rows, self.columns
        found: list[list[tuple[Position, int]]] = []
        if self.row_totals:
            for i in range(r + (1 if self.column_totals else 0)):
                found.append([*(((i, j), 1) for j in range(c)), ((i, c), -1)])
        if self.column_totals:
            for j in range(c + (1 if self.row_totals else 0)):
                found.append([*(((i, j), 1) for i in range(r)), ((r, j), -1)])
        return found


def withheld(entry: Entry) -> ProtectedTable:
    t = entry.table
    return ProtectedTable(
        cells=tuple(tuple(None for _ in row) for row in t.cells),
        row_totals=tuple(None for _ in t.row_totals),
        column_totals=tuple(None for _ in t.column_totals),
        total=None,
        primary=t.primary,
        complementary=len(entry.positions()) - t.primary,
        withheld=True,
    )


@dataclass
class Page:
    threshold: int
    rounding: int = 0
    entries: list[Entry] = field(default_factory=list)
    decided: dict[str, bool] = field(default_factory=dict)  # shared key -> hidden

    def protect(
        self,
        counts: Sequence[Sequence[int]],
        *,
        keys: dict[Position, str],
        row_totals: bool = True,
        column_totals: bool = True,
    ) -> int:
        """Protect one table; returns its index (read the result with `table(index)` after `finish`)."""
        grid = [list(map(int, row)) for row in counts]
        locked = [p for p, k in keys.items() if k in self.decided]
        forced = [p for p, k in keys.items() if self.decided.get(k)]
        table = protect_table(
            grid, self.threshold, row_totals=row_totals, column_totals=column_totals, forced=forced, locked=locked
        )
        entry = Entry(grid, row_totals, column_totals, dict(keys), table)
        for p, k in keys.items():
            if k not in self.decided:
                self.decided[k] = entry.shown(p) is None
        self.entries.append(entry)
        return len(self.entries) - 1

    def finish(self) -> None:
        while True:
            exposed = exposed_entries(self.entries)
            if not exposed:
                break
            last = max(exposed)
            self.entries[last].table = withheld(self.entries[last])
        if self.rounding > 0:
            for entry in self.entries:
                entry.table = rounded(entry.table, self.rounding)

    def table(self, index: int) -> ProtectedTable:
        return self.entries[index].table


def exposed_entries(entries: Sequence[Entry]) -> set[int]:
    """Indexes of the tables holding a hidden cell that the page's equations, all tables together, determine."""
    known: dict[str, int] = {}
    hidden_in: dict[str, set[int]] = {}
    for index, entry in enumerate(entries):
        for p, k in entry.keys.items():
            value = entry.shown(p)
            if value is None:
                hidden_in.setdefault(k, set()).add(index)
            else:
                known[k] = value
    shared = {k for k, tables in hidden_in.items() if len(tables) > 1 and k not in known}
    if not shared:
        return set()  # no unknown joins two tables: each is safe on its own (core.disclosure)
    # The tables joined through shared unknowns (a connected component is enough; all of them is simpler).
    involved = sorted({i for k in shared for i in hidden_in[k]})
    variables: dict[object, int] = {}
    owners: dict[int, set[int]] = {}

    def variable(index: int, p: Position) -> object | None:
        entry = entries[index]
        if entry.shown(p) is not None:
            return None
        k = entry.keys.get(p)
        if k is not None and k in known:
            return None
        name: object = k if k is not None else (index, p)
        if name not in variables:
            variables[name] = len(variables)
        owners.setdefault(variables[name], set()).add(index)
        return name

    system: list[dict[int, Fraction]] = []
    for index in involved:
        entry = entries[index]
        for line in entry.lines():
            row: dict[int, Fraction] = {}
            for p, sign in line:
                name = variable(index, p)
                if name is not None:
                    v = variables[name]
                    row[v] = row.get(v, Fraction(0)) + sign
            row = {v: a for v, a in row.items() if a != 0}
            if row:
                system.append(row)
    determined = _determined(system, len(variables))
    return {i for v in determined for i in owners[v]}


def _determined(system: list[dict[int, Fraction]], width: int) -> set[int]:
    """Variables fixed by the homogeneous system's row space (exact arithmetic)."""
    return determined_unknowns([[row.get(v, Fraction(0)) for v in range(width)] for row in system], width)


def _round(value: int | None, base: int) -> int | None:
    if value is None:
        return None
    return int(base * ((value + base / 2) // base))


def rounded(table: ProtectedTable, base: int) -> ProtectedTable:
    """The shown counts rounded to the nearest multiple of `base` (halves up); hidden cells stay hidden."""
    return replace(
        table,
        cells=tuple(tuple(_round(v, base) for v in row) for row in table.cells),
        row_totals=tuple(_round(v, base) for v in table.row_totals),
        column_totals=tuple(_round(v, base) for v in table.column_totals),
        total=_round(table.total, base),
    )
