"""What a query asks for: needs, inclusion facts, pathways and urgency, read with the vocabulary of needs.

The vocabulary is a data file that partners review and extend (`content/needs.toml`, explained at its top and in
docs/search.md): each need lists the words and phrases people write for it in Spanish, Portuguese and English, the
service types and inclusion facts it leads to, its pathway and, when it has a clock or a danger, its urgency.

Matching is done on Snowball stems (`snowballstemmer`, the stemmers of the Snowball project for Spanish,
Portuguese and English), so that "violaron", "violó" and "violar" land together, and "desalojo", "desalojar" and
"desalojaron" too. The query's language is not guessed: a word of the query matches a phrase written in language L
when its L stem equals the phrase word's L stem, so Portunhol and mixed sentences work. A phrase written with a
leading "=" matches its exact words (accents and case folded), for expressions whose stems would collide ("me
quiero matar" is not "me quieren matar"). The words of a phrase must come in order, with at most MAX_GAP other
words between two of them ("sin mis papeles" is "sin papeles"); longer phrases are matched first and a word is used
by one phrase only.

This module reads no database; the selector (`selectors.search_services`) adds the directory's own words and turns
what is understood into search clauses. Nothing here keeps or logs the query.
"""

from __future__ import annotations

import difflib
import threading
import tomllib
from collections.abc import Iterable
from dataclasses import dataclass, field
from functools import cache, lru_cache
from pathlib import Path
from typing import Any

import snowballstemmer

from .taxonomy import INCLUSION_FACT_CODES, SERVICE_TYPE_BY_CODE
from .text import STOPWORDS, normalize

NEEDS_FILE = Path(__file__).resolve().parent / "content" / "needs.toml"
LANGUAGES = ("es", "pt", "en")
_STEMMER_NAMES = {"es": "spanish", "pt": "portuguese", "en": "english"}
# The kinds of urgency, most pressing first: when a query shows several, the page puts the first one above all.
URGENCY_ORDER = ("emergency", "crisis", "child", "protection", "clock")
MAX_GAP = 2
MAX_QUERY_WORDS = 40  # a pasted text is read up to here; the rest is ignored
TYPO_CUTOFF = 0.87  # difflib ratio for correcting a word to a word of the vocabulary of needs
TYPO_MIN_LENGTH = 5


class VocabularyError(ValueError):
    """The vocabulary file does not follow its format; the message names the need and the problem."""


@dataclass(frozen=True)
class Need:
    id: str
    types: tuple[str, ...] = ()
    facts: tuple[str, ...] = ()
    pathway: str | None = None
    urgent: str | None = None
    urgent_if: tuple[str, ...] = ()  # urgent only when one of these needs is in the same query
    cancels: tuple[str, ...] = ()  # kinds of urgency that do not apply when this need is in the query
    urgent_pathway: str | None = None  # the pathway shown first when it is urgent, if not its own

    @property
    def first_pathway(self) -> str | None:
        return self.urgent_pathway or self.pathway


@dataclass(frozen=True)
class Urgency:
    kind: str
    helplines: tuple[str, ...] = ()
    pathway: str | None = None


@dataclass(frozen=True)
class Phrase:
    """One way of writing a need: its words as matched (stems, or folded words when exact) in one language."""

    keys: tuple[str, ...]
    lang: str
    exact: bool
    needs: tuple[str, ...]


@dataclass(frozen=True)
class Vocabulary:
    needs: dict[str, Need]
    urgency: dict[str, Urgency]
    phrases: tuple[Phrase, ...]
    by_first_key: dict[tuple[str, bool, str], tuple[Phrase, ...]]  # (language, exact, first key) -> phrases
    single_words: dict[str, tuple[str, ...]]  # folded single-word phrases as written -> needs, for typos
    ignored: frozenset[str]  # everyday words that mean nothing for the search (folded)


# --- Stems -----------------------------------------------------------------------------------------------------

_stem_lock = threading.Lock()
_stemmers = {lang: snowballstemmer.stemmer(name) for lang, name in _STEMMER_NAMES.items()}


@lru_cache(maxsize=65536)
def stem(word: str, lang: str) -> str:
    """The Snowball stem of a folded word in a language. The stemmer objects keep state: one call at a time."""
    with _stem_lock:
        result: str = _stemmers[lang].stemWord(word)
    return result


