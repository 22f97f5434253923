"""HXL exports of a published publication (issue 16, part 5; `docs/insights.md`, "HXL exports").

Long format: one row per cell of each frozen table, margins included, with the hashtags of `content/hxl.toml`
(partners review the mapping there). A hidden count is an empty value with a note, never 0: the same rule as the
public page (`display.py`). Two encodings of the same rows: CSV (a header row, then the hashtag row) and HXL JSON
in its array-of-arrays form (the same two rows first). Written with the standard library's csv and json: the rows
are plain, and libhxl (which the tests use to read the exports back) would add a dozen runtime dependencies.
"""

from __future__ import annotations

import csv
import io
import json
import re
import tomllib
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

from django.utils import translation
from django.utils.translation import gettext as _

from .display import hidden_note
from .tables import StatTable

MAPPING_FILE = Path(__file__).parent / "content" / "hxl.toml"
FIXED_BEFORE = ("table", "title", "start", "end")
FIXED_AFTER = ("note", "attributes", "sources")
HASHTAG = re.compile(r"#[a-z][a-z0-9_]*(\s*\+[a-z][a-z0-9_]*)*")

Value = str | int


class MappingError(ValueError):
    pass


@dataclass(frozen=True)
class Described:
    tag: str
    header: dict[str, str]
    meaning: dict[str, str]


@dataclass(frozen=True)
class DimensionTags:
    code: str
    name: str  # "" when the dimension has no name column
    meaning: dict[str, str]
    attributes: dict[str, str]


@dataclass(frozen=True)
class Mapping:
    columns: dict[str, Described]
    units: dict[str, Described]
    dimensions: dict[str, DimensionTags]
    fallback_code: str
    fallback_name: str

    def dimension(self, key: str) -> DimensionTags:
        found = self.dimensions.get(key)
        if found is not None:
            return found
        attribute = re.sub(r"[^a-z0-9_]", "_", key.lower()) or "other"
        return DimensionTags(f"{self.fallback_code}+{attribute}", f"{self.fallback_name}+{attribute}", {}, {})

    def unit(self, unit: str) -> Described:
        found = self.units.get(unit)
        if found is not None:
            return found
        attribute = re.sub(r"[^a-z0-9_]", "_", unit.lower()) or "other"
        return Described(f"#indicator+num+{attribute}", {}, {})


def _tag(value: object, where: str) -> str:
    if not isinstance(value, str) or not HASHTAG.fullmatch(value):
        raise MappingError(f"{where}: {value!r} is not an HXL hashtag with attributes")
    return value


def parse_mapping(text: str) -> Mapping:
    """The mapping file, checked: every tag is an HXL hashtag, the fixed columns are all there."""
    data = tomllib.loads(text)

    def described(section: str, name: str, entry: dict[str, Any]) -> Described:
        return Described(
            _tag(entry.get("tag"), f"{section}.{name}"), dict(entry.get("header", {})), dict(entry.get("meaning", {}))
        )

    columns = {name: described("columns", name, entry) for name, entry in data.get("columns", {}).items()}
    missing = {*FIXED_BEFORE, "aggregate", *FIXED_AFTER} - set(columns)
    if missing:
        raise MappingError(f"columns missing from the mapping: {sorted(missing)}")
    units = {name: described("units", name, entry) for name, entry in data.get("units", {}).items()}
    dimensions = {}
    for key, entry in data.get("dimensions", {}).items():
        name = entry.get("name", "")
        dimensions[key] = DimensionTags(
            code=_tag(entry.get("code"), f"dimensions.{key}.code"),
            name=_tag(name, f"dimensions.{key}.name") if name else "",
            meaning=dict(entry.get("meaning", {})),
            attributes={str(code): str(value) for code, value in entry.get("attributes", {}).items()},
        )
    return Mapping(
        columns=columns,
        units=units,
        dimensions=dimensions,
        fallback_code=_tag(data.get("fallback_code"), "fallback_code"),
        fallback_name=_tag(data.get("fallback_name"), "fallback_name"),
    )


@cache
def mapping() -> Mapping:
    return parse_mapping(MAPPING_FILE.read_text(encoding="utf-8"))


@dataclass(frozen=True)
class Column:
    key: str  # "table", "dim:<key>:code", "unit:<unit>", ...
    header: str
    tag: str


