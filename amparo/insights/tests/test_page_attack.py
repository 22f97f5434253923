"""An attacker against several tables published on one page from the same records (insights/page.py), with
property-based tests (hypothesis): random records, three tables that share margins (A x zone, B x zone, A x B) and
the one-way table of people per zone; the attacker knows the tables come from the same records, so a margin of one
equals the same margin of another, and solves everything at once. No hidden cell may be worked out, no small count
may be shown, and a shared margin is hidden everywhere or nowhere."""

from __future__ import annotations

from collections import Counter
from fractions import Fraction

from hypothesis import given, settings
from hypothesis import strategies as st

from amparo.core.disclosure import ProtectedTable
from amparo.core.tests.test_disclosure import _rank
from amparo.insights.page import Page, rounded

A, B, Z = 3, 3, 3  # categories of the three variables


def tables_from(
    records: list[tuple[int, int, int]], threshold: int
) -> tuple[Page, dict[str, int], dict[str, list[list[int]]]]:
    counts = Counter(records)
    az = [[sum(n for (a, _b, z), n in counts.items() if a == i and z == j) for j in range(Z)] for i in range(A)]
    bz = [[sum(n for (_a, b, z), n in counts.items() if b == i and z == j) for j in range(Z)] for i in range(B)]
    ab = [[sum(n for (a, b, _z), n in counts.items() if a == i and b == j) for j in range(B)] for i in range(A)]
    zone = [[sum(az[i][j] for i in range(A)) for j in range(Z)]]
    page = Page(threshold=threshold)
    keys_z = {(0, j): f"z:{j}" for j in range(Z)} | {(0, Z): "all"}
    index = {"zone": page.protect(zone, keys=keys_z, column_totals=False)}

    def keys(rows: str, r: int, columns: str, c: int) -> dict[tuple[int, int], str]:
        found = {(i, c): f"{rows}:{i}" for i in range(r)} | {(r, j): f"{columns}:{j}" for j in range(c)}
        return found | {(r, c): "all"}

    index["az"] = page.protect(az, keys=keys("a", A, "z", Z))
    index["bz"] = page.protect(bz, keys=keys("b", B, "z", Z))
    index["ab"] = page.protect(ab, keys=keys("a", A, "b", B))
    page.finish()
    return page, index, {"zone": zone, "az": az, "bz": bz, "ab": ab}


def full(grid: list[list[int]]) -> list[list[int]]:
    rows = [[*row, sum(row)] for row in grid]
    rows.append([sum(col) for col in zip(*rows, strict=True)])
    return rows


def shown_grid(table: ProtectedTable, one_way: bool) -> list[list[int | None]]:
    if one_way:
        return [[*table.cells[0], table.row_totals[0]]]
    return table.grid()


def same_margins() -> list[tuple[tuple[str, int, int], tuple[str, int, int]]]:
    """Cells of different tables that count the same people (the tables come from the same records)."""
    same = []
    for j in range(Z):
        same += [(("zone", 0, j), ("az", A, j)), (("az", A, j), ("bz", B, j))]
    for i in range(A):
        same.append((("az", i, Z), ("ab", i, B)))
    for j in range(B):
        same.append((("bz", j, Z), ("ab", A, j)))
    same += [(("zone", 0, Z), ("az", A, Z)), (("az", A, Z), ("bz", B, Z)), (("bz", B, Z), ("ab", A, B))]
    return same


