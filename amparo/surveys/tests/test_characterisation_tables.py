"""The characterisation's tables (surveys/characterisation.py): every number on the page passes disclosure control,
and the numbers shown in several places (a choice's total, a group's respondents) are hidden or shown alike, so no
combination of the page's tables gives back a hidden count (checked by the attacker of core's tests)."""

from __future__ import annotations

import random

import pytest

from amparo.core.disclosure import ProtectedTable
from amparo.core.tests.test_disclosure import attack
from amparo.surveys import characterisation as ch
from amparo.surveys.characterisation import CubeRow, Indicator

ZONES = ["border", "urban", "rural"]
GENDERS = ["trans_woman", "cis_woman", "non_binary"]
INDICATORS = [
    Indicator("violence_police", "select_one", "Police violence", (("yes", "Yes"), ("no", "No"))),
    Indicator("who", "select_multiple", "Perpetrators", (("client", "Client"), ("police", "Police"), ("army", "Army"))),
    Indicator("times", "number", "Times", tuple((code, code) for code, _l, _h in ch.NUMBER_BANDS)),
]


def random_cube(seed: int, size: int) -> list[CubeRow]:
    rng = random.Random(seed)
    rows: dict[tuple[str, ...], CubeRow] = {}
    for _ in range(size):
        groups = (
            rng.choice(ZONES),
            rng.choices(GENDERS, weights=[5, 10, 1])[0],
            rng.choice(["regular", "irregular", ""]),
            rng.choices(["CO", "VE", "EC"], weights=[10, 10, 1])[0],
            rng.choice(["18-24", "25-34", "35+"]),
        )
        row = rows.setdefault(groups, CubeRow(groups, 0, {}))
        row.respondents += 1
        answer = rng.choices(["yes", "no", None], weights=[3, 6, 1])[0]
        key = ("violence_police", answer) if answer else None
        if key:
            row.counts[key] = row.counts.get(key, 0) + 1
        picked = [
            c for c in ("client", "police", "army") if rng.random() < {"client": 0.5, "police": 0.3, "army": 0.05}[c]
        ]
        if rng.random() < 0.1:
            row.counts[("who", ch.NO_ANSWER)] = row.counts.get(("who", ch.NO_ANSWER), 0) + 1
        else:
            for c in picked:
                row.counts[("who", c)] = row.counts.get(("who", c), 0) + 1
        times = ch.band(rng.choice([0, 0, 1, 3, 7, 12]))
        row.counts[("times", times)] = row.counts.get(("times", times), 0) + 1
    return list(rows.values())


def published(
    values: list[list[int | None]], row_totals: list[int | None], column_totals: list[int | None], total: int | None
) -> ProtectedTable:
    return ProtectedTable(tuple(tuple(r) for r in values), tuple(row_totals), tuple(column_totals), total, 0, 0)


@pytest.mark.parametrize("seed", range(12))
def test_no_hidden_count_can_be_worked_out_from_the_page(seed: int) -> None:
    cube = random_cube(seed, random.Random(seed).choice([30, 80, 200]))
    page = ch.build(cube, INDICATORS, {}, {}, group_order={"gender_identity": GENDERS})
    true = ch.build(cube, INDICATORS, {}, {}, threshold=1, group_order={"gender_identity": GENDERS})
    for b, block in enumerate(page.blocks):
        respondents = [c.respondents for c in block.columns]
        for table, truth in zip(page.tables, true.tables, strict=True):
            if table.indicator.kind == "select_multiple":
                continue  # the "did not choose" rows are not on the page: checked below
            values = [row.values[b] for row in table.rows]
            grid = published(values, [row.total for row in table.rows], respondents, page.respondents)
            assert attack(grid) == {}, (table.indicator.key, block.dimension)
            for row, true_row in zip(table.rows, truth.rows, strict=True):
                for shown, real in zip(row.values[b], true_row.values[b], strict=True):
                    assert real is not None
                    if shown is not None:
                        assert shown == real
                    assert not (0 < real < 5 and shown is not None), "a small count is shown"


@pytest.mark.parametrize("seed", range(12))
def test_select_multiple_choices_hide_small_counts_either_way(seed: int) -> None:
    cube = random_cube(seed, 60)
    page = ch.build(cube, INDICATORS, {}, {})
    true = ch.build(cube, INDICATORS, {}, {}, threshold=1)
    who = next(t for t in page.tables if t.indicator.key == "who")
    true_who = next(t for t in true.tables if t.indicator.key == "who")
    for b, block in enumerate(page.blocks):
        for row, true_row in zip(who.rows, true_who.rows, strict=True):
            for k, (shown, real) in enumerate(zip(row.values[b], true_row.values[b], strict=True)):
                assert real is not None
                n = block.columns[k].respondents
                if shown is not None:
                    assert shown == real
                    assert not 0 < shown < 5
                    if n is not None:
                        assert not 0 < n - shown < 5, "the ones who did not choose it are few: hidden too"


def test_trans_women_come_first_and_not_recorded_last() -> None:
    cube = random_cube(1, 200)
    page = ch.build(cube, INDICATORS, {}, {}, group_order={"gender_identity": GENDERS})
    genders = next(b for b in page.blocks if b.dimension == "gender_identity")
    assert genders.columns[0].code == "trans_woman"
    migratory = next(b for b in page.blocks if b.dimension == "migratory_status")
    assert migratory.columns[-1].code == ch.NOT_RECORDED


def test_numbers_are_banded() -> None:
    assert [ch.band(v) for v in (0, 1, 1.5, 2, 4, 5, 9.9, 10, 400, -1)] == [
        "0",
        "1",
        "1",
        "2-4",
        "2-4",
        "5-9",
        "5-9",
        "10+",
        "10+",
        ch.NEGATIVE_BAND,
    ]


def test_a_small_survey_shows_almost_nothing() -> None:
    cube = random_cube(3, 4)
    page = ch.build(cube, INDICATORS, {}, {})
    assert page.respondents is None
    for table in page.tables:
        assert all(v is None or v == 0 for row in table.rows for block in row.values for v in block)