def _columns(tables: list[StatTable], language: str, m: Mapping) -> list[Column]:
    def fixed(name: str) -> Column:
        entry = m.columns[name]
        return Column(name, entry.header.get(language) or entry.header.get("en", name), entry.tag)

    dimensions: dict[str, str] = {}  # key -> label, in order of first appearance
    units: list[str] = []
    for table in tables:
        for dimension in (table.rows, table.columns):
            dimensions.setdefault(dimension.key, dimension.label)
        if table.unit not in units:
            units.append(table.unit)
    columns = [fixed(name) for name in FIXED_BEFORE]
    for key, label in dimensions.items():
        tags = m.dimension(key)
        header = _("%(label)s (code)") % {"label": label} if tags.name else label
        columns.append(Column(f"dim:{key}:code", header, tags.code))
        if tags.name:
            columns.append(Column(f"dim:{key}:name", label, tags.name))
    columns.append(fixed("aggregate"))
    for unit in units:
        entry = m.unit(unit)
        columns.append(Column(f"unit:{unit}", entry.header.get(language) or unit, entry.tag))
    columns += [fixed(name) for name in FIXED_AFTER]
    return columns


def rows(tables: list[StatTable], language: str) -> list[list[Value]]:
    """The export as rows: the header row, the hashtag row, then one row per cell and margin of each table."""
    with translation.override(language):  # headers and notes in the language of the figures
        return _rows(tables, language)


def _rows(tables: list[StatTable], language: str) -> list[list[Value]]:
    m = mapping()
    columns = _columns(tables, language, m)
    out: list[list[Value]] = [[c.header for c in columns], [c.tag for c in columns]]
    for table in tables:
        p = table.protected
        note = hidden_note(table)
        base: dict[str, Value] = {
            "table": table.key,
            "title": table.title,
            "start": table.period_start.isoformat() if table.period_start else "",
            "end": table.period_end.isoformat() if table.period_end else "",
            "sources": " ".join(table.sources),
        }

        def emit(value: int | None, categories: dict[str, tuple[str, str]], over: list[str]) -> None:
            line: dict[str, Value] = {**base, "aggregate": " ".join(over)}  # noqa: B023 - used at once
            attributes = []
            for key, (code, label) in categories.items():
                line[f"dim:{key}:code"] = code
                line[f"dim:{key}:name"] = label
                if m.dimension(key).attributes.get(code):
                    attributes.append(m.dimension(key).attributes[code])
            line["attributes"] = " ".join(attributes)
            line[f"unit:{table.unit}"] = "" if value is None else int(value)  # noqa: B023
            line["note"] = note if value is None else ""  # noqa: B023
            out.append([line.get(c.key, "") for c in columns])

        r, c = table.rows.key, table.columns.key
        for i, row_category in enumerate(table.row_categories):
            for j, column_category in enumerate(table.column_categories):
                emit(
                    p.cells[i][j],
                    {r: (row_category.code, row_category.label), c: (column_category.code, column_category.label)},
                    [],
                )
            if table.has_row_totals:  # a one-column table's row total is its cell, already there
                emit(p.row_totals[i], {r: (row_category.code, row_category.label)}, [c])
        for j, column_category in enumerate(table.column_categories):
            emit(p.column_totals[j], {c: (column_category.code, column_category.label)}, [r])
        emit(table.grand_total, {}, [r, c])
    return out


def to_csv(tables: list[StatTable], language: str) -> str:
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerows(rows(tables, language))
    return buffer.getvalue()


def to_json(tables: list[StatTable], language: str) -> str:
    """HXL JSON, array-of-arrays form: the header row, the hashtag row, then the data rows."""
    return json.dumps(rows(tables, language), ensure_ascii=False, indent=None)


@dataclass(frozen=True)
class DictionaryEntry:
    header: str
    tag: str
    meaning: str


def dictionary(language: str) -> dict[str, list[DictionaryEntry]]:
    """The data dictionary: every column the exports may have, its hashtag and its meaning, from the mapping."""
    m = mapping()

    def text(values: dict[str, str]) -> str:
        return values.get(language) or values.get("en", "")

    fixed = [
        DictionaryEntry(text(m.columns[name].header), m.columns[name].tag, text(m.columns[name].meaning))
        for name in (*FIXED_BEFORE, "aggregate", *FIXED_AFTER)
    ]
    units = [DictionaryEntry(text(u.header), u.tag, text(u.meaning)) for u in m.units.values()]
    dimensions = []
    for key, d in m.dimensions.items():
        attributes = ", ".join(f"{code}: {value}" for code, value in d.attributes.items())
        meaning = text(d.meaning) + (f" ({attributes})" if attributes else "")
        dimensions.append(DictionaryEntry(key, d.code + (f" · {d.name}" if d.name else ""), meaning))
    return {"fixed": fixed, "units": units, "dimensions": dimensions}