def attack(published: dict[str, list[list[int | None]]]) -> set[tuple[str, int, int]]:
    """Every hidden cell of every table that the page's equations determine, the tables' shared margins equal; a
    count shown in one table is known in every table that holds the same margin (no secret there)."""
    published = {name: [list(row) for row in g] for name, g in published.items()}
    changed = True
    while changed:
        changed = False
        for (n1, i1, j1), (n2, i2, j2) in same_margins():
            left, right = published[n1][i1][j1], published[n2][i2][j2]
            if left is None and right is not None:
                published[n1][i1][j1], changed = right, True
            elif right is None and left is not None:
                published[n2][i2][j2], changed = left, True
    unknowns = [(name, i, j) for name, g in published.items() for i, row in enumerate(g) for j, v in enumerate(row)
                if v is None]  # fmt: skip
    index = {u: k for k, u in enumerate(unknowns)}
    equations: list[tuple[dict[tuple[str, int, int], int], int]] = []  # coefficients, constant (sum == 0)

    def line(cells: list[tuple[tuple[str, int, int], int]]) -> None:
        coefficients: dict[tuple[str, int, int], int] = {}
        constant = 0
        for (name, i, j), sign in cells:
            value = published[name][i][j]
            if value is None:
                coefficients[(name, i, j)] = coefficients.get((name, i, j), 0) + sign
            else:
                constant += sign * value
        equations.append((coefficients, constant))

    for name, g in published.items():
        height, width = len(g), len(g[0])
        for r in range(height):
            line([*(((name, r, c), 1) for c in range(width - 1)), ((name, r, width - 1), -1)])
        if name != "zone":
            for c in range(width):
                line([*(((name, r, c), 1) for r in range(height - 1)), ((name, height - 1, c), -1)])
    for first, second in same_margins():
        line([(first, 1), (second, -1)])
    system = []
    for coefficients, _constant in equations:
        row = [Fraction(0)] * len(unknowns)
        for u, a in coefficients.items():
            row[index[u]] += a
        if any(row):
            system.append(row)
    base = _rank(system) if system else 0
    found = set()
    for u, k in index.items():
        unit = [Fraction(1 if m == k else 0) for m in range(len(unknowns))]
        if _rank([*system, unit]) == base:
            found.add(u)
    return found


records = st.lists(
    st.tuples(st.integers(0, A - 1), st.integers(0, B - 1), st.integers(0, Z - 1)), min_size=0, max_size=60
)


@settings(max_examples=60, deadline=None)
@given(records=records, threshold=st.sampled_from([3, 5, 11]))
def test_no_hidden_cell_of_a_page_can_be_solved(records: list[tuple[int, int, int]], threshold: int) -> None:
    page, index, grids = tables_from(records, threshold)
    published = {name: shown_grid(page.table(k), name == "zone") for name, k in index.items()}
    for name, grid in grids.items():
        truth = [[*grid[0], sum(grid[0])]] if name == "zone" else full(grid)
        for i, row in enumerate(truth):
            for j, value in enumerate(row):
                shown = published[name][i][j]
                assert shown is None or shown == value, "a shown count is the true count"
                if 0 < value < threshold:
                    assert shown is None, f"small count {value} shown in {name} at {(i, j)}"
    assert attack(published) == set(), "a hidden cell can be worked out from the page"


@settings(max_examples=40, deadline=None)
@given(records=records)
def test_a_shared_margin_is_hidden_everywhere_or_nowhere(records: list[tuple[int, int, int]]) -> None:
    page, index, _grids = tables_from(records, 5)
    az, bz = page.table(index["az"]), page.table(index["bz"])
    zone = page.table(index["zone"])
    for j in range(Z):
        views = {zone.cells[0][j] is None, az.column_totals[j] is None, bz.column_totals[j] is None}
        withheld = az.withheld or bz.withheld
        assert len(views) == 1 or withheld


@settings(max_examples=40, deadline=None)
@given(records=records, base=st.sampled_from([2, 5, 10]))
def test_rounding_never_shows_a_hidden_cell(records: list[tuple[int, int, int]], base: int) -> None:
    page, index, _grids = tables_from(records, 5)
    table = page.table(index["az"])
    again = rounded(table, base)
    for before, after in zip(table.grid(), again.grid(), strict=True):
        for x, y in zip(before, after, strict=True):
            assert (x is None) == (y is None)
            if y is not None:
                assert y % base == 0 and abs(y - x) <= base / 2  # type: ignore[operator]
