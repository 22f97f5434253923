"""The version of the directory's search vocabulary (SearchTerm), kept in the cache.

The writes bump it when they add words (services.vocabulary_extend); the typo corrector in selectors reloads its
in-process copy of the vocabulary when the version it saw is no longer the current one.
"""

from __future__ import annotations

from django.core.cache import cache

VOCAB_VERSION_KEY = "directory:vocabulary-version"


def vocabulary_changed() -> None:
    try:
        cache.incr(VOCAB_VERSION_KEY)
    except ValueError:
        cache.set(VOCAB_VERSION_KEY, 1, None)


def vocabulary_version() -> int:
    version: int = cache.get(VOCAB_VERSION_KEY, 0)
    return version
