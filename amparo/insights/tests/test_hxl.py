"""HXL exports (issue 16, part 5), read back with libhxl: the hashtag row, every value against the frozen tables,
hidden counts as empty values with a note (never 0), libhxl's default schema, and 404 for anything not published."""

from __future__ import annotations

import csv
import io
import json
from datetime import date

import hxl
import pytest
from django.test import Client
from django.utils import translation

from amparo.core.disclosure import PUBLIC_THRESHOLD, protect_table
from amparo.insights import hxl as exports
from amparo.insights import services
from amparo.insights.hxl import MappingError, parse_mapping
from amparo.insights.models import Publication
from amparo.insights.statistics import Scope
from amparo.insights.tables import Category, Dimension, StatTable

from .publication_world import World, fixed_table, last_whole_month, make_world

pytestmark = pytest.mark.django_db

ZONE_BY_GENDER = [[30, 4], [25, 40]]  # the 4 is small: hidden, and complements hide others
ADMIN1_BY_MONTH = [[15, 20], [12, 0]]


def two_tables(*, scope: Scope, start: date, end: date, language: str) -> list[StatTable]:
    """A zone x gender table and a department x month table, built directly with protect_table."""
    months = (Category("2026-01", "January 2026"), Category("2026-02", "February 2026"))
    departments = (Category("CO54", "Norte de Santander"), Category("CO44", "La Guajira"))
    second = StatTable(
        key="test.admin1_by_month",
        title=f"By department and month ({language})",
        description="People who agreed to be counted.",
        rows=Dimension("admin1", "Department"),
        columns=Dimension("month", "Month"),
        row_categories=departments,
        column_categories=months,
        protected=protect_table(ADMIN1_BY_MONTH, PUBLIC_THRESHOLD),
        threshold=PUBLIC_THRESHOLD,
        period_start=start,
        period_end=end,
        sources=("cases", "safechannel"),
    )
    return [fixed_table(ZONE_BY_GENDER, language=language, start=start, end=end), second]


@pytest.fixture
def world() -> World:
    return make_world()


def publish(world: World, *, approve: bool = True) -> Publication:
    start, end = last_whole_month()
    publication = services.publication_prepare(
        actor=world.coordinator, organization=world.org, scope="region", country="", first_month=start,
        last_month=end, languages=["es", "en"], build=two_tables,
    )  # fmt: skip
    if approve:
        services.publication_review(actor=world.analyst, publication=publication, approve=True)
    return publication


def expected_values(tables: list[StatTable]) -> dict[tuple[str, str, str, str], int | None]:
    """(table, row code, column code, total over) -> the count as frozen (None: hidden); "" codes on margins."""
    expected: dict[tuple[str, str, str, str], int | None] = {}
    for t in tables:
        p = t.protected
        r, c = t.rows.key, t.columns.key
        for i, row in enumerate(t.row_categories):
            for j, column in enumerate(t.column_categories):
                expected[(t.key, row.code, column.code, "")] = p.cells[i][j]
            expected[(t.key, row.code, "", c)] = p.row_totals[i]
        for j, column in enumerate(t.column_categories):
            expected[(t.key, "", column.code, r)] = p.column_totals[j]
        expected[(t.key, "", "", f"{r} {c}")] = p.total
    return expected


