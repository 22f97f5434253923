"""The risk questions and how they give a level (docs/risk-assessment.md).

The question set is data that partners review (`content/risk-questions.json`), not Python: its questions, their
weights, which of them make the level high on their own, and the score thresholds. This module reads and checks the
file and turns answers into a level. The caseworker's judgement is applied on top by `services.risk_assess`: she may
raise the level (with a reason), and no score ever lowers it."""

from __future__ import annotations

import json
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

import jsonschema
from django.utils.translation import get_language

CONTENT = Path(__file__).resolve().parent / "content" / "risk-questions.json"
LANGUAGES = ("es", "en", "pt")
LEVELS = ("low", "medium", "high")  # in order; RiskAssessment.Level uses the same codes

_TEXT = {
    "type": "object",
    "required": list(LANGUAGES),
    "properties": {code: {"type": "string", "minLength": 1} for code in LANGUAGES},
}
SCHEMA: dict[str, Any] = {
    "type": "object",
    "required": ["instrument", "recent_sexual_violence_days", "thresholds", "groups", "questions"],
    "properties": {
        "instrument": {
            "type": "object",
            "required": ["id", "version", "name", "based_on"],
            "properties": {"id": {"type": "string"}, "version": {"type": "string", "minLength": 1}, "name": _TEXT},
        },
        "recent_sexual_violence_days": {"type": "integer", "minimum": 1},
        "thresholds": {
            "type": "object",
            "required": ["medium", "high"],
            "properties": {"medium": {"type": "integer", "minimum": 1}, "high": {"type": "integer", "minimum": 1}},
        },
        "groups": {
            "type": "array",
            "minItems": 1,
            "items": {"type": "object", "required": ["key", "label"], "properties": {"label": _TEXT}},
        },
        "questions": {
            "type": "array",
            "minItems": 1,
            "items": {
                "type": "object",
                "required": ["key", "group", "weight", "high_on_its_own", "text"],
                "properties": {
                    "key": {"type": "string", "pattern": "^[a-z][a-z0-9_]{1,40}$"},
                    "weight": {"type": "integer", "minimum": 0, "maximum": 10},
                    "high_on_its_own": {"type": "boolean"},
                    "text": _TEXT,
                },
            },
        },
    },
}

# The question that the case's own incidents tick (a rape or sexual assault recorded in the recent window).
RECENT_SEXUAL_VIOLENCE = "recent_sexual_violence"


@dataclass(frozen=True)
class Question:
    key: str
    group: str
    weight: int
    high_on_its_own: bool
    text: dict[str, str]

    @property
    def label(self) -> str:
        return _pick(self.text)


@dataclass(frozen=True)
class QuestionSet:
    version: str
    name: dict[str, str]
    based_on: str
    recent_days: int
    medium_at: int
    high_at: int
    groups: list[tuple[str, dict[str, str]]]
    questions: list[Question]

    @property
    def label(self) -> str:
        return f"{_pick(self.name)} {self.version}"

    def by_key(self) -> dict[str, Question]:
        return {q.key: q for q in self.questions}

    def grouped(self) -> list[tuple[str, str, list[Question]]]:
        return [(key, _pick(label), [q for q in self.questions if q.group == key]) for key, label in self.groups]


def _pick(text: dict[str, str]) -> str:
    code = (get_language() or "es").split("-")[0]
    return text.get(code) or text["es"]


def check(data: dict[str, Any]) -> None:
    """Refuse a question file that is malformed (schema), names a group that does not exist, repeats a key, or whose
    thresholds are upside down; raises jsonschema.ValidationError or ValueError."""
    jsonschema.validate(data, SCHEMA)
    groups = {g["key"] for g in data["groups"]}
    keys = [q["key"] for q in data["questions"]]
    if len(keys) != len(set(keys)):
        raise ValueError("a question key is repeated")
    if missing := {q["group"] for q in data["questions"]} - groups:
        raise ValueError(f"questions name groups that do not exist: {sorted(missing)}")
    if RECENT_SEXUAL_VIOLENCE not in keys:
        raise ValueError(f"the question {RECENT_SEXUAL_VIOLENCE!r} is required (the incidents tick it)")
    if data["thresholds"]["medium"] > data["thresholds"]["high"]:
        raise ValueError("the medium threshold is above the high one")


def parse(data: dict[str, Any]) -> QuestionSet:
    check(data)
    instrument = data["instrument"]
    return QuestionSet(
        version=instrument["version"],
        name=instrument["name"],
        based_on=instrument["based_on"],
        recent_days=data["recent_sexual_violence_days"],
        medium_at=data["thresholds"]["medium"],
        high_at=data["thresholds"]["high"],
        groups=[(g["key"], g["label"]) for g in data["groups"]],
        questions=[
            Question(q["key"], q["group"], q["weight"], q["high_on_its_own"], q["text"]) for q in data["questions"]
        ],
    )


@cache
def questions() -> QuestionSet:
    return parse(json.loads(CONTENT.read_text(encoding="utf-8")))


@dataclass(frozen=True)
class Scored:
    score: int
    level: str
    decisive: list[str]  # the answers that made the level high on their own


def score(answers: set[str], qs: QuestionSet | None = None) -> Scored:
    """The level the answers give: high when one answer that is high on its own is yes, else by the thresholds of
    the summed weights."""
    qs = qs or questions()
    known = qs.by_key()
    total = sum(known[key].weight for key in answers if key in known)
    decisive = [key for key in answers if key in known and known[key].high_on_its_own]
    if decisive or total >= qs.high_at:
        level = "high"
    elif total >= qs.medium_at:
        level = "medium"
    else:
        level = "low"
    return Scored(total, level, sorted(decisive))


def highest(*levels: str) -> str:
    """The highest of the levels given (empty ones ignored)."""
    return max((lvl for lvl in levels if lvl), key=LEVELS.index, default="low")
