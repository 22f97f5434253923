"""Disclosure control of tables of counts (core/disclosure.py, DESIGN.md rule 6).

Each published table is checked by an attacker written here independently of the module: from what is shown
(cells and totals) it tries to work out every hidden cell exactly, by linear algebra on the line sums (a hidden
cell is worked out when its unit vector lies in the row space of the system of sums)."""

from __future__ import annotations

import random
from fractions import Fraction

import pytest

from amparo.core import disclosure
from amparo.core.disclosure import ProtectedTable, protect_counts, protect_table


def _rank(rows: list[list[Fraction]]) -> int:
    rows = [list(r) for r in rows]
    rank = 0
    width = len(rows[0]) if rows else 0
    for column in range(width):
        pivot = next((r for r in range(rank, len(rows)) if rows[r][column] != 0), None)
        if pivot is None:
            continue
        rows[rank], rows[pivot] = rows[pivot], rows[rank]
        for r in range(len(rows)):
            if r != rank and rows[r][column] != 0:
                f = rows[r][column] / rows[rank][column]
                rows[r] = [a - f * b for a, b in zip(rows[r], rows[rank], strict=True)]
        rank += 1
    return rank


def attack(table: ProtectedTable, *, column_totals: bool = True) -> dict[tuple[int, int], int]:
    """The hidden cells an attacker can work out exactly from the published table, with their value."""
    grid = table.grid() if column_totals else [[*table.cells[0], table.row_totals[0]]]
    n_rows, n_cols = len(grid), len(grid[0])
    lines: list[list[tuple[tuple[int, int], int]]] = []
    for i in range(n_rows):
        lines.append([((i, j), 1) for j in range(n_cols - 1)] + [((i, n_cols - 1), -1)])
    if column_totals:
        for j in range(n_cols):
            lines.append([((i, j), 1) for i in range(n_rows - 1)] + [((n_rows - 1, j), -1)])
    unknowns = [(i, j) for i in range(n_rows) for j in range(n_cols) if grid[i][j] is None]
    index = {p: k for k, p in enumerate(unknowns)}
    system: list[list[Fraction]] = []
    rhs: list[Fraction] = []
    for line in lines:
        row = [Fraction(0)] * len(unknowns)
        known = Fraction(0)
        for p, sign in line:
            value = grid[p[0]][p[1]]
            if value is None:
                row[index[p]] += sign
            else:
                known += sign * value
        if any(row):
            system.append(row)
            rhs.append(-known)
    base = _rank(system)
    found = {}
    for p, k in index.items():
        unit = [Fraction(1 if m == k else 0) for m in range(len(unknowns))]
        if _rank([*system, unit]) == base:
            found[p] = -1  # value irrelevant: it can be worked out
    return found


def hidden_positions(table: ProtectedTable) -> set[tuple[int, int]]:
    grid = table.grid()
    return {(i, j) for i, row in enumerate(grid) for j, v in enumerate(row) if v is None}


def assert_safe(counts: list[list[int]], table: ProtectedTable, threshold: int) -> None:
    full = protect_full_grid(counts)
    grid = table.grid()
    for i, row in enumerate(full):
        for j, value in enumerate(row):
            if 0 < value < threshold:
                assert grid[i][j] is None, f"small count {value} shown at {(i, j)}"
            if grid[i][j] is not None:
                assert grid[i][j] == value, "a shown count is the true count"
    assert attack(table) == {}, "a hidden cell can be worked out from the totals"
    # every line has none or at least two hidden cells
    for i, shown_row in enumerate(grid):
        assert sum(v is None for v in shown_row) != 1, f"shown_row {i} has a single hidden cell"
    for j in range(len(grid[0])):
        assert sum(grid[i][j] is None for i in range(len(grid))) != 1, f"column {j} has a single hidden cell"


def protect_full_grid(counts: list[list[int]]) -> list[list[int]]:
    rows = [[*row, sum(row)] for row in counts]
    rows.append([sum(col) for col in zip(*rows, strict=True)])
    return rows


def test_a_table_without_small_counts_is_published_whole() -> None:
    table = protect_table([[10, 20], [30, 40]])
    assert table.cells == ((10, 20), (30, 40))
    assert table.row_totals == (30, 70)
    assert table.column_totals == (40, 60)
    assert table.total == 100
    assert table.hidden == 0


def test_zeros_are_shown_and_never_chosen_before_a_positive_count() -> None:
    table = protect_table([[0, 3, 7, 9], [12, 8, 0, 20]])
    assert table.cells[0][0] == 0
    assert table.cells[1][2] == 0
    assert_safe([[0, 3, 7, 9], [12, 8, 0, 20]], table, 5)


def test_one_small_cell_hides_a_rectangle_and_the_totals_stay() -> None:
    """The classic case: 3 alone could be read as 13 - 10 from its row total, so 10 is hidden with it; then its
    column, and the other row, each need a second hidden cell: four cells, every total still shown."""
    table = protect_table([[3, 10], [20, 30]])
    assert table.cells == ((None, None), (None, None))
    assert table.row_totals == (13, 50)
    assert table.column_totals == (23, 40)
    assert table.total == 63
    assert table.primary == 1
    assert table.complementary == 3
    assert attack(table) == {}