def check_dataset(dataset: hxl.Dataset, tables: list[StatTable]) -> None:
    dataset = dataset.cache()  # read once, iterated twice
    tags = [column.display_tag for column in dataset.columns]
    for required in (
        "#meta+table+code", "#date+start", "#date+end", "#loc+type+code", "#loc+type+name", "#group+gender+code",
        "#adm1+code", "#adm1+name", "#date+month", "#meta+aggregate", "#affected", "#meta+note", "#meta+attributes",
    ):  # fmt: skip
        assert required in tags, required
    assert not any(tag.startswith("#indicator") for tag in tags)  # every dimension has a mapping of its own
    expected = expected_values(tables)
    dimension_tag = {"zone_type": "#loc+type+code", "gender_identity": "#group+gender+code",
                     "admin1": "#adm1+code", "month": "#date+month"}  # fmt: skip
    by_key = {t.key: t for t in tables}
    seen = set()
    hidden_rows = 0
    for row in dataset:
        table = by_key[row.get("#meta+table+code")]
        key = (
            table.key,
            row.get(dimension_tag[table.rows.key]) or "",
            row.get(dimension_tag[table.columns.key]) or "",
            row.get("#meta+aggregate") or "",
        )
        assert key in expected, key
        value, note = row.get("#affected"), row.get("#meta+note")
        if expected[key] is None:
            hidden_rows += 1
            assert value in ("", None) and note, key  # empty, with a note, never 0
        else:
            assert value == str(expected[key]) and not note, (key, value)
        assert row.get("#date+start") == table.period_start.isoformat()  # type: ignore[union-attr]
        seen.add(key)
    assert seen == set(expected)
    assert hidden_rows == sum(1 for v in expected.values() if v is None) > 0
    assert schema_errors(dataset) == []  # libhxl's default schema: #affected a number, #date a date...


def schema_errors(dataset: hxl.Dataset) -> list[str]:
    """What libhxl's default schema calls errors (its "info" hints, such as numeric outliers, are left aside: in a
    long table the totals are the outliers)."""
    errors: list[str] = []

    def report(e: hxl.HXLValidationException) -> None:
        if e.rule.severity == "error":
            errors.append(f"{e.rule} {e.value!r}")

    hxl.schema(callback=report).validate(dataset.cache())
    return errors


def test_the_schema_check_can_fail() -> None:
    bad = "Month,People\r\n#date+month,#affected\r\nnot a month,many\r\n"
    assert len(schema_errors(hxl.data(io.BytesIO(bad.encode())))) == 2


def test_the_csv_and_the_json_read_back_with_libhxl_and_match_the_frozen_tables(
    world: World, public_client: Client
) -> None:
    publication = publish(world)
    tables = publication.tables("en")
    csv_response = public_client.get(f"/en/figures/{publication.uuid}/hxl.csv")
    assert csv_response.status_code == 200 and csv_response["Content-Type"] == "text/csv; charset=utf-8"
    assert "attachment" in csv_response["Content-Disposition"] and not csv_response.cookies
    check_dataset(hxl.data(io.BytesIO(csv_response.content)), tables)
    json_response = public_client.get(f"/en/figures/{publication.uuid}/hxl.json")
    assert json_response.status_code == 200
    rows = json.loads(json_response.content)
    assert isinstance(rows, list) and all(isinstance(r, list) for r in rows)  # HXL JSON: arrays of arrays
    assert rows[1][0] == "#meta+table+code"  # the hashtag row under the header row
    check_dataset(hxl.data(io.BytesIO(json_response.content)), tables)
    # The same rows in both encodings (numbers are JSON numbers, hidden counts empty strings).
    from_csv = list(csv.reader(io.StringIO(csv_response.content.decode("utf-8"))))
    assert from_csv == [[str(v) for v in r] for r in rows]


def test_trans_women_carry_the_hxl_attributes_a_wide_table_would_use(world: World) -> None:
    publication = publish(world)
    dataset = hxl.data(io.BytesIO(exports.to_csv(publication.tables("es"), "es").encode()))
    attributes = {
        (r.get("#group+gender+code"), r.get("#meta+aggregate") or ""): r.get("#meta+attributes") for r in dataset
    }
    assert attributes[("trans_woman", "")] == "+f +trans"
    assert attributes[("cis_woman", "")] == "+f"
    # In Spanish, the headers are Spanish and the hashtags the same.
    header = exports.rows(publication.tables("es"), "es")[0]
    assert "Tabla" in header and "Personas" in header


@pytest.mark.parametrize("what", ["pending", "returned", "withdrawn", "superseded"])
def test_exports_of_what_is_not_published_are_404(world: World, public_client: Client, what: str) -> None:
    publication = publish(world, approve=what != "pending" and what != "returned")
    if what == "returned":
        services.publication_review(actor=world.analyst, publication=publication, approve=False, reason="No.")
    if what == "withdrawn":
        services.publication_withdraw(actor=world.coordinator, publication=publication, reason="An error.")
    if what == "superseded":
        newer = publish(world)
        assert public_client.get(f"/en/figures/{newer.uuid}/hxl.csv").status_code == 200
    for fmt in ("csv", "json"):
        assert public_client.get(f"/en/figures/{publication.uuid}/hxl.{fmt}").status_code == 404


