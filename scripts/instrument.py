"""Build the shipped risk-characterisation instrument from its readable source.

    .venv/bin/python scripts/instrument.py          # writes the .xlsx (XLSForm) and the .md twin
    .venv/bin/python scripts/instrument.py --check  # exits 1 when either is out of date with the source

Source: amparo/surveys/content/risk-characterisation.toml (partners review it in a diff). Outputs, beside it:
risk-characterisation.xlsx (survey, choices and settings sheets, labels and hints in es, en and pt) and
risk-characterisation.md (the questionnaire as reviewers read it). Both are committed with the source; the tests
(amparo/surveys/tests/test_instrument.py) fail when they are out of date.
"""

from __future__ import annotations

import argparse
import io
import sys
import tomllib
from pathlib import Path
from typing import Any

import openpyxl

CONTENT = Path(__file__).resolve().parent.parent / "amparo" / "surveys" / "content"
SOURCE = CONTENT / "risk-characterisation.toml"
XLSX = CONTENT / "risk-characterisation.xlsx"
MARKDOWN = CONTENT / "risk-characterisation.md"
LANGS = ("es", "en", "pt")
SKIP_CHOICES = frozenset({"none", "pnr"})  # not expanded by `each`: nobody to ask about
SURVEY_KEYS = ("type", "name", "label", "hint", "required", "relevant", "appearance", "facet", "sensitive", "each")


def load_source(path: Path = SOURCE) -> dict[str, Any]:
    with path.open("rb") as handle:
        source = tomllib.load(handle)
    for row in source["survey"]:
        unknown = set(row) - set(SURVEY_KEYS)
        if unknown:
            raise ValueError(f"survey row {row.get('name')!r}: unknown keys {sorted(unknown)}")
    return source


def choice_lists(source: dict[str, Any]) -> dict[str, list[dict[str, str]]]:
    """Every choice list, the municipalities included (their names are the same in every language)."""
    lists: dict[str, list[dict[str, str]]] = {name: list(items) for name, items in source["choices"].items()}
    lists["municipality"] = [
        {"name": code, **dict.fromkeys(LANGS, label)} for code, label in source["municipalities"].items()
    ]
    return lists


def survey_rows(source: dict[str, Any]) -> list[dict[str, Any]]:
    """The survey rows with `each` expanded: one row per choice of the list, `{choice}` and `{label}` replaced."""
    lists = choice_lists(source)
    rows: list[dict[str, Any]] = []
    for row in source["survey"]:
        each = row.get("each")
        if not each:
            rows.append(row)
            continue
        for choice in lists[each]:
            if choice["name"] in SKIP_CHOICES:
                continue
            expanded = {key: value for key, value in row.items() if key != "each"}
            expanded["name"] = f"{row['name']}_{choice['name']}"
            if "relevant" in row:
                expanded["relevant"] = row["relevant"].replace("{choice}", choice["name"])
            for key in ("label", "hint"):
                if key in row:
                    expanded[key] = {lang: text.replace("{label}", choice[lang]) for lang, text in row[key].items()}
            rows.append(expanded)
    return rows


def sheets(source: dict[str, Any]) -> dict[str, list[list[Any]]]:
    """The three sheets of the XLSForm as rows of cells (header first)."""
    names = source["languages"]
    survey_header = [
        "type",
        "name",
        *(f"label::{names[lang]}" for lang in LANGS),
        *(f"hint::{names[lang]}" for lang in LANGS),
        "required",
        "relevant",
        "appearance",
        "bind::amparo:facet",
    ]
    survey = [survey_header]
    for row in survey_rows(source):
        label, hint = row.get("label", {}), row.get("hint", {})
        survey.append(
            [
                row["type"],
                row.get("name", ""),
                *(label.get(lang, "") for lang in LANGS),
                *(hint.get(lang, "") for lang in LANGS),
                "yes" if row.get("required") else "",
                row.get("relevant", ""),
                row.get("appearance", ""),
                row.get("facet", ""),
            ]
        )
    choices = [["list_name", "name", *(f"label::{names[lang]}" for lang in LANGS)]]
    for list_name, items in choice_lists(source).items():
        for item in items:
            choices.append([list_name, item["name"], *(item[lang] for lang in LANGS)])
    settings = source["settings"]
    settings_rows = [
        ["form_title", "form_id", "version", "default_language", "namespaces"],
        [
            settings["form_title"],
            settings["form_id"],
            settings["version"],
            names[settings["default_language"]],
            settings["namespaces"],
        ],
    ]
    return {"survey": survey, "choices": choices, "settings": settings_rows}


