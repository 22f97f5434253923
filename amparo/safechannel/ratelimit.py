"""Rate limits for the safe channel without storing addresses (DESIGN.md rule 8).

Counters live in the cache (CACHE_URL) for one fixed window and then vanish. Two buckets per action:
- a global one, which bounds what any number of clients can do together (the arithmetic that makes guessing a
  receipt hopeless rests on it, see docs/safechannel.md);
- a per-client one, keyed by a keyed hash of the address under a random key that exists only in this process's
  memory, so the key is not on disk and a copy of the cache cannot be turned back into addresses.
Behind a reverse proxy or a Tor onion service every visitor has the proxy's address, so the per-client bucket
becomes one more global bucket; the limits are sized so that this still lets real survivors through.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
import time

from django.conf import settings
from django.core.cache import cache
from django.http import HttpRequest

_PROCESS_KEY = secrets.token_bytes(32)


def _client(request: HttpRequest) -> str:
    address = request.META.get("REMOTE_ADDR", "")
    return hmac.new(_PROCESS_KEY, address.encode(), hashlib.sha256).hexdigest()[:32]


def _hit(name: str, who: str) -> bool:
    """Count one request; True while the bucket is within its limit."""
    limit, period = settings.SAFECHANNEL_RATE_LIMITS[name]
    window = int(time.time() // period)
    key = f"sc-rl:{name}:{who}:{window}"
    cache.add(key, 0, timeout=period + 5)
    try:
        count = cache.incr(key)
    except ValueError:  # expired between add and incr
        cache.add(key, 1, timeout=period + 5)
        count = 1
    return count <= limit


def allow(request: HttpRequest, action: str) -> bool:
    """`action` is "report" or "receipt". Both buckets are counted, so a flood also fills the global one."""
    client_ok = _hit(f"{action}_client", _client(request))
    global_ok = _hit(f"{action}_global", "all")
    return client_ok and global_ok