def test_an_unknown_format_is_404(world: World, public_client: Client) -> None:
    publication = publish(world)
    assert public_client.get(f"/en/figures/{publication.uuid}/hxl.xlsx").status_code == 404


def test_every_tag_of_the_mapping_is_hxl_that_libhxl_parses() -> None:
    m = exports.mapping()
    tags = [c.tag for c in m.columns.values()] + [u.tag for u in m.units.values()]
    tags += [t for d in m.dimensions.values() for t in (d.code, d.name) if t]
    for tag in tags:
        assert hxl.model.Column.parse(tag).display_tag == tag.replace(" ", "")
    for d in m.dimensions.values():  # every language has its meaning
        assert {"es", "en", "pt"} <= set(d.meaning)
    unknown = m.dimension("perpetrator-group")
    assert hxl.model.Column.parse(unknown.code).display_tag == "#indicator+category+code+perpetrator_group"


def test_a_bad_mapping_is_refused() -> None:
    good = exports.MAPPING_FILE.read_text(encoding="utf-8")
    with pytest.raises(MappingError, match="not an HXL hashtag"):
        parse_mapping(good.replace('code = "#adm1+code"', 'code = "adm1 code"'))
    with pytest.raises(MappingError, match="columns missing"):
        parse_mapping(good.replace("[columns.note]", "[columns.notes]"))


def test_the_data_dictionary_lists_every_column_with_its_tag_and_the_suppression_rule(public_client: Client) -> None:
    for language in ("es", "en", "pt"):
        response = public_client.get(f"/{language}/figures/data-dictionary/")
        assert response.status_code == 200 and not response.cookies
        text = response.content.decode()
        for tag in ("#meta+table+code", "#affected", "#adm1+code", "#date+month", "#meta+note", "+f +trans"):
            assert tag in text, (language, tag)
    with translation.override("en"):
        english = public_client.get("/en/figures/data-dictionary/").content.decode()
    assert "never 0" in english


@pytest.mark.django_db(databases=[])
def test_a_one_column_ranking_has_no_row_totals_and_its_shown_total_is_not_called_hidden() -> None:
    """A ranking (municipalities) is protected without row margins: its row totals and grand total are None in
    the protected table because they were never computed, not because they are hidden. Every reader must show the
    cell as the row's figure and the column's total as the grand total."""
    from amparo.insights.display import table_view

    counts = [[40], [3], [4], [25]]  # two small counts: each hidden, neither can be worked out from the total
    table = StatTable(
        key="test.admin2_ranked",
        title="By municipality",
        description="People counted.",
        rows=Dimension("admin2", "Municipality"),
        columns=Dimension("unit", "Count"),
        row_categories=(
            Category("CO54001", "Cúcuta"),
            Category("CO54874", "Villa del Rosario"),
            Category("CO54405", "Los Patios"),
            Category("CO44001", "Riohacha"),
        ),
        column_categories=(Category("people", "People"),),
        protected=protect_table(counts, PUBLIC_THRESHOLD, row_totals=False),
        threshold=PUBLIC_THRESHOLD,
        period_start=date(2026, 1, 1),
        period_end=date(2026, 1, 31),
        sources=("cases",),
    )
    assert table.protected.total is None and table.protected.row_totals == (None, None, None, None)
    assert table.shown_row_totals == (40, None, None, 25)
    view = table_view(table)
    assert not view.has_row_totals
    assert [row.total.value for row in view.rows] == [40, None, None, 25]
    total = table.protected.column_totals[0]
    assert view.totals.total.value == total == table.grand_total
    with translation.override("en"):
        lines = exports.rows([table], "en")
    assert lines[0][0] and str(lines[1][0]).startswith("#")  # header and hashtag rows
    data = lines[2:]
    # four cells, one column total, one grand total: no "row total" lines repeating (or hiding) the cells
    assert len(data) == 6
    assert sum(1 for line in data if str(total) in [str(v) for v in line]) == 2