def _keys(words: Iterable[str], lang: str, exact: bool) -> tuple[str, ...]:
    return tuple(words) if exact else tuple(stem(w, lang) for w in words)


# --- Loading ---------------------------------------------------------------------------------------------------


def _strings(value: Any, where: str) -> list[str]:
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise VocabularyError(f"{where}: expected a list of texts")
    return value


def _need(raw: Any, position: int, pathways_seen: set[str]) -> Need:
    if not isinstance(raw, dict) or not isinstance(raw.get("id"), str) or not raw["id"]:
        raise VocabularyError(f"need #{position + 1}: every need has an id")
    where = f"need '{raw['id']}'"
    unknown = set(raw) - {
        "id",
        "types",
        "facts",
        "pathway",
        "urgent",
        "urgent_if",
        "urgent_pathway",
        "cancels",
        "note",
        *LANGUAGES,
    }
    if unknown:
        raise VocabularyError(f"{where}: unknown fields {sorted(unknown)}")
    types = _strings(raw.get("types", []), f"{where} types")
    bad_types = [t for t in types if t not in SERVICE_TYPE_BY_CODE]
    if bad_types:
        raise VocabularyError(f"{where}: unknown service types {bad_types} (see docs/taxonomy.md)")
    facts = _strings(raw.get("facts", []), f"{where} facts")
    bad_facts = [f for f in facts if f not in INCLUSION_FACT_CODES]
    if bad_facts:
        raise VocabularyError(f"{where}: unknown inclusion facts {bad_facts} (see docs/taxonomy.md)")
    urgent = raw.get("urgent")
    if urgent is not None and urgent not in URGENCY_ORDER:
        raise VocabularyError(f"{where}: urgent must be one of {', '.join(URGENCY_ORDER)}")
    pathway = raw.get("pathway")
    if pathway is not None and (not isinstance(pathway, str) or not pathway):
        raise VocabularyError(f"{where}: pathway is the slug of a pathway")
    if pathway:
        pathways_seen.add(pathway)
    if not any(raw.get(lang) for lang in LANGUAGES):
        raise VocabularyError(f"{where}: write at least one phrase in es, pt or en")
    cancels = _strings(raw.get("cancels", []), f"{where} cancels")
    if any(kind not in URGENCY_ORDER for kind in cancels):
        raise VocabularyError(f"{where}: cancels lists kinds of urgency: {', '.join(URGENCY_ORDER)}")
    urgent_if = _strings(raw.get("urgent_if", []), f"{where} urgent_if")
    if urgent_if and not urgent:
        raise VocabularyError(f"{where}: urgent_if needs an urgent kind")
    urgent_pathway = raw.get("urgent_pathway")
    if urgent_pathway is not None and not isinstance(urgent_pathway, str):
        raise VocabularyError(f"{where}: urgent_pathway is the slug of a pathway")
    return Need(
        raw["id"], tuple(types), tuple(facts), pathway, urgent, tuple(urgent_if), tuple(cancels), urgent_pathway
    )


