"""Reads of survey data for analysis: aggregates only (DESIGN rule 1: analysts never see a submission).

`characterisation_counts` reads every indicator of a form in one scan: the form's submissions inside the filters,
grouped by the five facet columns and their standing (counted, without statistics consent, still encrypted), with
the (question, choice) pairs counted from each submission's analysis bits (codebook.py), and from the JSON answers
for submissions stored before the codebook grew. The same SQL runs on PostgreSQL and SQLite; only the JSON
extraction, the substring test and the number test of the JSON path differ. Its queries run on `analytics_db()`:
the read replica when DATABASE_REPLICA_URL configures one (docs/architecture.md, "Scale").
"""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence
from contextlib import nullcontext
from dataclasses import dataclass
from datetime import date
from typing import Any

from django.db import connections, transaction
from django.db.models import Min

from amparo.core.db_router import analytics_db
from amparo.surveys import characterisation as ch
from amparo.surveys import codebook
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
    """Every indicator's counts per group of respondents. Submissions whose analysis bits match the form's codebook
    are counted from the bits (codebook.py: three pairs a sum); the others (stored before a version grew the
    codebook, until `refresh_analysis` reaches them), and pairs the codebook has no bit for, from the JSON answers.
    Read on `analytics_db()` (the replica, when there is one), in one transaction there."""
    db = analytics_db()
    connection = connections[db]
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

    entries = codebook.entries(indicators)
    size = len(form.codebook)
    positions = {tuple(entry): p for p, entry in enumerate(form.codebook) if p < codebook.CAPACITY}
    on_bits = [(entry, positions[entry]) for entry in entries if entry in positions]
    from_json = [entry for entry in entries if entry not in positions]
    tally = _Tally()
    # PostgreSQL: in one transaction, for SET LOCAL. savepoint=False: inside the caller's transaction on default
    # (read_characterisation) this adds no query; on the replica it opens a read-only transaction there. (SQLite
    # needs none, and a second connection's transaction on a test mirror would lock the shared in-memory tables.)
    in_transaction = transaction.atomic(using=db, savepoint=False) if vendor == "postgresql" else nullcontext()
    with in_transaction, connection.cursor() as cursor:
        if vendor == "postgresql":
            # About 2,000 groups of a few hundred bytes: aggregated in memory (a hash) rather than sorted on disk,
            # which the default 4 MB leads the planner to (5 s of a 7 s query on 500,000 rows).
            cursor.execute("SET LOCAL work_mem = '64MB'")
            # The planner takes each sum's state for a large one and sorts the million rows to group them (7.2 s on
            # a loaded 2-core machine) rather than hash them (3.0 s): the groups are a few thousand, hashing is right.
            cursor.execute("SET LOCAL enable_sort = off")
        # Bits stay valid when the codebook grows (positions never move): a row computed against this codebook or
        # a longer one is counted from its bits.
        fresh = (f"{base_where} AND s.analysis_size >= %s", [*base_params, size])
        # Three counts share a sum while no count can reach 2**21. PostgreSQL adds integers into numerics and
        # cannot overflow: a group that large is seen afterwards and counted again pair by pair. SQLite's sums
        # would overflow: there the form's size decides beforehand.
        shared = vendor == "postgresql" or Submission.objects.using(db).filter(form=form).count() < codebook.LANE_LIMIT
        if not _count_into(tally, cursor, vendor, fresh, on_bits, from_json, shared=shared):
            tally = _Tally()
            _count_into(tally, cursor, vendor, fresh, on_bits, from_json, shared=False)
        # MIN over the index (form, analysis_size): one index entry. (An EXISTS with `< size` let PostgreSQL's
        # table-wide statistics pick a sequential scan: 1.4 s on 2 million rows of several forms.)
        oldest = Submission.objects.using(db).filter(form=form).aggregate(oldest=Min("analysis_size"))["oldest"]
        if oldest is not None and oldest < size:
            stale = (f"{base_where} AND s.analysis_size < %s", [*base_params, size])
            _count_into(tally, cursor, vendor, stale, [], entries, shared=False)
    return Counts(list(tally.cube.values()), tally.no_consent, tally.encrypted)


@dataclass
class _Tally:
    cube: dict[tuple[str, ...], CubeRow] = dataclasses.field(default_factory=dict)
    no_consent: int = 0  # readable submissions without statistics consent (not counted)
    encrypted: int = 0  # ODK-encrypted submissions not yet decrypted


# Each row's standing, a column of the GROUP BY: counted (c), without statistics consent (n), or still encrypted
# (e). One scan gives the counts and the numbers left out.
_STATE = (
    "CASE WHEN NOT (s.encrypted = %s OR s.decrypted_at IS NOT NULL) THEN 'e' "
    "WHEN s.statistics_consent = %s THEN 'c' ELSE 'n' END"
)
_STATE_PARAMS = [False, True]


