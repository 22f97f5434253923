"""Fixed-window counters in the shared cache (CACHE_URL), for limits that must hold across every app process.

A counter lives for one window and then vanishes. Keys are built by the caller from values that identify no one
(a keyed hash of an account id, a bucket name); nothing here stores an address.
"""

from __future__ import annotations

import time

from django.core.cache import cache


def window_start(period: int, now: float | None = None) -> int:
    """The number of the fixed window of `period` seconds that `now` falls in."""
    return int((time.time() if now is None else now) // period)


def _key(name: str, period: int, now: float | None) -> str:
    return f"amparo-count:{name}:{period}:{window_start(period, now)}"


def current(name: str, period: int, now: float | None = None) -> int:
    """How many events `name` has had in the current window (counting nothing)."""
    value = cache.get(_key(name, period, now))
    return int(value) if isinstance(value, int) else 0


def hit(name: str, period: int, now: float | None = None) -> int:
    """Count one event in the current window of `name`; returns the count including this one."""
    key = _key(name, period, now)
    cache.add(key, 0, timeout=period + 5)
    try:
        return int(cache.incr(key))
    except ValueError:  # the key expired between add and incr
        cache.add(key, 1, timeout=period + 5)
        return 1


def within(name: str, limit: int, period: int, now: float | None = None) -> bool:
    """Count one event; True while `name` has had at most `limit` events in this window."""
    return hit(name, period, now) <= limit
