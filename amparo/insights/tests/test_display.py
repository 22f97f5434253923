"""How a frozen table is shown (display.table_view): a table built without row totals (the ranked municipalities)
has None where a total would be; that is "not counted", never a hidden count."""

from __future__ import annotations

from datetime import date

from amparo.core.disclosure import PUBLIC_THRESHOLD, protect_table
from amparo.insights.display import table_view
from amparo.insights.tables import Category, Dimension, StatTable


def _table(counts: list[list[int]], *, row_totals: bool, columns: int) -> StatTable:
    return StatTable(
        key="cases.admin2_ranked",
        title="Survivors by municipality",
        description="People counted, by municipality.",
        rows=Dimension("admin2", "Municipality"),
        columns=Dimension("unit", "Count"),
        row_categories=tuple(Category(f"CO5400{k}", f"Place {k}") for k in range(len(counts))),
        column_categories=tuple(Category(f"c{j}", f"Column {j}") for j in range(columns)),
        protected=protect_table(counts, PUBLIC_THRESHOLD, row_totals=row_totals),
        threshold=PUBLIC_THRESHOLD,
        period_start=date(2026, 1, 1),
        period_end=date(2026, 1, 31),
        sources=("cases",),
    )


def test_a_one_column_table_without_row_totals_shows_no_hidden_total() -> None:
    table = _table([[14], [12]], row_totals=False, columns=1)
    assert table.protected.row_totals == (None, None)  # not counted: the builder asked for none
    view = table_view(table)
    assert not view.has_row_totals
    assert not view.has_hidden, "nothing is hidden: the page must not say that counts are hidden"


def test_a_two_way_table_keeps_its_totals_and_their_hidden_ones() -> None:
    view = table_view(_table([[3, 4], [25, 40]], row_totals=True, columns=2))  # the first row adds up to 7
    assert view.has_row_totals and view.has_hidden
    assert any(row.total.hidden for row in view.rows)
