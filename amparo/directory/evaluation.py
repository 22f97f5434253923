"""How well the search answers a set of labelled queries (bench/search_devset.json): hit@5, mean reciprocal rank,
zero-result rate, pathway-first rate and danger-first rate, by language. `make bench` prints them
(bench/search_quality.py) and a test keeps them above the targets of issue 12 on the demo directory.

It reads what the search page shows, in the page's order: the urgent block (its kinds and pathways), then the
pathways the query points to, then the services. Nothing is stored; the queries come from the file.
"""

from __future__ import annotations

import json
from collections import defaultdict
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from amparo.directory.models import Place
from amparo.directory.selectors import SearchCriteria, search_services

DEVSET = Path(__file__).resolve().parents[2] / "bench" / "search_devset.json"
# What the dev set calls each kind of urgency (its "first" field).
FIRST_NAMES = {
    "emergency": "emergency_line",
    "crisis": "crisis_line",
    "child": "child_line",
    "protection": "protection",
    "clock": "pathway",
}
TARGETS = {"hit@5": 0.9, "zero-result": 0.02, "danger-first": 1.0}
TOP = 5


@dataclass
class Answer:
    """One query's answer as the page shows it."""

    types: list[set[str]]  # service types of each result, in order
    first_urgent: str | None  # the dev set's name for the first urgent item
    first_pathway: str | None  # the first pathway linked on the page (urgent block first)
    helped: bool  # the page offers something: a service, an urgent line, a pathway


def answer(query: str, place: Place | None, page_size: int = 20) -> Answer:
    result = search_services(SearchCriteria(text=query, place=place, page_size=page_size))
    understanding = result.understanding
    urgent = understanding.urgent
    pathways = [u.pathway for u in urgent if u.pathway] + understanding.pathways
    return Answer(
        types=[{t.code for t in hit.sal.service.types.all()} for hit in result.hits],
        first_urgent=FIRST_NAMES[urgent[0].kind] if urgent else None,
        first_pathway=pathways[0] if pathways else None,
        helped=bool(result.hits or urgent or pathways or (understanding.had_text and not understanding.understood)),
    )


@dataclass
class Tally:
    queries: int = 0
    with_types: int = 0
    hits_at_5: int = 0
    reciprocal_ranks: float = 0.0
    zero: int = 0
    with_pathway: int = 0
    pathway_first: int = 0
    danger: int = 0
    danger_first: int = 0
    failures: list[str] = field(default_factory=list)

    def figures(self) -> dict[str, float]:
        def ratio(a: float, b: int) -> float:
            return a / b if b else 1.0

        return {
            "queries": self.queries,
            "hit@5": ratio(self.hits_at_5, self.with_types),
            "MRR": ratio(self.reciprocal_ranks, self.with_types),
            "zero-result": ratio(self.zero, self.queries),
            "pathway-first": ratio(self.pathway_first, self.with_pathway),
            "danger-first": ratio(self.danger_first, self.danger),
        }


def load_devset(path: Path = DEVSET) -> list[dict[str, Any]]:
    queries: list[dict[str, Any]] = json.loads(path.read_text(encoding="utf-8"))["queries"]
    return queries


def evaluate(queries: list[dict[str, Any]], place: Place | None) -> dict[str, Tally]:
    """Tallies by language, and for all languages under "all"."""
    tallies: dict[str, Tally] = defaultdict(Tally)
    for q in queries:
        got = answer(q["query"], place)
        for tally in (tallies[q["lang"]], tallies["all"]):
            tally.queries += 1
            if not got.helped:
                tally.zero += 1
                tally.failures.append(f"{q['id']} nothing shown")
            expected = set(q["types"])
            if expected:
                tally.with_types += 1
                rank = next((i for i, types in enumerate(got.types, 1) if types & expected), None)
                if rank is not None:
                    tally.reciprocal_ranks += 1 / rank
                if rank is not None and rank <= TOP:
                    tally.hits_at_5 += 1
                else:
                    tally.failures.append(f"{q['id']} no expected type in the top {TOP}")
            if q["pathway"]:
                tally.with_pathway += 1
                if got.first_pathway == q["pathway"]:
                    tally.pathway_first += 1
            if q["first"]:
                tally.danger += 1
                if got.first_urgent == q["first"]:
                    tally.danger_first += 1
                else:
                    tally.failures.append(f"{q['id']} first {got.first_urgent}, expected {q['first']}")
    return dict(tallies)
