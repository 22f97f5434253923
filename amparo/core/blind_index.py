"""Keyed blind indexes: find encrypted values by equality without decrypting the table (after CipherSweet).

A value is normalised into tokens (accents and case folded, split on what is not a letter or a digit); each token
is stored as HMAC-SHA256 under a key of its own, truncated to `BLIND_INDEX_BITS`. A query is normalised the same
way and looked up by those tokens; the rows found are candidates, confirmed by decrypting only them (a truncated
HMAC can collide).

The key is `CASE_SEARCH_KEY` (settings), never the encryption keys: losing the database and this key together
lets an attacker test guesses ("is 'María' a name in this organisation?"), not read the values. Each index is
keyed by a subkey derived for one scope (an organisation) and one field, so equal names in two organisations, or
a name equal to a document, give unrelated tokens. What it still leaks is in docs/security.md ("Case search").

Plumbing with no domain word in it: the cases app decides what is indexed (`cases/search.py`).
"""

from __future__ import annotations

import hashlib
import hmac
import re
import unicodedata
from functools import lru_cache

from django.conf import settings

# 32 bits: at 100,000 indexed tokens in one organisation's field a lookup meets a false candidate about once in
# 40,000 queries (confirmed away by decrypting it); fewer bits would only add work, more would add nothing.
BLIND_INDEX_BITS = 32
TOKEN_CHARS = BLIND_INDEX_BITS // 4
_WORD = re.compile(r"[^\W_]+", re.UNICODE)
MAX_TOKENS = 12


def fold(text: str) -> str:
    """Lower case without accents or compatibility forms: "Ñandú  GARCÍA" -> "nandu  garcia"."""
    decomposed = unicodedata.normalize("NFKD", text)
    return "".join(ch for ch in decomposed if not unicodedata.combining(ch)).casefold()


def word_tokens(text: str, *, min_length: int = 2) -> list[str]:
    """The distinct words of a text, folded, in order, at most MAX_TOKENS (a name, not a narrative)."""
    seen: list[str] = []
    for word in _WORD.findall(fold(text)):
        if len(word) >= min_length and word not in seen:
            seen.append(word)
    return seen[:MAX_TOKENS]


def compact_tokens(text: str) -> list[str]:
    """An identifier as typed in any spacing or punctuation: "PPT 9.988.776-6" -> ["ppt99887766", "99887766"] (the
    whole, and its digits alone, since people often leave out the letters of the document type)."""
    whole = "".join(_WORD.findall(fold(text)))
    digits = "".join(ch for ch in whole if ch.isdigit())
    tokens = [t for t in (whole, digits) if len(t) >= 4]
    return list(dict.fromkeys(tokens))


@lru_cache(maxsize=256)
def _subkey(key: str, scope: str, field: str) -> bytes:
    return hmac.new(key.encode(), f"blind-index\x00{scope}\x00{field}".encode(), hashlib.sha256).digest()


def blind_token(scope: str, field: str, token: str) -> str:
    """The truncated HMAC of one normalised token, under the subkey of (scope, field)."""
    digest = hmac.new(_subkey(settings.CASE_SEARCH_KEY, scope, field), token.encode(), hashlib.sha256).hexdigest()
    return digest[:TOKEN_CHARS]
