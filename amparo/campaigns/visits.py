"""Counting the visits of short links (issue 17, part 2): one counter per link per day, nothing about who.

A redirect must cost about what a static page does (bench/campaigns.py prints the ratio to /healthz). A database
write per visit cost three quarters of it, so where the platform has a shared cache (Redis or Memcached, the
production set-up, docs/deploy.md) a visit is one atomic INCR of the day's counter in the cache, and
`flush_visits` (the scheduled `flush_link_visits`, every minute) moves the counts to the day's `LinkDay` row.
The reach page adds what is still in the cache, so it is exact between flushes.

Where the cache is per process (the local-memory default of development, tests and `make demo`), another process
could not flush it, so visits are counted in the database directly (`services.link_visit_in_database`). If the
shared cache fails (Redis down), the visit is counted in the database too: a visit is never refused nor lost for
want of a cache (docs/campaigns.md, "Reach"; docs/faults.md).

What the cache holds: the link's number, the day and a count. A lost cache (Redis restarted without persistence)
loses the visits of the last minute at most; a flush that dies between its database commit and the cache's DECR
counts those visits twice. Both are visits, not people, and neither exposes anyone.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Iterator
from datetime import date, timedelta

from django.conf import settings
from django.core.cache import cache
from django.db import IntegrityError, transaction
from django.db.models import F
from django.utils import timezone

from .models import LinkDay, ShortLink

logger = logging.getLogger(__name__)

# Backends whose INCR is atomic across processes and servers. Django's database cache reads and writes back (not
# atomic), the local-memory and file caches are not shared by the workers.
SHARED_ATOMIC_BACKENDS = frozenset(
    {
        "django.core.cache.backends.redis.RedisCache",
        "django.core.cache.backends.memcached.PyMemcacheCache",
        "django.core.cache.backends.memcached.PyLibMCCache",
    }
)
# How many days back a flush looks: a count waits in the cache this long at most if no flush runs (the key expires
# a day later), and the reach page adds the pending counts of these days.
PENDING_DAYS = 7
KEY_TIMEOUT = (PENDING_DAYS + 1) * 24 * 60 * 60
CHUNK = 500


def counts_in_cache() -> bool:
    """True where visits are counted in the shared cache (Redis or Memcached configured as the default cache)."""
    return settings.CACHES["default"]["BACKEND"] in SHARED_ATOMIC_BACKENDS


def _key(link_id: int, day: date) -> str:
    return f"campaigns:visits:{day.isoformat()}:{link_id}"


def count_in_cache(link_id: int, day: date) -> bool:
    """One visit, counted in the shared cache; False when the cache could not take it (the caller counts it in the
    database). Django's incr refuses a key that does not exist yet: the day's first visit adds it at 0 (add is
    atomic: of two first visits one adds, both increment)."""
    key = _key(link_id, day)
    try:
        try:
            cache.incr(key)
        except ValueError:
            cache.add(key, 0, timeout=KEY_TIMEOUT)
            cache.incr(key)
    except Exception as exc:  # the cache's client raises its own connection errors (redis, pymemcache)
        logger.warning("short-link visit counted in the database: the cache failed (%s)", type(exc).__name__)
        return False
    return True


def _days(today: date) -> list[date]:
    return [today - timedelta(days=back) for back in range(PENDING_DAYS + 1)]


def _chunks(keys: list[str]) -> Iterator[list[str]]:
    for start in range(0, len(keys), CHUNK):
        yield keys[start : start + CHUNK]


def pending(link_ids: Iterable[int], today: date | None = None) -> dict[tuple[int, date], int]:
    """Visits still in the cache, per (link, day), for the last PENDING_DAYS days; empty without a shared cache or
    when it fails (the reach page then shows what the database holds)."""
    if not counts_in_cache():
        return {}
    today = today or timezone.localdate()
    wanted = {_key(link_id, day): (link_id, day) for link_id in link_ids for day in _days(today)}
    found: dict[tuple[int, date], int] = {}
    try:
        for chunk in _chunks(list(wanted)):
            for key, value in cache.get_many(chunk).items():
                if value:
                    found[wanted[key]] = int(value)
    except Exception as exc:
        logger.warning("pending short-link visits not read: the cache failed (%s)", type(exc).__name__)
        return {}
    return found


def link_visits_add(link_id: int, day: date, count: int) -> None:
    """Add `count` visits to a link's day counter (a flush of the cache's counts, and a day's first visit counted in
    the database): an atomic UPDATE, the row made by get_or_create when the day has none yet."""
    today = LinkDay.objects.filter(link_id=link_id, day=day)
    with transaction.atomic():
        if not today.update(visits=F("visits") + count):
            LinkDay.objects.get_or_create(link_id=link_id, day=day, defaults={"visits": 0})
            today.update(visits=F("visits") + count)


def flush_visits(today: date | None = None) -> int:
    """Move the counts waiting in the cache into the days' `LinkDay` rows; returns how many visits were moved.

    Each count is added to its row in a transaction, and only after the commit taken off the cache's counter with
    DECR (never deleted): visits arriving meanwhile stay in the cache for the next flush. Running two flushes at once
    could add a count twice, so the scheduler runs one at a time (a slot runs once)."""
    moved = 0
    for (link_id, day), count in pending(ShortLink.objects.values_list("id", flat=True), today).items():
        try:
            with transaction.atomic():
                link_visits_add(link_id, day, count)
        except IntegrityError:  # the link was deleted since the read: its visits go with it
            continue
        moved += count
        try:
            cache.decr(_key(link_id, day), count)
        except ValueError:  # the key expired between the read and now: nothing left to take off
            pass
        except Exception as exc:  # the cache went away after the commit: those visits may be counted twice
            logger.warning("short-link flush stopped: the cache failed (%s)", type(exc).__name__)
            break
    return moved
