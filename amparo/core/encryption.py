"""Identifying data encrypted at rest (DESIGN.md rule 3): model fields over `cryptography`'s Fernet
(AES-128-CBC with HMAC-SHA256: authenticated), keys from the environment, rotatable.

`FIELD_ENCRYPTION_KEYS` holds one or more Fernet keys separated by commas. The first encrypts; all of them decrypt
(`MultiFernet`), so a new key is put first, `manage.py rotate_field_keys` re-encrypts every value with it, and the
old key is then removed. A database dump alone holds only tokens.

Why our own field: the Django packages for this (django-fernet-fields, django-cryptography) are unmaintained or tie
keys to SECRET_KEY; this is a thin layer over the `cryptography` package, which does all the cryptography.
"""

from __future__ import annotations

from functools import lru_cache
from typing import Any

from cryptography.fernet import Fernet, InvalidToken, MultiFernet
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.db import models


@lru_cache(maxsize=4)
def _fernet(keys: tuple[str, ...]) -> MultiFernet:
    try:
        return MultiFernet([Fernet(key.encode()) for key in keys])
    except (ValueError, TypeError) as exc:
        raise ImproperlyConfigured("FIELD_ENCRYPTION_KEYS must be Fernet keys (32 url-safe base64 bytes)") from exc


def fernet() -> MultiFernet:
    return _fernet(tuple(settings.FIELD_ENCRYPTION_KEYS))


def encrypt_text(value: str) -> str:
    return fernet().encrypt(value.encode()).decode()


def decrypt_text(token: str) -> str:
    try:
        return fernet().decrypt(token.encode()).decode()
    except InvalidToken as exc:
        raise ImproperlyConfigured(
            "a value cannot be decrypted with FIELD_ENCRYPTION_KEYS (wrong or removed key)"
        ) from exc


def encrypt_bytes(data: bytes) -> bytes:
    return fernet().encrypt(data)


def decrypt_bytes(token: bytes) -> bytes:
    try:
        return fernet().decrypt(token)
    except InvalidToken as exc:
        raise ImproperlyConfigured(
            "a file cannot be decrypted with FIELD_ENCRYPTION_KEYS (wrong or removed key)"
        ) from exc


def rotate_token(token: str) -> str:
    return fernet().rotate(token.encode()).decode()


class EncryptedTextField(models.TextField):
    """Text stored as a Fernet token. Not searchable or sortable in the database, by design. Empty stays empty."""

    def from_db_value(self, value: str | None, expression: Any, connection: Any) -> str | None:
        if value is None or value == "":
            return value
        return decrypt_text(value)

    def get_prep_value(self, value: Any) -> str | None:
        value = super().get_prep_value(value)
        if value is None or value == "":
            return value
        return encrypt_text(str(value))
