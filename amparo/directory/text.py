"""Text normalisation shared by indexing and querying, so both sides fold accents and case the same way."""

from __future__ import annotations

import re
import unicodedata

_NON_WORD = re.compile(r"[^a-z0-9]+")

# Words too common to narrow a search (Spanish, English, Portuguese).
STOPWORDS = frozenset(
    [
        "a",
        "al",
        "ante",
        "con",
        "de",
        "del",
        "desde",
        "donde",
        "e",
        "el",
        "en",
        "entre",
        "es",
        "la",
        "las",
        "lo",
        "los",
        "me",
        "mi",
        "para",
        "por",
        "que",
        "se",
        "sin",
        "su",
        "sus",
        "un",
        "una",
        "uno",
        "y",
        "o",
        "yo",
        "necesito",
        "quiero",
        "busco",
        "ayuda",
        "an",
        "and",
        "at",
        "for",
        "from",
        "i",
        "in",
        "is",
        "it",
        "me",
        "my",
        "need",
        "of",
        "on",
        "or",
        "the",
        "to",
        "want",
        "with",
        "help",
        "ao",
        "as",
        "com",
        "da",
        "das",
        "de",
        "do",
        "dos",
        "em",
        "na",
        "nas",
        "no",
        "nos",
        "os",
        "para",
        "pela",
        "pelo",
        "por",
        "um",
        "uma",
        "preciso",
        "quero",
        "ajuda",
    ]
)


def normalize(text: str) -> str:
    """Lower-case, strip accents and punctuation: 'Psicóloga, VIH' -> 'psicologa vih'."""
    decomposed = unicodedata.normalize("NFKD", text.lower())
    without_marks = "".join(c for c in decomposed if not unicodedata.combining(c))
    return _NON_WORD.sub(" ", without_marks).strip()


def tokens(text: str, *, max_tokens: int = 8) -> list[str]:
    """The distinct meaningful words of a query, in order, at most max_tokens of them."""
    seen: list[str] = []
    for word in normalize(text).split():
        if word in STOPWORDS or len(word) < 2 or word in seen:
            continue
        seen.append(word[:40])
        if len(seen) == max_tokens:
            break
    return seen