def xlsx_bytes(source: dict[str, Any]) -> bytes:
    workbook = openpyxl.Workbook()
    first = True
    for title, rows in sheets(source).items():
        sheet = workbook.active if first else workbook.create_sheet()
        first = False
        assert sheet is not None
        sheet.title = title
        for row in rows:
            sheet.append([cell if cell != "" else None for cell in row])
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def read_xlsx(data: bytes) -> dict[str, list[list[Any]]]:
    """The cells of an XLSForm workbook, as `sheets` gives them (empty cells as "")."""
    workbook = openpyxl.load_workbook(io.BytesIO(data), read_only=True)
    result = {}
    for sheet in workbook.worksheets:
        rows = [["" if cell is None else cell for cell in row] for row in sheet.iter_rows(values_only=True)]
        result[sheet.title] = rows
    workbook.close()
    return result


def markdown(source: dict[str, Any]) -> str:
    settings = source["settings"]
    lists = choice_lists(source)
    out = [
        f"# {settings['form_title']}: the risk-characterisation instrument",
        "",
        f"XLSForm `{settings['form_id']}`, version `{settings['version']}`. Languages: Spanish (default), English, "
        "Portuguese.",
        "",
        "Generated by `scripts/instrument.py` from `risk-characterisation.toml`: edit the TOML, never this file. How "
        "the instrument follows the WHO ethical and safety recommendations: `docs/surveys.md`.",
        "",
        "Legend: **required** = she must answer (only the consents, the safety check and the municipality); "
        "**skippable** = every answer list has a skip choice; *shown when* = the XLSForm `relevant` of the row.",
        "",
    ]
    path: list[str] = []
    number = 0
    for row in survey_rows(source):
        kind = row["type"]
        if kind == "begin_group":
            path.append(row["name"])
            title = " / ".join(row["label"][lang] for lang in LANGS) if "label" in row else row["name"]
            out += [f"{'#' * min(len(path) + 1, 4)} {title}", "", f"Group `{'/'.join(path)}`."]
            if row.get("relevant"):
                out.append(f"Shown when `{row['relevant']}`.")
            if row.get("sensitive"):
                out.append("Sensitive: every question can be skipped and none is required.")
            out.append("")
            continue
        if kind == "end_group":
            path.pop()
            continue
        if "label" not in row:
            facet = f" (facet `{row['facet']}`)" if row.get("facet") else ""
            out += [f"- Recorded automatically: `{row['name']}` ({kind}){facet}.", ""]
            continue
        number += 1
        details = [f"`{row['name']}`", kind]
        if row.get("required"):
            details.append("**required**")
        if row.get("facet"):
            details.append(f"facet `{row['facet']}`")
        out.append(f"{number}. {' · '.join(details)}")
        for lang in LANGS:
            out.append(f"   - {lang}: {row['label'][lang]}")
        for lang in LANGS:
            if "hint" in row:
                out.append(f"   - {lang} (hint): {row['hint'][lang]}")
        if row.get("relevant"):
            out.append(f"   - Shown when `{row['relevant']}`.")
        if kind.startswith("select_"):
            list_name = kind.split()[1]
            out.append(f"   - Answers: list `{list_name}`.")
        out.append("")
    out += ["## Answer lists", ""]
    for list_name, items in lists.items():
        out += [f"### `{list_name}`", "", "| name | es | en | pt |", "|---|---|---|---|"]
        for item in items:
            out.append(f"| `{item['name']}` | {item['es']} | {item['en']} | {item['pt']} |")
        out.append("")
    return "\n".join(out).rstrip("\n") + "\n"


def out_of_date(source: dict[str, Any]) -> list[str]:
    stale = []
    if not XLSX.exists() or read_xlsx(XLSX.read_bytes()) != sheets(source):
        stale.append(str(XLSX))
    if not MARKDOWN.exists() or MARKDOWN.read_text(encoding="utf-8") != markdown(source):
        stale.append(str(MARKDOWN))
    return stale


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--check", action="store_true", help="only check that the outputs are up to date")
    args = parser.parse_args(argv)
    source = load_source()
    if args.check:
        stale = out_of_date(source)
        for name in stale:
            print(f"out of date: {name} (run scripts/instrument.py)", file=sys.stderr)
        return 1 if stale else 0
    XLSX.write_bytes(xlsx_bytes(source))
    MARKDOWN.write_text(markdown(source), encoding="utf-8")
    print(f"wrote {XLSX} and {MARKDOWN}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
