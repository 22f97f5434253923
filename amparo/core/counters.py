"""Fixed-window counters in the shared cache (CACHE_URL), for limits that must hold across every app process.

A counter lives for one window and then vanishes. Keys are built by the caller from values that identify no one
(a keyed hash of an account id, a bucket name); nothing here stores an address.

When the shared cache cannot be reached (Redis down), each caller has decided (docs/faults.md, "Redis down"):
- by default the counter raises `Unavailable`, which the server answers with the 503 page (core/unavailable.py):
  the limit fails closed (receipt sign-in, password-reset e-mails, phones' wrong secrets, service feedback);
- with `local_if_down=True` it counts in this process's memory only, so the limit still holds per process (a
  deployment of N processes lets through at most N times the limit) and nothing is refused for the outage itself:
  the safe channel's report form, because a survivor's report must not be lost.
"""

from __future__ import annotations

import logging
import time

from django.core.cache import cache
from django.core.cache.backends.base import BaseCache
from django.core.cache.backends.locmem import LocMemCache

from .unavailable import CACHE_DOWN_ERRORS, SharedCacheDown

logger = logging.getLogger(__name__)

# This process's own counters, used only while the shared cache is down and only by callers that chose it.
_local = LocMemCache("amparo-counters-local", {"OPTIONS": {"MAX_ENTRIES": 10_000}})
_last_warning = 0.0


class Unavailable(SharedCacheDown):
    """The shared cache cannot be reached, and this counter fails closed (the server answers 503)."""


def window_start(period: int, now: float | None = None) -> int:
    """The number of the fixed window of `period` seconds that `now` falls in."""
    return int((time.time() if now is None else now) // period)


def _key(name: str, period: int, now: float | None) -> str:
    return f"amparo-count:{name}:{period}:{window_start(period, now)}"


def _down(exc: Exception, local_if_down: bool) -> None:
    """The shared cache failed: raise Unavailable, or (local_if_down) warn at most once a minute and go on."""
    if not local_if_down:
        raise Unavailable from exc
    global _last_warning
    if time.monotonic() - _last_warning > 60:
        _last_warning = time.monotonic()
        logger.warning("shared cache unreachable (%s): counting in this process only", type(exc).__name__)


def current(name: str, period: int, now: float | None = None, *, local_if_down: bool = False) -> int:
    """How many events `name` has had in the current window (counting nothing)."""
    key = _key(name, period, now)
    try:
        value = cache.get(key)
    except CACHE_DOWN_ERRORS as exc:
        _down(exc, local_if_down)
        value = _local.get(key)
    return int(value) if isinstance(value, int) else 0


def _hit(store: BaseCache, key: str, period: int) -> int:
    store.add(key, 0, timeout=period + 5)
    try:
        return int(store.incr(key))
    except ValueError:  # the key expired between add and incr
        store.add(key, 1, timeout=period + 5)
        return 1


def hit(name: str, period: int, now: float | None = None, *, local_if_down: bool = False) -> int:
    """Count one event in the current window of `name`; returns the count including this one."""
    key = _key(name, period, now)
    try:
        return _hit(cache, key, period)
    except CACHE_DOWN_ERRORS as exc:
        _down(exc, local_if_down)
        return _hit(_local, key, period)


def within(name: str, limit: int, period: int, now: float | None = None) -> bool:
    """Count one event; True while `name` has had at most `limit` events in this window."""
    return hit(name, period, now) <= limit


def add_once(key: str, timeout: int, *, local_if_down: bool = False) -> bool:
    """Mark `key` used (a spent proof, a spent form token) in the shared cache; False if it was marked before."""
    try:
        return bool(cache.add(key, 1, timeout=timeout))
    except CACHE_DOWN_ERRORS as exc:
        _down(exc, local_if_down)
        return bool(_local.add(key, 1, timeout=timeout))
