"""The version of the directory's search vocabulary (SearchTerm), kept in the cache.

The writes bump it when they add words (services.vocabulary_extend); the typo corrector in selectors reloads its
in-process copy of the vocabulary when the version it saw is no longer the current one.

If the shared cache cannot be reached (Redis down; docs/faults.md), search fails open: each process keeps the
version it saw last (so its copy of the vocabulary stays as it was, never reloaded at every search), and a bump is
lost with a warning: other processes see new words after the next bump or a restart. Search keeps working.
"""

from __future__ import annotations

import contextlib
import logging

from django.core.cache import cache

from amparo.core.unavailable import CACHE_DOWN_ERRORS

VOCAB_VERSION_KEY = "directory:vocabulary-version"
logger = logging.getLogger(__name__)
_last_seen = 0


def vocabulary_changed() -> None:
    try:
        try:
            cache.incr(VOCAB_VERSION_KEY)
        except ValueError:
            cache.set(VOCAB_VERSION_KEY, 1, None)
    except CACHE_DOWN_ERRORS as exc:
        logger.warning("shared cache unreachable (%s): vocabulary version not bumped", type(exc).__name__)


def vocabulary_version() -> int:
    global _last_seen
    with contextlib.suppress(*CACHE_DOWN_ERRORS):
        _last_seen = int(cache.get(VOCAB_VERSION_KEY, 0))
    return _last_seen
