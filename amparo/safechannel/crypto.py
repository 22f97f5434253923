"""The safe channel's cryptography (DESIGN.md rule 4, "safechannel"): zero knowledge at rest.

Everything here is a thin layer over PyNaCl (libsodium) and argon2-cffi; no primitive is written by hand.

- A **receipt** is 16 digits: 15 random ones and a Damm check digit (which catches every single-digit error and
  every transposition of adjacent digits, so a mistyped receipt is refused before any Argon2 run or counter).
  Receipts issued before the check digit (16 random digits) still open their reports. One Argon2id computation
  (salt derived from the server pepper) turns a receipt into a master secret, from which BLAKE2b keyed with the
  pepper derives two independent values: the *lookup* (stored, unique index: how a receipt finds its report) and
  the *receipt key* (never stored: it opens the report key).
- Each **report key** is a random 32-byte XSalsa20-Poly1305 key (`SecretBox`). The report's content, messages and
  attachments are encrypted with it. It is stored only sealed: to the receipt key, to each recipient's public key
  (`SealedBox`, X25519) and to the organisation's recovery public key.
- A **recipient's private key** is stored encrypted under a key derived from their password (Argon2id, libsodium's
  "interactive" limits). While they are signed in, it lives in their session wrapped under a random key that only
  their browser holds (a cookie), so neither the session table nor the cookie alone reveals it.
"""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass

import nacl.exceptions
import nacl.pwhash
import nacl.secret
import nacl.utils
from argon2.low_level import Type, hash_secret_raw
from django.conf import settings
from nacl.public import PrivateKey, PublicKey, SealedBox

Blob = bytes | memoryview  # what a BinaryField gives back
RECEIPT_DIGITS = 16
KEY_SIZE = nacl.secret.SecretBox.KEY_SIZE


class CryptoError(Exception):
    """Decryption failed: wrong key, or the data was altered."""


class InvalidReceipt(ValueError):
    """The text is not 16 digits."""


# --- Receipts ------------------------------------------------------------------------------------------------


# Damm's weakly totally antisymmetric quasigroup of order 10 (H. M. Damm, 2004).
_DAMM = (
    "0317598642",
    "7092154863",
    "4206871359",
    "1750983426",
    "6123045978",
    "3674209581",
    "5869720134",
    "8945362017",
    "9438617205",
    "2581436790",
)


def damm(digits: str) -> int:
    interim = 0
    for digit in digits:
        interim = int(_DAMM[interim][int(digit)])
    return interim


def new_receipt() -> str:
    """15 random digits and their Damm check digit: 10^15 receipts."""
    body = "".join(secrets.choice("0123456789") for _ in range(RECEIPT_DIGITS - 1))
    return body + str(damm(body))


def receipt_checks(receipt: str) -> bool:
    """True when the last digit is the Damm check digit of the others (every receipt issued since it exists)."""
    return damm(receipt) == 0


def normalize_receipt(text: str) -> str:
    """Accept the receipt as people write it down (spaces, dashes, dots) and return its 16 digits."""
    digits = "".join(ch for ch in str(text) if ch not in " -.\t\u00a0")
    if len(digits) != RECEIPT_DIGITS or not digits.isascii() or not digits.isdigit():
        raise InvalidReceipt(text)
    return digits


def format_receipt(receipt: str) -> str:
    """Groups of four, easier to copy by hand: 1234 5678 9012 3456."""
    return " ".join(receipt[i : i + 4] for i in range(0, len(receipt), 4))


def _pepper() -> bytes:
    return settings.SAFECHANNEL_PEPPER.encode()


def _derive(master: bytes, purpose: bytes, size: int = 32) -> bytes:
    return hashlib.blake2b(master, key=_pepper()[:64], person=purpose, digest_size=size).digest()


@dataclass(frozen=True)
class ReceiptSecrets:
    lookup: str  # hex, stored with a unique index
    key: bytes  # never stored


def receipt_secrets(receipt: str) -> ReceiptSecrets:
    """One Argon2id run (the expensive step that makes guessing slow), then two cheap keyed derivations."""
    params = settings.SAFECHANNEL_ARGON2
    salt = hashlib.blake2b(_pepper(), person=b"amparo-rcpt-salt", digest_size=16).digest()
    master = hash_secret_raw(
        secret=receipt.encode(),
        salt=salt,
        time_cost=params["time_cost"],
        memory_cost=params["memory_kib"],
        parallelism=params["parallelism"],
        hash_len=32,
        type=Type.ID,
    )
    return ReceiptSecrets(lookup=_derive(master, b"rcpt-lookup").hex(), key=_derive(master, b"rcpt-key"))


# --- Symmetric encryption ------------------------------------------------------------------------------------


def new_key() -> bytes:
    return nacl.utils.random(KEY_SIZE)


def encrypt(key: bytes, plaintext: bytes) -> bytes:
    return bytes(nacl.secret.SecretBox(key).encrypt(plaintext))


def decrypt(key: bytes, ciphertext: Blob) -> bytes:
    try:
        return nacl.secret.SecretBox(key).decrypt(bytes(ciphertext))
    except (nacl.exceptions.CryptoError, ValueError, TypeError) as exc:
        raise CryptoError("cannot decrypt") from exc


# --- Key pairs -----------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class KeyPair:
    public: bytes
    private: bytes


def new_keypair() -> KeyPair:
    private = PrivateKey.generate()
    return KeyPair(public=bytes(private.public_key), private=bytes(private))


def seal(public_key: Blob, plaintext: bytes) -> bytes:
    return bytes(SealedBox(PublicKey(bytes(public_key))).encrypt(plaintext))


def unseal(private_key: bytes, ciphertext: Blob) -> bytes:
    try:
        return SealedBox(PrivateKey(bytes(private_key))).decrypt(bytes(ciphertext))
    except (nacl.exceptions.CryptoError, ValueError, TypeError) as exc:
        raise CryptoError("cannot unseal") from exc


def public_key_of(private_key: bytes) -> bytes:
    return bytes(PrivateKey(bytes(private_key)).public_key)


# --- Password-protected private keys -------------------------------------------------------------------------

PASSWORD_SALT_SIZE = nacl.pwhash.argon2id.SALTBYTES


def password_key(password: str, salt: Blob) -> bytes:
    return nacl.pwhash.argon2id.kdf(
        KEY_SIZE,
        password.encode(),
        bytes(salt),
        opslimit=nacl.pwhash.argon2id.OPSLIMIT_INTERACTIVE,
        memlimit=nacl.pwhash.argon2id.MEMLIMIT_INTERACTIVE,
    )


def lock_private_key(private_key: bytes, password: str) -> tuple[bytes, bytes]:
    """Returns (salt, encrypted private key)."""
    salt = nacl.utils.random(PASSWORD_SALT_SIZE)
    return salt, encrypt(password_key(password, salt), private_key)


def unlock_private_key(salt: Blob, locked: Blob, password: str) -> bytes:
    return decrypt(password_key(password, salt), locked)


# --- Recovery keys (held offline by the coordinator) ---------------------------------------------------------


def recovery_key_text(private_key: bytes) -> str:
    """The recovery private key as text a coordinator can print or store: hex in groups of eight."""
    raw = private_key.hex()
    return "-".join(raw[i : i + 8] for i in range(0, len(raw), 8))


def recovery_key_from_text(text: str) -> bytes:
    cleaned = "".join(ch for ch in text.lower() if ch in "0123456789abcdef")
    if len(cleaned) != KEY_SIZE * 2:
        raise CryptoError("a recovery key has 64 hexadecimal characters")
    return bytes.fromhex(cleaned)