def parse_vocabulary(data: dict[str, Any]) -> Vocabulary:
    """Check and index a parsed vocabulary file. Raises VocabularyError naming the first problem found."""
    urgency: dict[str, Urgency] = {}
    raw_urgency = data.get("urgency", {})
    if not isinstance(raw_urgency, dict):
        raise VocabularyError("urgency: a table per kind of urgency")
    for kind, raw in raw_urgency.items():
        if kind not in URGENCY_ORDER or not isinstance(raw, dict):
            raise VocabularyError(f"urgency.{kind}: the kinds are {', '.join(URGENCY_ORDER)}")
        pathway = raw.get("pathway")
        helplines = tuple(_strings(raw.get("helplines", []), f"urgency.{kind} helplines"))
        urgency[kind] = Urgency(kind, helplines, pathway if isinstance(pathway, str) else None)
    needs: dict[str, Need] = {}
    written: dict[tuple[str, bool, tuple[str, ...]], list[str]] = {}
    single_words: dict[str, list[str]] = {}
    pathways_seen: set[str] = set()
    for position, raw in enumerate(data.get("need", [])):
        need = _need(raw, position, pathways_seen)
        if need.id in needs:
            raise VocabularyError(f"need '{need.id}' is written twice")
        if need.urgent and need.urgent not in urgency:
            raise VocabularyError(f"need '{need.id}': urgency '{need.urgent}' has no [urgency.{need.urgent}] table")
        needs[need.id] = need
        for lang in LANGUAGES:
            for text in _strings(raw.get(lang, []), f"need '{need.id}' {lang}"):
                exact = text.startswith("=")
                words = tuple(normalize(text.lstrip("=")).split())
                if not words:
                    raise VocabularyError(f"need '{need.id}' {lang}: the phrase '{text}' has no word")
                if all(w in STOPWORDS for w in words):
                    raise VocabularyError(f"need '{need.id}' {lang}: '{text}' is only common words")
                keys = _keys(words, lang, exact)
                ids = written.setdefault((lang, exact, keys), [])
                if need.id not in ids:
                    ids.append(need.id)
                if len(words) == 1 and not exact:
                    single_words.setdefault(words[0], [])
                    if need.id not in single_words[words[0]]:
                        single_words[words[0]].append(need.id)
    named = {i for need in needs.values() for i in need.urgent_if}
    for need in needs.values():
        unknown_ids = [i for i in need.urgent_if if i not in needs]
        if unknown_ids:
            raise VocabularyError(f"need '{need.id}': urgent_if names unknown needs {unknown_ids}")
        if not (need.types or need.facts or need.pathway or need.urgent or need.cancels or need.id in named):
            raise VocabularyError(
                f"need '{need.id}': a need leads to service types, facts, a pathway or an urgency, or another "
                "need's urgent_if names it"
            )
    phrases = tuple(
        sorted(
            (Phrase(keys, lang, exact, tuple(ids)) for (lang, exact, keys), ids in written.items()),
            key=lambda p: -len(p.keys),
        )
    )
    by_first: dict[tuple[str, bool, str], list[Phrase]] = {}
    for phrase in phrases:
        by_first.setdefault((phrase.lang, phrase.exact, phrase.keys[0]), []).append(phrase)
    ignored: set[str] = set()
    raw_ignore = data.get("ignore", {})
    for lang in LANGUAGES:
        ignored.update(normalize(w) for w in _strings(raw_ignore.get(lang, []), f"ignore {lang}"))
    clash = sorted(w for w in ignored if w in single_words)
    if clash:
        raise VocabularyError(f"ignore: these words are also needs: {clash}")
    return Vocabulary(
        needs=needs,
        urgency=urgency,
        phrases=phrases,
        by_first_key={k: tuple(v) for k, v in by_first.items()},
        single_words={w: tuple(ids) for w, ids in single_words.items()},
        ignored=frozenset(ignored),
    )


def read_vocabulary(path: Path) -> Vocabulary:
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError) as exc:
        raise VocabularyError(f"{path.name}: {exc}") from exc
    return parse_vocabulary(data)


@cache
def vocabulary() -> Vocabulary:
    """The shipped vocabulary, read once per process (a deploy reloads it)."""
    return read_vocabulary(NEEDS_FILE)


# --- Reading a query -------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Match:
    phrase: Phrase
    positions: tuple[int, ...]


@dataclass
class Reading:
    """What the vocabulary of needs makes of a query. `rest` holds the positions of the words it did not use,
    which the selector still looks for in the directory's own words."""

    words: list[str]
    needs: list[Need] = field(default_factory=list)
    # The needs by the phrase that named them: a phrase with two meanings ("refugio": shelter, or asylum) is met by
    # a service of either, so the search makes one clause of each group.
    groups: list[list[Need]] = field(default_factory=list)
    used: set[int] = field(default_factory=set)
    rest: list[int] = field(default_factory=list)
    corrected: dict[str, str] = field(default_factory=dict)

    def _urgent_needs(self) -> list[Need]:
        ids = {n.id for n in self.needs}
        cancelled = {kind for n in self.needs for kind in n.cancels}
        return [
            n
            for n in self.needs
            if n.urgent and n.urgent not in cancelled and (not n.urgent_if or ids.intersection(n.urgent_if))
        ]

    @property
    def urgencies(self) -> list[tuple[Urgency, str | None]]:
        """Each kind of urgency the query shows, most pressing first, with its pathway: the urgency's own, else
        that of the first need that raised it."""
        urgent_needs = self._urgent_needs()
        found = []
        for kind in URGENCY_ORDER:
            raised = [n for n in urgent_needs if n.urgent == kind]
            if raised:
                urgency = vocabulary().urgency[kind]
                pathway = urgency.pathway or next((n.first_pathway for n in raised if n.first_pathway), None)
                found.append((urgency, pathway))
        return found

    @property
    def urgent(self) -> Urgency | None:
        urgencies = self.urgencies
        return urgencies[0][0] if urgencies else None

    @property
    def pathways(self) -> list[str]:
        """Pathway slugs: those of urgent needs first, then the one most needs point to, then in the order the
        query names them."""
        urgent = {n.first_pathway for n in self._urgent_needs()}
        order: dict[str, list[int]] = {}
        urgent_ids = {n.id for n in self._urgent_needs()}
        for position, need in enumerate(self.needs):
            slug = need.first_pathway if need.id in urgent_ids else need.pathway
            if slug:
                order.setdefault(slug, []).append(position)
        return sorted(order, key=lambda slug: (slug not in urgent, -len(order[slug]), order[slug][0]))