def _count_into(
    tally: _Tally,
    cursor: Any,
    vendor: str,
    condition: tuple[str, list[Any]],
    on_bits: list[tuple[codebook.Entry, int]],
    from_json: list[codebook.Entry],
    *,
    shared: bool,
) -> bool:
    """One query: the rows meeting `condition`, grouped by the facets and their standing, with the pairs `on_bits`
    counted from the analysis words (three a sum when `shared`) and the pairs `from_json` from the answers; added
    into `tally`. False (and nothing added) when a group reached 2**21 rows with shared sums."""
    table = Submission._meta.db_table
    where, where_params = condition
    sums: list[str] = []
    sum_params: list[Any] = []
    decoders: list[list[tuple[int, tuple[str, str]]]] = []  # per sum: (lane, key) pairs; lane -1 = the whole sum
    if shared:
        by_sum: dict[tuple[int, int], list[tuple[int, tuple[str, str]]]] = {}
        for (question, _kind, code), position in on_bits:
            word, shift, lane = codebook.lanes(position)
            by_sum.setdefault((word, shift), []).append((lane, (question, code)))
        for (word, shift), keys in by_sum.items():
            sums.append(f"SUM((w{word} >> {shift}) & {codebook.LANE_MASK})")
            decoders.append(keys)
    else:
        for (question, _kind, code), position in on_bits:
            word, bit = divmod(position, codebook.WORD_BITS)
            sums.append(f"SUM((w{word} >> {bit}) & 1)")
            decoders.append([(-1, (question, code))])
    extracts: list[str] = []
    extract_params: list[Any] = []
    aliases: dict[str, str] = {}
    for question, kind, code in from_json:
        if question not in aliases:
            aliases[question] = f"a{len(aliases)}"
            sql, p = _extract(vendor, question)
            extracts.append(f"{sql} AS {aliases[question]}")
            extract_params += p
        condition_sql, condition_params = _holds(vendor, aliases[question], kind, code)
        sums.append(f"SUM(CASE WHEN {condition_sql} THEN 1 ELSE 0 END)")
        sum_params += condition_params
        decoders.append([(-1, (question, code))])
    words = sorted({codebook.lanes(p)[0] for _entry, p in on_bits})
    facets = ", ".join(f"COALESCE(s.{c}, '') AS {c}" for c in FACET_COLUMNS)
    inner_columns = ", ".join([facets, f"{_STATE} AS st", *(f"s.analysis_{w} AS w{w}" for w in words), *extracts])
    # SQLite: `LIMIT -1 OFFSET 0` keeps the subquery from being flattened (each answer read once per row).
    # PostgreSQL: flattened on purpose, so that the scan runs in parallel workers.
    no_inline = "LIMIT -1 OFFSET 0" if vendor == "sqlite" else ""
    group = ", ".join([*FACET_COLUMNS, "st"])
    outer = ", ".join([group, "COUNT(*)", *sums])
    # Only names of this module, numbers and placeholders go into the text; every value is a parameter.
    sql = f"SELECT {outer} FROM (SELECT {inner_columns} FROM {table} s WHERE {where} {no_inline}) t GROUP BY {group}"  # noqa: S608
    # The placeholders come in this order: the outer sums, the inner columns (standing, extracts), the WHERE clause.
    cursor.execute(sql, [*sum_params, *_STATE_PARAMS, *extract_params, *where_params])
    width = len(FACET_COLUMNS)
    records = cursor.fetchall()
    if shared and any(int(record[width + 1]) >= codebook.LANE_LIMIT for record in records):
        return False
    for record in records:
        groups = tuple(str(v or "") for v in record[:width])
        state, respondents = record[width], int(record[width + 1])
        if state != "c":
            if state == "n":
                tally.no_consent += respondents
            else:
                tally.encrypted += respondents
            continue
        row = tally.cube.setdefault(groups, CubeRow(groups, 0, {}))
        row.respondents += respondents
        for value, keys in zip(record[width + 2 :], decoders, strict=True):
            total = int(value or 0)
            for lane, key in keys:
                count = total if lane < 0 else (total >> (codebook.LANE_BITS * lane)) & (codebook.LANE_LIMIT - 1)
                if count:
                    row.counts[key] = row.counts.get(key, 0) + count
    return True


def _holds(vendor: str, alias: str, kind: str, code: str) -> tuple[str, list[Any]]:
    """The JSON twin of `codebook.holds`: SQL true when the pair holds for the answer read as `alias`."""
    if kind == "select_one":
        return f"{alias} = %s", [code]
    if kind == "select_multiple":
        if code == ch.NO_ANSWER:
            return f"{alias} IS NULL OR {alias} = '' OR {alias} = '[]'", []
        return _contains(vendor, alias), [f" {code} ", f'"{code}"']
    number = _number(vendor, alias)
    if code == ch.NEGATIVE_BAND:
        return f"{number} < 0", []
    bands = list(ch.NUMBER_BANDS)
    for b, (band, low, _high) in enumerate(bands):
        if band == code:
            upper = bands[b + 1][1] if b + 1 < len(bands) else None
            condition = f"{number} >= %s" + (f" AND {number} < %s" if upper is not None else "")
            return condition, [low] + ([upper] if upper is not None else [])
    return "1 = 0", []


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
