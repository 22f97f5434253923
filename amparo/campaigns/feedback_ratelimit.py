"""How many answers about services the public form takes, without storing addresses (DESIGN.md rules 8 and 10).

The same design as the safe channel's no-JavaScript lane (`amparo/safechannel/ratelimit.py`, which this app may
not import): fixed-window counters in the shared cache (`core.counters`) that vanish with their window, and

- `feedback_global`: everyone, per minute;
- `feedback_client`: per client, keyed by an HMAC of the address under a key derived from SECRET_KEY and the window
  number (the same in every process, new every window, never stored). Behind a proxy or an onion service every
  visitor shares an address: this budget then acts as a second global one;
- `feedback_service`: per service and day, so that a flood cannot push one service's figures (or its alerts) far.

There is no proof-of-work lane (that machinery belongs to the channel): a flood can make the form answer "try
later" for a while, which costs a survivor nothing she needs at once (the channel and the directory are apart).
Admission is decided before the body is read; an answer is counted once it is valid, so fixing a mistake never
uses up her attempts.
"""

from __future__ import annotations

import hashlib
import hmac
import time
from collections.abc import Callable

from django.conf import settings
from django.http import HttpRequest

from amparo.core import counters

clock: Callable[[], float] = time.time  # the one source of time for windows (tests set it)

GLOBAL = "feedback_global"
CLIENT = "feedback_client"
SERVICE = "feedback_service"


def _client_id(address: str, period: int, now: float) -> str:
    base = hashlib.blake2b(settings.SECRET_KEY.encode(), person=b"amparo-rl-feedbk", digest_size=32).digest()
    key = hmac.new(base, f"{period}:{counters.window_start(period, now)}".encode(), hashlib.sha256).digest()
    return hmac.new(key, address.encode(), hashlib.sha256).hexdigest()[:32]


def _buckets(request: HttpRequest, service_id: int, now: float) -> list[tuple[str, int, int]]:
    """(counter name, limit, period) of the three budgets this request spends."""
    limits = settings.FEEDBACK_RATE_LIMITS
    client_period = limits[CLIENT][1]
    who = _client_id(request.META.get("REMOTE_ADDR", ""), client_period, now)
    return [
        (f"fb-rl:{GLOBAL}", *limits[GLOBAL]),
        (f"fb-rl:{CLIENT}:{who}", *limits[CLIENT]),
        (f"fb-rl:{SERVICE}:{service_id}", *limits[SERVICE]),
    ]


def full(request: HttpRequest, service_id: int) -> bool:
    """Whether one of the budgets is used up (peeks, counts nothing, reads no body)."""
    now = clock()
    return any(
        counters.current(name, period, now) >= limit for name, limit, period in _buckets(request, service_id, now)
    )


def spend(request: HttpRequest, service_id: int) -> bool:
    """Count one valid answer in every budget; False when one of them was already full (a race after `full`)."""
    now = clock()
    results = [counters.hit(name, period, now) <= limit for name, limit, period in _buckets(request, service_id, now)]
    return all(results)
