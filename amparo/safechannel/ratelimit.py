"""Availability of the safe channel under abuse (DESIGN.md rules 8 and 10), without storing addresses.

No single client, and no address shared by many (a reverse proxy, a Tor onion service), may lock survivors out.
Each action ("report", "receipt") has two lanes that never share a counter:

- **the proof lane**: the request carries, in its query string, a solved proof-of-work challenge
  (`proofofwork.py`; the page's script solves it). One budget per minute for everyone (`<action>_proof`); the
  difficulty a new challenge asks for rises with how full that budget is, so a flood pays more for each attempt
  while slots remain for the survivor. No address is used at all.
- **the no-JavaScript lane**: no proof. A global budget per minute (`<action>_global`) and a per-client budget
  (`<action>_client`) keyed by an HMAC of the address under a key derived from SECRET_KEY and the window number:
  every process computes the same key, the key changes with every window, and it is never stored. Behind a proxy
  or an onion service every visitor has the proxy's address, so the per-client budget acts as a second global
  one for this lane only: a flood without proofs can fill the no-JavaScript lane, never the proof lane.

The counters live in the cache (CACHE_URL, shared by every process) for one fixed window and then vanish. If that
cache cannot be reached (Redis down; docs/faults.md), reports are counted in each process's memory instead, so a
survivor's report still gets in and the limits still hold per process; receipt sign-in fails closed (the 503 page),
so guessing receipts never becomes unlimited.
Admission is decided from the query string and the address only, before the body of a request is read, so a
refused upload is never read into memory or decoded (views.py swaps in `DiscardFilesUploadHandler`).
"""

from __future__ import annotations

import hashlib
import hmac
import time
from collections.abc import Callable
from dataclasses import dataclass

from django.conf import settings
from django.http import HttpRequest

from amparo.core import counters

from . import proofofwork

# The one source of time for windows, challenges and sealed receipts (tests set it; nothing else does).
clock: Callable[[], float] = time.time

PROOF = "proof"
PLAIN = "plain"


def _client_key(period: int, window: int) -> bytes:
    """The HMAC key for client buckets: the same in every process (derived from SECRET_KEY), new every window,
    never stored. A copy of the cache gives keyed hashes that cannot be tested against addresses without
    SECRET_KEY, and stop meaning anything when the window ends."""
    base = hashlib.blake2b(settings.SECRET_KEY.encode(), person=b"amparo-rl-client", digest_size=32).digest()
    return hmac.new(base, f"{period}:{window}".encode(), hashlib.sha256).digest()


def client_id(address: str, period: int, now: float) -> str:
    key = _client_key(period, counters.window_start(period, now))
    return hmac.new(key, address.encode(), hashlib.sha256).hexdigest()[:32]


def _bucket(name: str, who: str) -> tuple[str, int]:
    return f"sc-rl:{name}:{who}", settings.SAFECHANNEL_RATE_LIMITS[name][1]


def _who(request: HttpRequest, name: str, now: float) -> str:
    if name.endswith("_client"):
        period = settings.SAFECHANNEL_RATE_LIMITS[name][1]
        return client_id(request.META.get("REMOTE_ADDR", ""), period, now)
    return "all"


# Actions whose counters fall back to this process's memory while the shared cache is down (see above).
LOCAL_IF_DOWN = frozenset({"report"})


def _local_if_down(name: str) -> bool:
    return name.split("_", 1)[0] in LOCAL_IF_DOWN


def count(name: str, who: str = "all", now: float | None = None) -> int:
    moment = clock() if now is None else now
    return counters.current(*_bucket(name, who), moment, local_if_down=_local_if_down(name))


def _hit(name: str, who: str, now: float) -> bool:
    """Count one request; True while the bucket is within its limit."""
    hits = counters.hit(*_bucket(name, who), now, local_if_down=_local_if_down(name))
    return hits <= settings.SAFECHANNEL_RATE_LIMITS[name][0]


def _full(name: str, who: str, now: float) -> bool:
    return count(name, who, now) >= settings.SAFECHANNEL_RATE_LIMITS[name][0]


def required_bits(action: str, now: float | None = None) -> int:
    """The difficulty asked of the proof lane now: the base while a quarter of the minute's budget is used, then
    rising linearly to the maximum as the budget fills (each step doubles the work of one attempt)."""
    base, top = settings.SAFECHANNEL_POW_BITS, settings.SAFECHANNEL_POW_MAX_BITS
    budget = settings.SAFECHANNEL_RATE_LIMITS[f"{action}_proof"][0]
    used = count(f"{action}_proof", now=now)
    free = budget // 4
    if used <= free or budget <= free:
        return base
    return min(top, base + -(-(top - base) * (used - free) // max(1, budget - free)))


def new_challenge(action: str, now: float | None = None) -> proofofwork.Challenge:
    moment = clock() if now is None else now
    return proofofwork.issue(action, required_bits(action, moment), moment)


@dataclass(frozen=True)
class Admission:
    """Whether a request may proceed, and in which lane.

    `refusal` is "" when admitted, else: "bad_proof" (forged, expired, already used, or for another action),
    "weak_proof" (below the difficulty asked now: the script solves a fresh challenge and sends again by itself),
    or "busy" (the lane's budget for this window is used up).
    """

    lane: str
    refusal: str = ""
    proof: proofofwork.Proof | None = None

    @property
    def admitted(self) -> bool:
        return not self.refusal


def check(request: HttpRequest, action: str, now: float | None = None) -> Admission:
    """Decide from the query string and the address only (nothing is read from the body, nothing is counted):
    a proof is verified (cheap: one HMAC and one SHA-256), the no-JavaScript lane's buckets are peeked."""
    moment = clock() if now is None else now
    raw = proofofwork.from_query(request.GET)
    if raw is None:
        for name in (f"{action}_client", f"{action}_global"):
            if _full(name, _who(request, name, moment), moment):
                return Admission(PLAIN, "busy")
        return Admission(PLAIN)
    proof = proofofwork.verify(raw, action, moment)
    if proof is None:
        return Admission(PROOF, "bad_proof")
    if proof.bits < required_bits(action, moment):
        return Admission(PROOF, "weak_proof", proof)
    if _full(f"{action}_proof", "all", moment):
        return Admission(PROOF, "busy", proof)
    return Admission(PROOF, proof=proof)


def admit(request: HttpRequest, admission: Admission, action: str, now: float | None = None) -> Admission:
    """Count a well-formed attempt that `check` admitted: spend its proof (single use, in the shared cache) and
    count it in its lane. Returns the final admission (a race or a replay can still refuse it here)."""
    if not admission.admitted:
        return admission
    moment = clock() if now is None else now
    if admission.lane == PROOF:
        assert admission.proof is not None
        if not proofofwork.spend(admission.proof, moment, local_if_down=action in LOCAL_IF_DOWN):
            return Admission(PROOF, "bad_proof", admission.proof)
        if not _hit(f"{action}_proof", "all", moment):
            return Admission(PROOF, "busy", admission.proof)
        return admission
    client_ok = _hit(f"{action}_client", _who(request, f"{action}_client", moment), moment)
    global_ok = _hit(f"{action}_global", "all", moment)
    return admission if client_ok and global_ok else Admission(PLAIN, "busy")
