"""Reads of survey data for analysis: aggregates only (DESIGN rule 1: analysts never see a submission).

`characterisation_counts` reads every indicator of a form in ONE query: the submissions that count (the form's
organisation, statistics consent given, decrypted, inside the filters) grouped by the five facet columns, with one
conditional sum per (question, choice) pair or number band, over a subquery that reads each answer from the JSON
(kept apart on SQLite, flattened into a parallel scan on PostgreSQL: see below). The same SQL runs on PostgreSQL
and SQLite; only the JSON extraction, the substring test and the number test differ.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any

from django.db import connection

from amparo.surveys import characterisation as ch
from amparo.surveys.characterisation import CubeRow, Indicator
from amparo.surveys.models import Form, FormVersion, Submission

FACET_COLUMNS = ("zone_type", "gender_identity", "migratory_status", "nationality", "age_band")
INDICATOR_TYPES = {
    "select one": "select_one",
    "select all that apply": "select_multiple",
    "integer": "number",
    "decimal": "number",
    "range": "number",
}


@dataclass(frozen=True)
class Filters:
    start: date | None = None
    end: date | None = None
    municipality: str = ""  # a P-code


@dataclass
class Counts:
    cube: list[CubeRow]
    left_out_no_consent: int  # submissions without statistics consent (not counted)
    left_out_encrypted: int  # encrypted submissions not yet decrypted (their answers are not readable)


def indicators_for_form(form: Form, language: str) -> list[Indicator]:
    """The form's indicators: its select_one, select_multiple and number questions that are not facets, in the
    order of the newest version, with labels in `language` (then Spanish, then any). A question that changed
    type between versions is taken as the newest version has it."""
    versions = list(FormVersion.objects.filter(form=form).order_by("-created_at", "-pk"))
    found: dict[str, Indicator] = {}
    order: list[str] = []
    for version in versions:
        for field in version.schema or []:
            kind = INDICATOR_TYPES.get(str(field.get("type", "")))
            name = str(field.get("name", ""))
            if kind is None or not name or field.get("facet") or name in found:
                continue
            label = _label(field.get("labels") or {}, language) or name
            if kind == "number":
                bands = [(code, code) for code, _low, _high in ch.NUMBER_BANDS]
                categories = (*bands, (ch.NEGATIVE_BAND, ch.NEGATIVE_BAND))
            else:
                categories = tuple(
                    (str(c.get("name")), _label(c.get("labels") or {}, language) or str(c.get("name")))
                    for c in field.get("choices") or []
                )
            found[name] = Indicator(name, kind, label, categories)
            order.append(name)
    return [found[name] for name in order]


def facet_choice_labels(form: Form, language: str) -> dict[str, dict[str, str]]:
    """Labels of the facets' values from the form's own choices (gender identity, migratory status, age band...)."""
    labels: dict[str, dict[str, str]] = {}
    for version in FormVersion.objects.filter(form=form).order_by("created_at", "pk"):
        for field in version.schema or []:
            facet = field.get("facet")
            if not facet:
                continue
            target = labels.setdefault(str(facet), {})
            for choice in field.get("choices") or []:
                target[str(choice.get("name"))] = _label(choice.get("labels") or {}, language) or str(
                    choice.get("name")
                )
    return labels


def _label(labels: Any, language: str) -> str:
    if isinstance(labels, str):
        return labels
    if not isinstance(labels, dict) or not labels:
        return ""
    for key, value in labels.items():
        if value and _language_code(key) == language:
            return str(value)
    for key, value in labels.items():
        if value and _language_code(key) == "es":
            return str(value)
    return str(next((v for v in labels.values() if v), ""))


def _language_code(key: str) -> str:
    """ "Español (es)" -> "es"; "es" -> "es"; "default" -> "default"."""
    key = str(key)
    if key.endswith(")") and "(" in key:
        return key.rsplit("(", 1)[1][:-1].strip().lower()
    return key.strip().lower()


def characterisation_counts(form: Form, indicators: Sequence[Indicator], filters: Filters) -> Counts:
    table = Submission._meta.db_table
    vendor = connection.vendor
    where = ["s.form_id = %s"]
    params: list[Any] = [form.pk]
    if filters.start is not None:
        where.append("s.interview_date >= %s")
        params.append(filters.start)
    if filters.end is not None:
        where.append("s.interview_date <= %s")
        params.append(filters.end)
    if filters.municipality:
        where.append("s.municipality_pcode = %s")
        params.append(filters.municipality)
    base_where = " AND ".join(where)
    base_params = list(params)

    readable = "s.encrypted = %s OR s.decrypted_at IS NOT NULL"
    counted = f"({base_where}) AND ({readable}) AND s.statistics_consent = %s"
    counted_params = [*base_params, False, True]

    extracts: list[str] = []
    extract_params: list[Any] = []
    sums: list[str] = []
    sum_params: list[Any] = []
    keys: list[tuple[str, str]] = []
    for k, indicator in enumerate(indicators):
        alias = f"a{k}"
        sql, p = _extract(vendor, indicator.key)
        extracts.append(f"{sql} AS {alias}")
        extract_params += p
        if indicator.kind == "select_one":
            for code, _label_text in indicator.categories:
                sums.append(f"SUM(CASE WHEN {alias} = %s THEN 1 ELSE 0 END)")
                sum_params.append(code)
                keys.append((indicator.key, code))
        elif indicator.kind == "select_multiple":
            for code, _label_text in indicator.categories:
                sums.append(f"SUM(CASE WHEN {_contains(vendor, alias)} THEN 1 ELSE 0 END)")
                sum_params += [f" {code} ", f'"{code}"']
                keys.append((indicator.key, code))
            sums.append(f"SUM(CASE WHEN {alias} IS NULL OR {alias} = '' OR {alias} = '[]' THEN 1 ELSE 0 END)")
            keys.append((indicator.key, ch.NO_ANSWER))
        else:
            number = _number(vendor, alias)
            sums.append(f"SUM(CASE WHEN {number} < 0 THEN 1 ELSE 0 END)")
            keys.append((indicator.key, ch.NEGATIVE_BAND))
            bands = list(ch.NUMBER_BANDS)
            for b, (code, low, _high) in enumerate(bands):
                upper = bands[b + 1][1] if b + 1 < len(bands) else None
                condition = f"{number} >= %s" + (" AND " + f"{number} < %s" if upper is not None else "")
                sums.append(f"SUM(CASE WHEN {condition} THEN 1 ELSE 0 END)")
                sum_params += [low] + ([upper] if upper is not None else [])
                keys.append((indicator.key, code))
    facets = ", ".join(f"COALESCE(s.{c}, '') AS {c}" for c in FACET_COLUMNS)
    inner_columns = ", ".join([facets, *extracts])
    # SQLite: `LIMIT -1 OFFSET 0` keeps the subquery from being flattened (each answer read once per row).
    # PostgreSQL: flattened on purpose, so that the scan runs in parallel workers; reading `answers ->> key` again
    # per sum costs less than losing them (measured: 2.7 s against 3.3 s on 500,000 rows of a loaded machine).
    no_inline = "LIMIT -1 OFFSET 0" if vendor == "sqlite" else ""
    group = ", ".join(FACET_COLUMNS)
    outer = ", ".join([group, "COUNT(*)", *sums])
    # Only names of this module and placeholders go into the text; every value is a parameter.
    sql = f"SELECT {outer} FROM (SELECT {inner_columns} FROM {table} s WHERE {counted} {no_inline}) t GROUP BY {group}"  # noqa: S608
    cube: list[CubeRow] = []
    with connection.cursor() as cursor:
        if vendor == "postgresql" and connection.in_atomic_block:
            # About 2,000 groups of a few hundred bytes: aggregated in memory (a hash) rather than sorted on disk,
            # which the default 4 MB leads the planner to (5 s of a 7 s query on 500,000 rows).
            cursor.execute("SET LOCAL work_mem = '64MB'")
        # The placeholders come in this order: the outer sums, the inner extracts, then the WHERE clause.
        cursor.execute(sql, [*sum_params, *extract_params, *counted_params])
        for record in cursor.fetchall():
            groups = tuple(str(v or "") for v in record[: len(FACET_COLUMNS)])
            respondents = int(record[len(FACET_COLUMNS)])
            values = record[len(FACET_COLUMNS) + 1 :]
            counts = {key: int(v or 0) for key, v in zip(keys, values, strict=True) if v}
            cube.append(CubeRow(groups, respondents, counts))
        without_consent = "(s.statistics_consent IS NULL OR s.statistics_consent = %s)"
        consent_sum = f"SUM(CASE WHEN ({readable}) AND {without_consent} THEN 1 ELSE 0 END)"
        encrypted_sum = f"SUM(CASE WHEN NOT ({readable}) THEN 1 ELSE 0 END)"
        left_out = f"SELECT {consent_sum}, {encrypted_sum} FROM {table} s WHERE {base_where}"  # noqa: S608
        cursor.execute(left_out, [False, False, False, *base_params])
        no_consent, encrypted = cursor.fetchone() or (0, 0)
    return Counts(cube, int(no_consent or 0), int(encrypted or 0))


def _extract(vendor: str, key: str) -> tuple[str, list[Any]]:
    if vendor == "postgresql":
        return "(s.answers ->> %s)", [key]
    return "json_extract(s.answers, %s)", ['$."' + key.replace('"', "") + '"']


def _contains(vendor: str, alias: str) -> str:
    """The answer (space-separated choices, or a JSON list) holds the choice: two placeholders, " c " and '"c"'."""
    find = "strpos" if vendor == "postgresql" else "instr"
    return f"({find}(' ' || {alias} || ' ', %s) > 0 OR {find}({alias}, %s) > 0)"


def _number(vendor: str, alias: str) -> str:
    if vendor == "postgresql":
        return f"(CASE WHEN {alias} ~ '^-?[0-9]+(\\.[0-9]+)?$' THEN CAST({alias} AS numeric) END)"
    return (
        f"(CASE WHEN typeof({alias}) IN ('integer', 'real') THEN {alias} "
        f"WHEN {alias} GLOB '[0-9]*' OR {alias} GLOB '-[0-9]*' THEN CAST({alias} AS REAL) END)"
    )
