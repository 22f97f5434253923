"""Encrypted files on disk next to their database rows (safe-channel attachments, case files, legal documents):
written so that a crash, a killed process or a full disk never leaves a half-written file under a real name, and
swept so that files whose row never committed do not stay on disk (docs/faults.md).

How a file and its row are written (the services of safechannel and cases):
1. inside the transaction that inserts the row, the bytes go to a temporary name in the same folder
   (`.<random>.part`), are flushed and fsynced, then renamed onto the final name and the folder is fsynced: the final
   name holds the whole file or nothing;
2. if the transaction fails, the service removes the file again;
3. if the process dies between the rename and the commit (SIGKILL, power loss), the file stays without a row.
   `sweep_orphans` (run by the purge commands) removes files that no row names and that are older than
   `STORAGE_ORPHAN_GRACE_SECONDS`, so a transaction still in flight is never swept from under it.
"""

from __future__ import annotations

import errno
import os
import tempfile
import time
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

from django.conf import settings

TEMP_PREFIX = "."
TEMP_SUFFIX = ".part"
FULL_ERRNOS = {errno.ENOSPC, errno.EDQUOT, errno.EFBIG}


class StoreError(OSError):
    """A file could not be stored (nothing of it is left on disk). `full` when the disk or a quota is full."""

    def __init__(self, cause: OSError) -> None:
        super().__init__(cause.errno, cause.strerror)
        self.full = cause.errno in FULL_ERRNOS


def _fsync_folder(folder: Path) -> None:
    fd = os.open(folder, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def write_atomically(path: Path, data: bytes) -> None:
    """Write `data` to `path` whole or not at all (temporary name, fsync, rename, fsync of the folder). Raises
    StoreError, with no temporary file left behind, when the disk is full or the folder cannot be written."""
    try:
        path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
        fd, temporary = tempfile.mkstemp(dir=path.parent, prefix=TEMP_PREFIX, suffix=TEMP_SUFFIX)  # mode 0600
    except OSError as exc:
        raise StoreError(exc) from exc
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(temporary, path)
        _fsync_folder(path.parent)
    except BaseException as exc:
        Path(temporary).unlink(missing_ok=True)
        if isinstance(exc, OSError):
            raise StoreError(exc) from exc
        raise


@dataclass(frozen=True)
class Sweep:
    files: int = 0
    folders: int = 0


def sweep_orphans(root: Path, known: Iterable[str], *, grace_seconds: int | None = None) -> Sweep:
    """Delete the files under `root` that no row names (`known`: paths relative to root, with "/") and the empty
    folders, once they are older than the grace period (a transaction may still be about to commit a newer one).
    Temporary `.part` files left by a killed writer go the same way."""
    if not root.is_dir():
        return Sweep()
    grace = settings.STORAGE_ORPHAN_GRACE_SECONDS if grace_seconds is None else grace_seconds
    cutoff = time.time() - grace
    keep = set(known)
    files = folders = 0
    # Folders' ages before this sweep deletes anything in them (deleting changes a folder's mtime).
    folder_mtimes = {folder: os.lstat(folder).st_mtime for folder, _subfolders, _names in os.walk(root)}
    for folder, _subfolders, names in os.walk(root, topdown=False):
        base = Path(folder)
        for name in names:
            path = base / name
            relative = path.relative_to(root).as_posix()
            try:
                if relative in keep or path.lstat().st_mtime > cutoff:
                    continue
                path.unlink()
                files += 1
            except FileNotFoundError:
                continue
        if base != root:
            try:
                if not any(base.iterdir()) and folder_mtimes.get(folder, time.time()) <= cutoff:
                    base.rmdir()
                    folders += 1
            except OSError:  # not empty any more, or gone
                continue
    return Sweep(files, folders)