def _match_at(words: list[str], start: int, phrase: Phrase, free: list[bool]) -> Match | None:
    """The phrase starting at `start`, its later words in order with at most MAX_GAP words between them."""
    positions = [start]
    at = start
    for key in phrase.keys[1:]:
        found = None
        for j in range(at + 1, min(len(words), at + 2 + MAX_GAP)):
            if free[j] and _key(words[j], phrase.lang, phrase.exact) == key:
                found = j
                break
        if found is None:
            return None
        positions.append(found)
        at = found
    return Match(phrase, tuple(positions))


def _key(word: str, lang: str, exact: bool) -> str:
    return word if exact else stem(word, lang)


def _candidates(vocab: Vocabulary, word: str) -> list[Phrase]:
    found: list[Phrase] = []
    for lang in LANGUAGES:
        found += vocab.by_first_key.get((lang, True, word), ())
        found += vocab.by_first_key.get((lang, False, stem(word, lang)), ())
    return found


def _read_phrases(vocab: Vocabulary, words: list[str], free: list[bool]) -> list[Match]:
    """Every phrase found, longest first, each word used by one phrase at most."""
    matches: list[Match] = []
    for start, word in enumerate(words):
        if free[start]:
            for phrase in _candidates(vocab, word):
                match = _match_at(words, start, phrase, free)
                if match:
                    matches.append(match)
    matches.sort(key=lambda m: (-len(m.positions), m.positions[0]))
    kept = []
    for match in matches:
        if all(free[p] for p in match.positions):
            for p in match.positions:
                free[p] = False
            kept.append(match)
    return kept


def _correct(vocab: Vocabulary, word: str) -> str | None:
    if len(word) < TYPO_MIN_LENGTH or word.isdigit():
        return None
    close = difflib.get_close_matches(word, vocab.single_words.keys(), n=1, cutoff=TYPO_CUTOFF)
    return close[0] if close else None


def read_query(text: str, vocab: Vocabulary | None = None) -> Reading:
    """Read a query with the vocabulary of needs: the needs it names (in the order it names them), the words it
    used, the words it corrected ("violasion" -> "violacion"), and the words left for the directory's own words
    (not stop words, not everyday words)."""
    vocab = vocab or vocabulary()
    words = normalize(text).split()[:MAX_QUERY_WORDS]
    words = [w[:40] for w in words]
    reading = Reading(words=words)
    free = [True] * len(words)
    matches = _read_phrases(vocab, words, free)
    # A word no phrase used, that is neither common nor everyday, may be a typo of a word of a need.
    for i, word in enumerate(words):
        if not free[i] or word in STOPWORDS or word in vocab.ignored or len(word) < 2:
            continue
        if _candidates(vocab, word):
            continue  # the first word of a longer phrase that did not match whole: left for the directory
        best = _correct(vocab, word)
        if best is not None:
            reading.corrected[word] = best
            matches.append(Match(Phrase((best,), "es", True, vocab.single_words[best]), (i,)))
            free[i] = False
    matches.sort(key=lambda m: m.positions[0])
    seen: set[str] = set()
    for match in matches:
        reading.used.update(match.positions)
        group = [vocab.needs[i] for i in match.phrase.needs if i not in seen]
        seen.update(n.id for n in group)
        if group:
            reading.needs += group
            reading.groups.append(group)
    reading.rest = [
        i
        for i, word in enumerate(words)
        if free[i] and word not in STOPWORDS and word not in vocab.ignored and len(word) >= 2
    ]
    return reading