def test_the_complement_is_the_smallest_other_cell() -> None:
    table = protect_table([[2, 40, 9, 100], [50, 60, 70, 80]])
    # row 0: 2 is small; the smallest other positive count of the row is 9
    assert table.cells[0] == (None, 40, None, 100)
    assert_safe([[2, 40, 9, 100], [50, 60, 70, 80]], table, 5)


def test_a_row_total_that_would_reveal_the_cell_is_defeated() -> None:
    """Without complementary suppression, the row total (13) minus 10 gives the hidden 3 back."""
    counts = [[3, 10, 0]]
    naive = protect_table(counts, row_totals=True, column_totals=False)
    assert naive.cells[0][0] is None
    assert naive.cells[0][1] is None, "10 is hidden with 3, else 13 - 10 = 3"
    assert naive.row_totals == (13,)
    assert attack(naive, column_totals=False) == {}


def test_a_small_total_is_hidden_and_protected_like_any_cell() -> None:
    counts = [[1, 3], [20, 30]]
    table = protect_table(counts)
    assert table.row_totals[0] is None
    assert_safe(counts, table, 5)


def test_two_hidden_cells_per_line_are_not_always_enough() -> None:
    """Two rectangles of hidden cells joined by one more hidden cell: every line has two or three hidden cells, yet
    the joining cell is the sum of rows 0-1 minus columns 0-1. The module finds it and hides one more."""
    counts = [[30, 31, 32, 33], [34, 35, 36, 37], [38, 39, 40, 41], [42, 43, 44, 45]]
    pattern = [(0, 0), (0, 1), (1, 0), (1, 1), (2, 2), (2, 3), (3, 2), (3, 3), (0, 2)]
    grid = disclosure._Grid(counts, row_totals=True, column_totals=True)
    assert disclosure._exposed(grid, set(pattern)) == [(0, 2)]
    table = protect_table(counts, forced=pattern)
    assert set(pattern) < hidden_positions(table)
    assert attack(table) == {}


def test_forced_and_locked_cells_keep_several_tables_of_one_page_consistent() -> None:
    """The row totals are shared with another table of the page: locked, they are never hidden as complements,
    and forced, they are hidden here because the other table hides them."""
    counts = [[3, 10, 20], [30, 40, 50]]
    free = protect_table(counts)
    locked = protect_table(counts, locked=[(0, 3), (1, 3)])
    assert locked.row_totals == (33, 120)
    assert attack(locked) == {}
    forced = protect_table(counts, forced=[(1, 3)], locked=[(0, 3), (1, 3)])
    assert forced.row_totals[1] is None
    assert attack(forced) == {}
    assert free.total == 153


def test_a_small_locked_total_is_still_hidden() -> None:
    table = protect_counts([3], total_locked=True)
    assert table.cells == ((None,),)
    assert table.row_totals == (None,)
    assert not table.withheld


def test_a_table_with_no_safe_pattern_is_withheld_whole() -> None:
    # 3 is small; the only other cells of its row are shown elsewhere (locked): 53 - 50 would give it back.
    table = protect_table([[3, 50]], column_totals=False, locked=[(0, 1), (0, 2)])
    assert table.withheld
    assert table.cells == ((None, None),)
    assert table.row_totals == (None,)


def test_one_way_counts() -> None:
    table = protect_counts([3, 40, 50])
    assert table.cells == ((None, None, 50),)
    assert table.row_totals == (93,)
    assert attack(table, column_totals=False) == {}


def test_the_public_threshold_is_a_parameter() -> None:
    counts = [[7, 12], [30, 40]]
    inside = protect_table(counts, disclosure.ORGANISATION_THRESHOLD)
    public = protect_table(counts, disclosure.PUBLIC_THRESHOLD)
    assert inside.hidden == 0
    assert public.cells[0][0] is None
    assert_safe(counts, public, 11)


@pytest.mark.parametrize("seed", range(60))
def test_random_tables_are_safe(seed: int) -> None:
    rng = random.Random(seed)
    rows, columns = rng.randint(1, 6), rng.randint(2, 6)
    counts = [[rng.choice([0, 0, 1, 2, 3, 4, 5, 6, 9, 15, 40]) for _ in range(columns)] for _ in range(rows)]
    threshold = rng.choice([5, 11])
    table = protect_table(counts, threshold)
    assert_safe(counts, table, threshold)


def test_bad_input_is_refused() -> None:
    with pytest.raises(ValueError):
        protect_table([[1, 2], [3]])
    with pytest.raises(ValueError):
        protect_table([[-1, 2]])
    with pytest.raises(ValueError):
        protect_table([[1, 2]], threshold=0)
    with pytest.raises(ValueError):
        protect_table([[1, 2]], forced=[(9, 9)])
