"""Server-side SVG charts (insights/charts.py): accessible names, hidden counts hatched and never drawn as zero."""

from __future__ import annotations

import re
from datetime import date

from defusedxml import ElementTree
from django.utils import translation

from amparo.core.disclosure import protect_table
from amparo.insights.charts import bars, chart_for, lines, small_multiples
from amparo.insights.tables import Category, Dimension, StatTable

SVG = "{http://www.w3.org/2000/svg}"


def table(rows_key: str, counts: list[list[int]], rows: list[str]) -> StatTable:
    return StatTable(
        key=f"cases.{rows_key}_by_zone",
        title="Survivors <by> zone",
        description="People counted.",
        rows=Dimension(rows_key, "Rows"),
        columns=Dimension("zone_type", "Zone type"),
        row_categories=tuple(Category(r, r) for r in rows),
        column_categories=(Category("border", "Border"), Category("urban", "Urban")),
        protected=protect_table(counts, 5),
        threshold=5,
        period_start=date(2026, 1, 1),
        period_end=date(2026, 3, 31),
        sources=("cases",),
    )


def parse(svg: str) -> ElementTree.Element:
    return ElementTree.fromstring(svg)


def test_every_chart_is_named_and_described_and_escapes_text() -> None:
    t = table("gender_identity", [[2, 30], [20, 40]], ["trans_woman", "cis_woman"])
    with translation.override("en"):
        charts = (bars(t), small_multiples(t), lines(t))
    for chart in charts:
        root = parse(chart.svg)
        assert root.get("role") == "img"
        title, desc = root.find(f"{SVG}title"), root.find(f"{SVG}desc")
        assert title is not None and title.text == "Survivors <by> zone"
        assert desc is not None and "hidden" in (desc.text or "")
        assert set((root.get("aria-labelledby") or "").split()) == {title.get("id"), desc.get("id")}
        assert "style=" not in chart.svg, "presentation attributes only (CSP without unsafe-inline)"


def test_a_hidden_count_is_hatched_never_a_zero_bar() -> None:
    t = table("gender_identity", [[2, 30], [20, 40]], ["trans_woman", "cis_woman"])
    assert t.protected.cells[0][0] is None
    svg = small_multiples(t).svg
    hatched = re.findall(r'<rect [^>]*fill="url\(#[^)]*-hatch\)"', svg)
    assert len(hatched) == t.protected.hidden - sum(v is None for v in t.protected.column_totals) - (
        t.protected.total is None) - sum(v is None for v in t.protected.row_totals)  # fmt: skip
    assert 'width="0"' not in svg


def test_a_month_line_breaks_where_a_month_is_hidden() -> None:
    t = table("month", [[20, 30], [2, 40], [25, 35]], ["2026-01", "2026-02", "2026-03"])
    chart = chart_for(t)
    assert chart.kind == "lines"
    assert re.search(r'<rect [^>]*fill="url\(#[^)]*-hatch\)"', chart.svg)
    assert t.protected.cells[1][0] is None and t.protected.row_totals[1] == 42
    total = re.findall(r'<polyline points="([^"]*)" fill="none" stroke="#000000"', chart.svg)
    assert [len(points.split()) for points in total] == [3], "the total is shown every month: one whole line"
    border = re.findall(r'<polyline points="([^"]*)" fill="none" stroke="#6A1B9A"', chart.svg)
    assert all(len(points.split()) < 3 for points in border), "the border line breaks at February"


def test_long_labels_are_cut_with_an_ellipsis_inside_the_drawing() -> None:
    """A GBVIMS label such as "Denial of resources, opportunities or services" ran off the left edge of the chart
    (text anchored at the end of a 200 px column); it is cut to the room there is, and the table beside has it all."""
    long = "Negación de recursos, oportunidades o servicios"
    t = table("gbv_type", [[20, 30], [20, 40]], [long, "Violación"])
    texts = [e.text or "" for e in parse(small_multiples(t).svg).iter(f"{SVG}text")]
    cut = [x for x in texts if x.startswith("Negación")]
    assert cut and all(len(x) <= 28 and x.endswith("…") for x in cut)
    assert "Violación" in texts and long not in texts
