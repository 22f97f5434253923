"""Proof-of-work challenges for the safe channel's forms (hashcash on SHA-256), as progressive enhancement.

After GlobaLeaks (a proof of work before each submission and sign-in) and Tor's onion-service defence (proposal
327: client puzzles whose effort rises with load). The page carries a challenge: a value signed with SECRET_KEY
that holds a random nonce, the issue time, the action and the difficulty in bits. No cookie, nothing stored when
it is issued. The page's script (`static/safechannel/pow.js`) finds a counter such that

    SHA-256("<nonce>:<counter>") starts with <bits> zero bits

and puts the challenge and the counter into the form action's query string (`?pow=...&powc=...`), so the server
admits or refuses the request before it reads the body. A solved challenge is spent in the shared cache (single
use) and expires after SAFECHANNEL_POW_SECONDS. Checking a solution costs the server one HMAC and one SHA-256.
"""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.core import signing

from amparo.core import counters

SALT = "amparo.safechannel.pow"
ACTIONS = {"report": "p", "receipt": "r"}
MAX_COUNTER_DIGITS = 12
MAX_TOKEN_CHARS = 300


@dataclass(frozen=True)
class Challenge:
    token: str  # what travels back in the query string
    nonce: str  # what the script hashes
    bits: int


@dataclass(frozen=True)
class Proof:
    nonce: str
    bits: int
    issued: int


def issue(action: str, bits: int, now: float) -> Challenge:
    nonce = secrets.token_urlsafe(12)
    token = signing.dumps({"n": nonce, "t": int(now), "d": bits, "a": ACTIONS[action]}, salt=SALT, compress=False)
    return Challenge(token=token, nonce=nonce, bits=bits)


def leading_zero_bits(digest: bytes) -> int:
    value = int.from_bytes(digest, "big")
    return len(digest) * 8 - value.bit_length()


def solves(nonce: str, counter: str, bits: int) -> bool:
    return leading_zero_bits(hashlib.sha256(f"{nonce}:{counter}".encode()).digest()) >= bits


def solve(challenge: Challenge) -> str:
    """What the page's script does, for tests and the benchmark's well-behaved clients."""
    counter = 0
    while not solves(challenge.nonce, str(counter), challenge.bits):
        counter += 1
    return str(counter)


def from_query(query: Any) -> tuple[str, str] | None:
    token, counter = query.get("pow"), query.get("powc")
    if token is None and counter is None:
        return None
    return str(token or ""), str(counter or "")


def verify(raw: tuple[str, str], action: str, now: float) -> Proof | None:
    """The proof if the challenge is ours, for this action, not expired, and solved; else None."""
    token, counter = raw
    if not token or len(token) > MAX_TOKEN_CHARS:
        return None
    if not counter.isascii() or not counter.isdigit() or len(counter) > MAX_COUNTER_DIGITS:
        return None
    try:
        data = signing.loads(token, salt=SALT)
    except (signing.BadSignature, ValueError, TypeError):
        return None
    if not isinstance(data, dict) or data.get("a") != ACTIONS.get(action):
        return None
    nonce, issued, bits = data.get("n"), data.get("t"), data.get("d")
    if not isinstance(nonce, str) or not isinstance(issued, int) or not isinstance(bits, int):
        return None
    if not issued - 60 <= now <= issued + settings.SAFECHANNEL_POW_SECONDS:
        return None
    if not solves(nonce, counter, bits):
        return None
    return Proof(nonce=nonce, bits=bits, issued=issued)


def spend(proof: Proof, now: float, *, local_if_down: bool = False) -> bool:
    """Mark the challenge used, in the cache every process shares; False if it was used before. While that cache
    is down, `local_if_down` marks it in this process only (core/counters.py), else the request fails closed."""
    remaining = max(1, int(proof.issued + settings.SAFECHANNEL_POW_SECONDS + 60 - now))
    key = "sc-pow:" + hashlib.sha256(proof.nonce.encode()).hexdigest()[:32]
    return counters.add_once(key, remaining, local_if_down=local_if_down)
