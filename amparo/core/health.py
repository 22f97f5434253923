"""Readiness checks for `/readyz` (docs/observability.md): can this process serve survivors right now?

Each check does the real thing once, briefly: a query on the database, a write and read of a random key in the
cache, a small file written, synced and deleted in each storage folder. A check answers "ok" or "fail" and nothing
else: no error text, path or setting leaves the server (the reason is logged, as its exception class).

A storage folder must already exist: the application creates sub-folders as it writes, but a missing top folder
usually means an unmounted volume, and writing survivors' files onto the wrong disk is worse than not being ready.
Deployments create the folders (mode 700) before starting the application.
"""

from __future__ import annotations

import logging
import os
import secrets
import tempfile
from collections.abc import Callable
from pathlib import Path

from django.conf import settings
from django.core.cache import caches
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.db import connections

logger = logging.getLogger("amparo.health")


def check_database() -> None:
    with connections["default"].cursor() as cursor:
        cursor.execute("SELECT 1")
        if cursor.fetchone() != (1,):
            raise RuntimeError("unexpected answer")


def check_cache() -> None:
    cache = caches["default"]
    key = f"amparo:readyz:{secrets.token_hex(8)}"
    value = secrets.token_hex(8)
    cache.set(key, value, timeout=10)
    try:
        if cache.get(key) != value:
            raise RuntimeError("value not read back")
    finally:
        cache.delete(key)


def _check_folder(folder: Path) -> None:
    if not folder.is_dir():
        raise FileNotFoundError("storage folder missing")
    handle, name = tempfile.mkstemp(prefix=".readyz-", dir=folder)
    try:
        os.write(handle, b"ready")
        os.fsync(handle)
    finally:
        os.close(handle)
        os.unlink(name)


def check_default_storage() -> None:
    # Amparo keeps no file in Django's default storage today (the channel's and cases' files have their folders);
    # it is checked when a deployment configures it (MEDIA_ROOT), never by writing into the working directory.
    name = default_storage.save(f".readyz-{secrets.token_hex(8)}", ContentFile(b"ready"))
    default_storage.delete(name)


def checks() -> dict[str, Callable[[], None]]:
    found: dict[str, Callable[[], None]] = {
        "database": check_database,
        "cache": check_cache,
        "storage_safechannel": lambda: _check_folder(Path(settings.SAFECHANNEL_STORAGE_DIR)),
        "storage_cases": lambda: _check_folder(Path(settings.CASES_STORAGE_DIR)),
    }
    if settings.MEDIA_ROOT:
        found["storage_default"] = check_default_storage
    return found


def readiness() -> dict[str, str]:
    """Each check's result, "ok" or "fail"."""
    results: dict[str, str] = {}
    for name, check in checks().items():
        try:
            check()
        except Exception as exc:  # any failure means "not ready"; the reason goes to the log, not to the client
            logger.warning("readiness check failed: %s", type(exc).__name__, extra={"check": name})
            results[name] = "fail"
        else:
            results[name] = "ok"
    return results
