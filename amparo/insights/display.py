"""How a frozen table is shown: one rule for the public page, the staff pages and the HXL exports, so that a hidden
count reads the same everywhere and is never a 0.

A table whose every hidden count is small (no complementary suppression) says "fewer than 11" in each hidden cell.
When some counts were hidden only so that a small one cannot be worked out from the totals, a hidden cell may hold
more than 11, so the cells say "hidden" and the note says both reasons: labelling only the small ones would tell
which cells are small, which is what the complements are there to prevent.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.utils.translation import gettext as _

from .tables import StatTable


def hidden_text(table: StatTable) -> str:
    p = table.protected
    if p.withheld:
        return _("withheld")
    if p.complementary == 0:
        return _("fewer than %(n)s") % {"n": table.threshold}
    return _("hidden")


def hidden_note(table: StatTable) -> str:
    p = table.protected
    if p.withheld:
        return _(
            "Every figure of this table is withheld: no way was found to hide the small counts without also hiding "
            "figures that other tables show."
        )
    if p.complementary == 0:
        return _("Fewer than %(n)s people: not shown, so that nobody can be recognised.") % {"n": table.threshold}
    return _(
        "Hidden: fewer than %(n)s people, or hidden so that a count under %(n)s cannot be worked out from the totals."
    ) % {"n": table.threshold}


@dataclass(frozen=True)
class Cell:
    value: int | None  # None: hidden

    @property
    def hidden(self) -> bool:
        return self.value is None


@dataclass(frozen=True)
class Row:
    label: str
    cells: tuple[Cell, ...]
    total: Cell


@dataclass(frozen=True)
class TableView:
    table: StatTable
    headers: tuple[str, ...]
    rows: tuple[Row, ...]
    totals: Row
    hidden_text: str
    hidden_note: str
    has_hidden: bool
    has_row_totals: bool  # a one-column table has no "Total" column (its rows may have none: never "hidden" then)


def table_view(table: StatTable) -> TableView:
    p = table.protected
    rows = tuple(
        Row(category.label, tuple(Cell(v) for v in values), Cell(total))
        for category, values, total in zip(table.row_categories, p.cells, p.row_totals, strict=True)
    )
    totals = Row(_("Total"), tuple(Cell(v) for v in p.column_totals), Cell(p.total))
    # A one-column table's row total is its one cell, and a table built without row totals (the ranked
    # municipalities) has None there: that is "not counted", not a hidden count, so it is not shown at all.
    has_row_totals = len(table.column_categories) > 1
    has_hidden = p.withheld or any(
        c.hidden for row in (*rows, totals) for c in (*row.cells, *((row.total,) if has_row_totals else ()))
    )
    return TableView(
        table=table,
        headers=tuple(c.label for c in table.column_categories),
        rows=rows,
        totals=totals,
        hidden_text=hidden_text(table),
        hidden_note=hidden_note(table),
        has_hidden=has_hidden,
        has_row_totals=has_row_totals,
    )
