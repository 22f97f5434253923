"""Each submission's closed answers as bits, so that the characterisation counts a million interviews in seconds.

Why: the characterisation counts, per group of respondents, every (question, choice) pair of a form: about 180
pairs for the shipped instrument. Read from the JSON answers, each pair costs a JSON lookup per row: 0.65 s for
20,000 interviews on PostgreSQL, so half a minute for a million (bench/surveys.py). As bits, a pair costs a shift
and a mask, and three pairs share one sum (below): about 1.3 s for a million rows on a loaded 2-core machine.
No library keeps per-row bitsets portable between PostgreSQL and SQLite (PostgreSQL's bit strings and arrays have
no SQLite twin), so this module does it with plain 64-bit integers, which both databases add and shift alike.

- **The codebook** (`Form.codebook`): the form's pairs as `[question, kind, code]`, append-only: a pair keeps its
  position forever, a new version only adds pairs at the end. Position `p` is bit `p % 63` of the word
  `analysis_{p // 63}` (`Submission.analysis_0` ... `analysis_7`; bit 63, the sign, is never used). A form with
  more than `ANALYSIS_WORDS * 63` pairs counts the rest from the JSON.
- **A submission's bits** are computed when its answers are (`services.apply_extracted`), against the codebook as
  it is then, whose length is kept in `Submission.analysis_size`. A submission with another size than the form's
  codebook (stored before a version added pairs) is "stale": the selector counts stale rows from the JSON, and
  `refresh_analysis` brings them up to date (run after a publish that grows the codebook, and by
  `manage.py refresh_survey_analysis`).
- **Three counts per sum**: bits p, p + 21 and p + 42 of a word are three lanes of 21 bits; `SUM((w >> j) &
  LANE_MASK)` over rows adds the three pairs' counts at once, each in its own lane, exact while every count is
  under 2**21 (the selector checks the number of rows first and counts pair by pair above it).

A pair "holds" for an answer exactly as the JSON path of `selectors.characterisation_counts` decides it (a test
checks both on the same submissions): select_one, the answer is the code; select_multiple, the code is one of the
picked choices, or no choice was picked (`NO_ANSWER`); numbers, the band the value falls in (`NUMBER_BANDS`; a
band runs from its low bound to the next band's) or `NEGATIVE_BAND`.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Sequence
from typing import Any

from . import characterisation as ch

WORD_BITS = 63
ANALYSIS_WORDS = 8
LANE_BITS = 21
LANES = WORD_BITS // LANE_BITS
LANE_MASK = sum(1 << (LANE_BITS * lane) for lane in range(LANES))
LANE_LIMIT = 1 << LANE_BITS  # a lane holds counts up to this (excluded)
WORD_FIELDS = tuple(f"analysis_{i}" for i in range(ANALYSIS_WORDS))
CAPACITY = ANALYSIS_WORDS * WORD_BITS

Entry = tuple[str, str, str]  # (question, kind, code); kind: select_one, select_multiple, number

_NUMBER_TEXT = re.compile(r"^-?[0-9]+(\.[0-9]+)?$")


def entries(indicators: Iterable[ch.Indicator]) -> list[Entry]:
    """The pairs the characterisation counts for these indicators, in their order (for select_multiple, the
    choices then `NO_ANSWER`; for numbers, `NEGATIVE_BAND` then the bands, as the selector asks them)."""
    found: list[Entry] = []
    for indicator in indicators:
        if indicator.kind == "select_multiple":
            codes = [code for code, _label in indicator.categories] + [ch.NO_ANSWER]
        elif indicator.kind == "number":
            codes = [ch.NEGATIVE_BAND] + [code for code, _low, _high in ch.NUMBER_BANDS]
        else:
            codes = [code for code, _label in indicator.categories]
        found += [(indicator.key, indicator.kind, code) for code in codes]
    return found


def extended(codebook: Sequence[Sequence[str]], indicators: Iterable[ch.Indicator]) -> list[list[str]]:
    """The codebook with the indicators' pairs it lacks added at the end (positions never move)."""
    known = {tuple(entry) for entry in codebook}
    grown = [list(entry) for entry in codebook]
    for entry in entries(indicators):
        if entry not in known:
            known.add(entry)
            grown.append(list(entry))
    return grown


def words(answers: dict[str, Any], codebook: Sequence[Sequence[str]]) -> list[int]:
    """The submission's `ANALYSIS_WORDS` words: bit p set when pair p of the codebook holds for the answers."""
    out = [0] * ANALYSIS_WORDS
    for position, (question, kind, code) in enumerate(codebook[:CAPACITY]):
        if holds(kind, answers.get(question), code):
            out[position // WORD_BITS] |= 1 << (position % WORD_BITS)
    return out


def holds(kind: str, value: Any, code: str) -> bool:
    if kind == "select_one":
        return value is not None and _text(value) == code
    if kind == "select_multiple":
        if code == ch.NO_ANSWER:
            return value is None or value in ("", [], "[]")
        if isinstance(value, list):
            return code in (str(v) for v in value)
        return value is not None and code in str(value).split()
    number = _number(value)
    if number is None:
        return False
    if code == ch.NEGATIVE_BAND:
        return number < 0
    bands = list(ch.NUMBER_BANDS)
    for index, (band, low, _high) in enumerate(bands):
        if band == code:
            upper = bands[index + 1][1] if index + 1 < len(bands) else None
            return number >= low and (upper is None or number < upper)
    return False


def _text(value: Any) -> str:
    """The answer as the database's JSON text operator gives it (a string as is, anything else as JSON)."""
    return value if isinstance(value, str) else json.dumps(value)


def _number(value: Any) -> float | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, int | float):
        return float(value)
    if isinstance(value, str) and _NUMBER_TEXT.match(value):
        return float(value)
    return None


def lanes(position: int) -> tuple[int, int, int]:
    """(word, shift, lane) of a codebook position: its count is lane `lane` of `SUM((word >> shift) & LANE_MASK)`."""
    word, bit = divmod(position, WORD_BITS)
    lane, shift = divmod(bit, LANE_BITS)
    return word, shift, lane
