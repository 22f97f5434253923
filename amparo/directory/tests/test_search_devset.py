"""The search development sets (bench/search_devset.json, and bench/search_devset_b.json written apart from it, issue
12) stay usable: every query is well formed, uses only codes the platform ships, and each set as a whole covers every
language, pathway and service type it is meant to measure. No database: the sets are data, checked against the
taxonomy and the shipped pathway content files."""

from __future__ import annotations

import json
import re
from collections import Counter
from pathlib import Path
from typing import Any

import pytest

from amparo.core.tests.test_translations import STIGMATISING
from amparo.directory.taxonomy import INCLUSION_FACT_CODES, SERVICE_TYPES

ROOT = Path(__file__).resolve().parents[3]
DEVSETS = {"a": ROOT / "bench" / "search_devset.json", "b": ROOT / "bench" / "search_devset_b.json"}
CONTENT = ROOT / "amparo" / "pathways" / "content"

MIN_QUERIES = {"a": 180, "b": 150}
LANG_SHARES = {"es": 0.60, "pt": 0.20, "en": 0.20}
SHARE_TOLERANCE = 0.10
MIN_COVERAGE = 2  # each pathway and each service type is expected by at least this many queries
MIN_DANGER = 10
MAX_QUERY_CHARS = 300
KINDS = {"need", "keyword", "danger", "noise"}
FIRSTS = {"pathway", "emergency_line", "crisis_line", "child_line", "protection"}
FIELDS = {"id", "lang", "query", "types", "facts", "pathway", "first", "kind", "note"}
PHONE_LIKE = re.compile(r"\d[\d\s().-]{5,}\d")  # seven or more digits in a row, spaced or not: no phone numbers

TYPE_CODES = frozenset(t.code for t in SERVICE_TYPES)
FACT_CODES = frozenset(INCLUSION_FACT_CODES)


def _pathway_slugs() -> frozenset[str]:
    """The slugs of the shipped pathway files (helplines.json is a list of lines, not a pathway)."""
    slugs = set()
    for path in CONTENT.glob("*.json"):
        data = json.loads(path.read_text(encoding="utf-8"))
        if isinstance(data, dict) and "slug" in data:
            slugs.add(data["slug"])
    return frozenset(slugs)


PATHWAY_SLUGS = _pathway_slugs()


@pytest.fixture(scope="module", params=sorted(DEVSETS))
def which(request: pytest.FixtureRequest) -> str:
    name: str = request.param
    return name


@pytest.fixture(scope="module")
def devset(which: str) -> dict[str, Any]:
    data: dict[str, Any] = json.loads(DEVSETS[which].read_text(encoding="utf-8"))
    return data


@pytest.fixture(scope="module")
def queries(devset: dict[str, Any]) -> list[dict[str, Any]]:
    items: list[dict[str, Any]] = devset["queries"]
    return items


def test_header(devset: dict[str, Any]) -> None:
    assert devset["version"] == 1
    assert devset["about"], "the file says how it was written, what each field means and how to add queries"
    assert len(PATHWAY_SLUGS) == 7, PATHWAY_SLUGS  # the set was written for seven pathways: revisit it if that changes


def test_enough_queries_and_unique_ids(which: str, queries: list[dict[str, Any]]) -> None:
    assert len(queries) >= MIN_QUERIES[which]
    repeated = [i for i, n in Counter(q["id"] for q in queries).items() if n > 1]
    assert not repeated, f"repeated ids: {repeated}"


def test_each_query_is_well_formed(queries: list[dict[str, Any]]) -> None:
    problems = []
    for q in queries:
        where = q.get("id", q)
        if set(q) != FIELDS:
            problems.append(f"{where}: fields {sorted(set(q) ^ FIELDS)} missing or unexpected")
            continue
        if q["lang"] not in LANG_SHARES:
            problems.append(f"{where}: lang {q['lang']!r}")
        elif not q["id"].startswith(f"{q['lang']}-"):
            problems.append(f"{where}: id does not start with its language")
        text = q["query"]
        if not isinstance(text, str) or not text.strip() or len(text) > MAX_QUERY_CHARS:
            problems.append(f"{where}: query empty or longer than {MAX_QUERY_CHARS} characters")
        if unknown := set(q["types"]) - TYPE_CODES:
            problems.append(f"{where}: unknown service types {sorted(unknown)}")
        if unknown := set(q["facts"]) - FACT_CODES:
            problems.append(f"{where}: unknown inclusion facts {sorted(unknown)}")
        if q["pathway"] is not None and q["pathway"] not in PATHWAY_SLUGS:
            problems.append(f"{where}: unknown pathway {q['pathway']!r}")
        if q["kind"] not in KINDS:
            problems.append(f"{where}: kind {q['kind']!r}")
        if q["first"] is not None and q["first"] not in FIRSTS:
            problems.append(f"{where}: first {q['first']!r}")
        if q["first"] == "pathway" and q["pathway"] is None:
            problems.append(f"{where}: first is 'pathway' but no pathway is named")
        if q["kind"] == "danger" and q["first"] is None:
            problems.append(f"{where}: a danger query says what must come first")
        if q["kind"] == "noise" and (q["types"] or q["facts"] or q["pathway"] or q["first"]):
            problems.append(f"{where}: a noise query expects the pathway list and helplines, nothing else")
        if q["kind"] != "noise" and not q["types"]:
            problems.append(f"{where}: a query that names a need expects at least one service type")
        if not q["note"]:
            problems.append(f"{where}: a short English note for reviewers")
    assert not problems, "\n".join(problems)


def test_language_shares(queries: list[dict[str, Any]]) -> None:
    counts = Counter(q["lang"] for q in queries)
    for lang, target in LANG_SHARES.items():
        share = counts[lang] / len(queries)
        assert abs(share - target) <= SHARE_TOLERANCE, f"{lang}: {share:.0%} of the set, expected about {target:.0%}"


def test_every_pathway_and_service_type_is_covered(queries: list[dict[str, Any]]) -> None:
    pathways = Counter(q["pathway"] for q in queries if q["pathway"])
    types = Counter(code for q in queries for code in set(q["types"]))
    thin_pathways = {slug: pathways[slug] for slug in PATHWAY_SLUGS if pathways[slug] < MIN_COVERAGE}
    thin_types = {code: types[code] for code in TYPE_CODES if types[code] < MIN_COVERAGE}
    assert not thin_pathways, f"pathways expected by fewer than {MIN_COVERAGE} queries: {thin_pathways}"
    assert not thin_types, f"service types expected by fewer than {MIN_COVERAGE} queries: {thin_types}"


def test_danger_and_noise_are_there(queries: list[dict[str, Any]]) -> None:
    kinds = Counter(q["kind"] for q in queries)
    assert kinds["danger"] >= MIN_DANGER
    assert kinds["noise"] >= 1


def test_respectful_words_and_no_personal_details(queries: list[dict[str, Any]]) -> None:
    for q in queries:
        for field in ("query", "note"):
            found = STIGMATISING.search(q[field])
            assert not found, f"{q['id']}: stigmatising word {found.group(0)!r} in {field}"
        assert not PHONE_LIKE.search(q["query"]), f"{q['id']}: looks like a phone number"
