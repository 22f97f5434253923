"""One encrypted archive of a deployment: the database and the storage folders, never the keys (docs/operations.md).

The archive is an age file (https://age-encryption.org, through `pyrage`) encrypted to one X25519 recipient, the
BACKUP_RECIPIENT public key: the server that writes backups cannot read them, only whoever holds the identity
(private key), kept off the server. Inside the encryption, a tar stream:

    database/amparo.pgdump | database/amparo.sqlite3   pg_dump's custom format, or a consistent SQLite copy
    storage/<name>/<path>                              each registered storage folder (core.registry.storage_dirs)
    manifest.json                                      last: format, app version, migrations, creation time, and
                                                       every file above with its SHA-256 and size

Nothing is held in memory: tar writes into a pipe that age encrypts to the output file on a second thread, and a
restore decrypts through a pipe into a private staging folder. A restore checks every checksum and the file list
before it touches the database or a storage folder, and refuses a target that holds anything.

Consistency: the database is dumped first (one snapshot), the folders are read after. A file the dumped database
refers to was written before its row was committed, so it is in the folders when they are read; a file written
during the backup may come along without its row (an orphan, harmless, removed by the purges).

The keys (FIELD_ENCRYPTION_KEYS, SAFECHANNEL_PEPPER, CASE_SEARCH_KEY, SECRET_KEY and their var/ files) are never
read: they live in the environment or in var/ beside, not inside, the storage folders; a key file found inside a
storage folder is skipped all the same.
"""

from __future__ import annotations

import hashlib
import io
import json
import os
import shutil
import sqlite3
import subprocess
import tarfile
import tempfile
import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from importlib import metadata
from pathlib import Path, PurePosixPath
from typing import IO, Any

import pyrage
from django.db import connections
from django.db.migrations.loader import MigrationLoader
from django.db.migrations.recorder import MigrationRecorder

from amparo.core.registry import storage_dirs

FORMAT = "amparo-backup/1"
MANIFEST = "manifest.json"
DATABASE_FILES = {"database/amparo.pgdump": "postgresql", "database/amparo.sqlite3": "sqlite"}
CHUNK = 1 << 20
KEY_FILE_NAMES = {"secret_key", "field_encryption_key", "safechannel_pepper", "case_search_key"}  # settings.py


class BackupError(Exception):
    """What went wrong, in words for the person on call; nothing was changed when a restore raises it."""


# --- Keys ----------------------------------------------------------------------------------------------------


def parse_recipient(text: str) -> pyrage.x25519.Recipient:
    text = (text or "").strip()
    if not text:
        raise BackupError("BACKUP_RECIPIENT is not set: give it the public key (age1...) of the backup identity.")
    if text.upper().startswith("AGE-SECRET-KEY-"):
        raise BackupError(
            "BACKUP_RECIPIENT holds a private key: give the PUBLIC key (age1...), keep the private one off this server."
        )
    try:
        return pyrage.x25519.Recipient.from_str(text)
    except pyrage.RecipientError as exc:
        raise BackupError(f"BACKUP_RECIPIENT is not an age public key (age1...): {exc}") from exc


def read_identity(path: Path) -> pyrage.x25519.Identity:
    """The identity (private key) from a file as `age-keygen` and `amparo backup_keygen` write it."""
    try:
        lines = path.read_text().splitlines()
    except (OSError, UnicodeDecodeError) as exc:
        raise BackupError(f"Cannot read the identity file {path}: {exc}") from exc
    keys = [line.strip() for line in lines if line.strip().upper().startswith("AGE-SECRET-KEY-")]
    if not keys:
        if any(line.strip().startswith("age1") for line in lines):
            raise BackupError(f"{path} holds a public key; a restore needs the identity (the private key file).")
        raise BackupError(f"{path} is not an age identity file (no AGE-SECRET-KEY- line).")
    try:
        return pyrage.x25519.Identity.from_str(keys[0])
    except pyrage.IdentityError as exc:
        raise BackupError(f"{path} holds a damaged identity: {exc}") from exc


def new_identity() -> tuple[str, str]:
    """(identity file text, public key) for a new backup key pair, in age-keygen's file format."""
    identity = pyrage.x25519.Identity.generate()
    public = str(identity.to_public())
    created = datetime.now(UTC).replace(microsecond=0).isoformat()
    return f"# created: {created}\n# public key: {public}\n{identity}\n", public


# --- Files and checksums -------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Entry:
    path: str  # inside the archive
    sha256: str
    size: int


class _Hashing:
    """A reader that hashes and counts what passes through it (tar reads a file once, the hash is free)."""

    def __init__(self, raw: IO[bytes]) -> None:
        self.raw, self.hash, self.size = raw, hashlib.sha256(), 0

    def read(self, n: int = -1) -> bytes:
        data = self.raw.read(n)
        self.hash.update(data)
        self.size += len(data)
        return data


def _storage_files(root: Path) -> Iterator[tuple[Path, str]]:
    """Regular files under root (symlinks are not followed), with their POSIX path relative to root, sorted."""
    if not root.is_dir():
        return
    for folder, dirs, files in os.walk(root):
        dirs.sort()
        for name in sorted(files):
            path = Path(folder) / name
            if name in KEY_FILE_NAMES or path.is_symlink() or not path.is_file():
                continue
            yield path, path.relative_to(root).as_posix()


def _has_files(root: Path) -> bool:
    return root.is_dir() and any(p.is_file() or p.is_symlink() for p in root.rglob("*"))


# --- The database --------------------------------------------------------------------------------------------


def _pg_args(db: dict[str, Any]) -> tuple[list[str], dict[str, str]]:
    args = ["--dbname", str(db["NAME"])]
    for flag, key in (("--host", "HOST"), ("--port", "PORT"), ("--username", "USER")):
        if db.get(key):
            args += [flag, str(db[key])]
    env = dict(os.environ)
    if db.get("PASSWORD"):
        env["PGPASSWORD"] = str(db["PASSWORD"])
    return args, env


def _tool(name: str) -> str:
    found = shutil.which(name)
    if not found:
        raise BackupError(f"{name} is not installed (Debian: apt-get install postgresql-client).")
    return found


def _run(command: list[str], env: dict[str, str], what: str) -> None:
    done = subprocess.run(command, env=env, capture_output=True, text=True, check=False)  # noqa: S603
    if done.returncode != 0:
        raise BackupError(f"{what} failed ({done.returncode}): {done.stderr.strip()[-2000:]}")


def _dump_database(alias: str, folder: Path) -> tuple[str, Path]:
    connection = connections[alias]
    if connection.vendor == "postgresql":
        target = folder / "amparo.pgdump"
        args, env = _pg_args(connection.settings_dict)
        command = [_tool("pg_dump"), "--format=custom", "--no-owner", "--no-privileges", "--file", str(target), *args]
        _run(command, env, "pg_dump")
        return "database/amparo.pgdump", target
    if connection.vendor == "sqlite":
        target = folder / "amparo.sqlite3"
        connection.ensure_connection()
        copy = sqlite3.connect(target)
        try:
            connection.connection.backup(copy)  # the sqlite3 backup API: one consistent snapshot, even under writes
        finally:
            copy.close()
        return "database/amparo.sqlite3", target
    raise BackupError(f"Backups support PostgreSQL and SQLite, not {connection.vendor}.")


def _table_count(alias: str) -> int:
    return len(connections[alias].introspection.table_names())


def _restore_database(alias: str, name: str, staged: Path) -> None:
    connection = connections[alias]
    vendor = DATABASE_FILES[name]
    if vendor == "postgresql":
        args, env = _pg_args(connection.settings_dict)
        command = [
            _tool("pg_restore"), "--no-owner", "--no-privileges", "--single-transaction", "--exit-on-error", *args,
            str(staged),
        ]  # fmt: skip
        _run(command, env, "pg_restore")
    else:
        connection.ensure_connection()
        source = sqlite3.connect(staged)
        try:
            source.backup(connection.connection)
        finally:
            source.close()
    connection.close()  # the next query sees the restored schema from a fresh connection


def _migrations(alias: str) -> dict[str, list[str]]:
    applied: dict[str, list[str]] = {}
    for app, name in sorted(MigrationRecorder(connections[alias]).applied_migrations()):
        applied.setdefault(app, []).append(name)
    return applied


def app_version() -> str:
    try:
        return metadata.version("amparo")
    except metadata.PackageNotFoundError:
        return "unknown"


# --- Streaming through age -----------------------------------------------------------------------------------


def _pipe() -> tuple[IO[bytes], IO[bytes]]:
    read_fd, write_fd = os.pipe()
    return os.fdopen(read_fd, "rb"), os.fdopen(write_fd, "wb")


class _Worker(threading.Thread):
    """Runs one age call (which reads and writes file objects) beside the tar code on the other end of a pipe."""

    def __init__(self, work: Callable[[], None], closes: IO[bytes]) -> None:
        super().__init__(daemon=True)
        self.work, self.closes = work, closes
        self.error: BaseException | None = None

    def run(self) -> None:
        try:
            self.work()
        except BaseException as exc:  # handed to the main thread, which reports it
            self.error = exc
        finally:
            self.closes.close()  # the other end sees end-of-file or a broken pipe, never a hang


def backup_write(out: Path, recipient_text: str, *, alias: str = "default") -> dict[str, Any]:
    """Write the archive to `out` (through `out.partial`, renamed when complete); returns the manifest."""
    recipient = parse_recipient(recipient_text)
    if out.exists():
        raise BackupError(f"{out} exists already: choose a new name (a backup never overwrites another).")
    stores = storage_dirs()
    partial = out.with_name(out.name + ".partial")
    with tempfile.TemporaryDirectory(prefix="amparo-backup-") as work:
        migrations = _migrations(alias)
        db_name, db_file = _dump_database(alias, Path(work))
        manifest: dict[str, Any] = {
            "format": FORMAT,
            "app_version": app_version(),
            "created_at": datetime.now(UTC).isoformat(),
            "database": {"vendor": connections[alias].vendor, "file": db_name},
            "migrations": migrations,
            "storage": [store.name for store in stores],
            "files": [],
        }
        try:
            fd = os.open(partial, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        except OSError as exc:
            raise BackupError(f"Cannot write {partial}: {exc}") from exc
        try:
            with os.fdopen(fd, "wb") as sink:
                read_end, write_end = _pipe()
                worker = _Worker(lambda: pyrage.encrypt_io(read_end, sink, [recipient]), read_end)
                worker.start()
                try:
                    with write_end, tarfile.open(fileobj=write_end, mode="w|", format=tarfile.PAX_FORMAT) as tar:
                        _add(tar, manifest, db_name, db_file)
                        for store in stores:
                            for path, relative in _storage_files(store.path()):
                                _add(tar, manifest, f"storage/{store.name}/{relative}", path)
                        data = json.dumps(manifest, indent=1, sort_keys=True).encode()
                        info = tarfile.TarInfo(MANIFEST)
                        info.size, info.mode, info.mtime = len(data), 0o600, int(datetime.now(UTC).timestamp())
                        tar.addfile(info, io.BytesIO(data))
                except BrokenPipeError:
                    pass  # the encryption stopped: its own error is reported below
                finally:
                    worker.join()
                if worker.error is not None:
                    raise BackupError(f"Encrypting the archive failed: {worker.error}") from worker.error
                sink.flush()
                os.fsync(sink.fileno())
            partial.replace(out)
        except BaseException:
            partial.unlink(missing_ok=True)
            raise
    return manifest


def _add(tar: tarfile.TarFile, manifest: dict[str, Any], name: str, path: Path) -> None:
    stat = path.stat()
    info = tarfile.TarInfo(name)
    info.size, info.mode, info.mtime = stat.st_size, 0o600, int(stat.st_mtime)
    with path.open("rb") as raw:
        reader = _Hashing(raw)
        tar.addfile(info, reader)  # reads exactly `size` bytes, or fails
    manifest["files"].append({"path": name, "sha256": reader.hash.hexdigest(), "size": reader.size})


# --- Restore -------------------------------------------------------------------------------------------------


def _safe_name(name: str) -> str:
    path = PurePosixPath(name)
    if path.is_absolute() or not path.parts or any(part in {"", ".", ".."} for part in path.parts) or "\\" in name:
        raise BackupError(f"The archive holds a file with an unsafe name ({name!r}): it was not made by amparo backup.")
    return path.as_posix()


def _check_targets_empty(alias: str, stores: dict[str, Path]) -> None:
    tables = _table_count(alias)
    if tables:
        raise BackupError(
            f"The target database is not empty ({tables} tables). A restore goes into an empty database: create a "
            "new one and point DATABASE_URL at it (never restore over a live deployment)."
        )
    full = [f"{name} ({path})" for name, path in stores.items() if _has_files(path)]
    if full:
        raise BackupError(f"Storage folders that are not empty: {', '.join(full)}. A restore needs them empty.")


def _unpack(archive: Path, identity: pyrage.x25519.Identity, staging: Path) -> dict[str, Entry]:
    """Decrypt and unpack into staging; returns what was found, each with the checksum of what was written."""
    found: dict[str, Entry] = {}
    read_end, write_end = _pipe()
    tar_error: Exception | None = None
    with archive.open("rb") as source:
        worker = _Worker(lambda: pyrage.decrypt_io(source, write_end, [identity]), write_end)
        worker.start()
        try:
            with tarfile.open(fileobj=read_end, mode="r|") as tar:
                for member in tar:
                    found_entry = _unpack_member(tar, member, staging, found)
                    found[found_entry.path] = found_entry
            while read_end.read(CHUNK):
                pass  # the tar's end padding: let age finish (and check the last chunk's tag)
        except (tarfile.TarError, OSError, BackupError) as exc:
            tar_error = exc
        finally:
            read_end.close()
            worker.join()
    error = worker.error
    if isinstance(error, pyrage.DecryptError) and "no matching keys" in str(error).lower():
        raise BackupError("This identity does not open this archive: it was encrypted to another key.") from error
    if isinstance(tar_error, BackupError):
        raise tar_error
    if error is not None and not isinstance(error, BrokenPipeError):
        raise BackupError(f"The archive is damaged or truncated (decryption failed: {error}).") from error
    if tar_error is not None:
        raise BackupError(f"The archive is damaged or truncated ({tar_error}).") from tar_error
    return found


def _unpack_member(tar: tarfile.TarFile, member: tarfile.TarInfo, staging: Path, found: dict[str, Entry]) -> Entry:
    name = _safe_name(member.name)
    if not member.isfile():
        raise BackupError(f"The archive holds something that is not a file ({name}).")
    if name in found:
        raise BackupError(f"The archive holds {name} twice.")
    target = staging / name
    digest, size = hashlib.sha256(), 0
    extracted = tar.extractfile(member)
    assert extracted is not None  # a regular file
    try:
        target.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
        out = target.open("xb")
    except OSError as exc:
        raise BackupError(f"Cannot write the staging folder {staging}: {exc}") from exc
    with out:
        while chunk := extracted.read(CHUNK):  # a read error here is the archive's (damaged, truncated)
            digest.update(chunk)
            size += len(chunk)
            try:
                out.write(chunk)
            except OSError as exc:
                raise BackupError(
                    f"Cannot write the staging folder {staging} ({exc}): make room, or point TMPDIR at a disk with "
                    "as much free space as the archive."
                ) from exc
    return Entry(name, digest.hexdigest(), size)


def verify(found: dict[str, Entry], staging: Path) -> dict[str, Any]:
    """The manifest, once every file it lists is present with its size and SHA-256, and nothing else is."""
    if MANIFEST not in found:
        raise BackupError("The archive has no manifest: it is truncated, or was not made by amparo backup.")
    try:
        manifest: dict[str, Any] = json.loads((staging / MANIFEST).read_text())
        listed = {item["path"]: Entry(item["path"], item["sha256"], int(item["size"])) for item in manifest["files"]}
        database = manifest["database"]["file"]
    except (ValueError, KeyError, TypeError) as exc:
        raise BackupError(f"The archive's manifest is not readable: {exc}") from exc
    if manifest.get("format") != FORMAT:
        raise BackupError(f"The archive's format is {manifest.get('format')!r}; this version reads {FORMAT}.")
    present = {name: entry for name, entry in found.items() if name != MANIFEST}
    missing = sorted(set(listed) - set(present))
    extra = sorted(set(present) - set(listed))
    if missing or extra:
        raise BackupError(f"The archive does not match its manifest: missing {missing[:5]}, unexpected {extra[:5]}.")
    bad = sorted(name for name, entry in listed.items() if present[name] != entry)
    if bad:
        raise BackupError(f"Checksum or size mismatch for {len(bad)} file(s), e.g. {bad[0]}: the archive is damaged.")
    if database not in DATABASE_FILES or database not in listed:
        raise BackupError("The archive's manifest names no database dump.")
    return manifest


def _check_migrations(manifest: dict[str, Any], alias: str) -> list[str]:
    """The archive's migrations must all be known to this code (else: install the version that made it). Returns
    the migrations this code has beyond the archive's: `migrate` applies them after the restore."""
    known = set(MigrationLoader(connections[alias], ignore_no_migrations=True).disk_migrations)
    archived = {(app, name) for app, names in manifest.get("migrations", {}).items() for name in names}
    unknown = sorted(archived - known)
    if unknown:
        raise BackupError(
            f"The archive was made by a newer Amparo ({manifest.get('app_version')}): migrations {unknown[:3]} are "
            "unknown to this code. Install that version (or newer) and restore again."
        )
    return sorted(f"{app}.{name}" for app, name in known - archived)


def archive_check(archive: Path, identity_file: Path) -> dict[str, Any]:
    """Decrypt and verify an archive without restoring it (the drill that proves a backup can be read)."""
    identity = read_identity(identity_file)
    if not archive.is_file():
        raise BackupError(f"{archive} is not a file.")
    with tempfile.TemporaryDirectory(prefix="amparo-restore-") as work:
        return verify(_unpack(archive, identity, Path(work)), Path(work))


def restore_read(archive: Path, identity_file: Path, *, alias: str = "default") -> dict[str, Any]:
    """Restore `archive` into this deployment's (empty) database and storage folders; returns the manifest with
    `pending_migrations` added. Raises BackupError, having changed nothing, for any problem found before writing."""
    identity = read_identity(identity_file)
    if not archive.is_file():
        raise BackupError(f"{archive} is not a file.")
    stores = {store.name: store.path() for store in storage_dirs()}
    _check_targets_empty(alias, stores)
    with tempfile.TemporaryDirectory(prefix="amparo-restore-") as work:
        staging = Path(work)
        found = _unpack(archive, identity, staging)
        manifest = verify(found, staging)
        database = manifest["database"]["file"]
        if DATABASE_FILES[database] != connections[alias].vendor:
            raise BackupError(
                f"This archive holds a {DATABASE_FILES[database]} database; this deployment runs on "
                f"{connections[alias].vendor}."
            )
        unknown_stores = sorted({name.split("/")[1] for name in found if name.startswith("storage/")} - set(stores))
        if unknown_stores:
            raise BackupError(f"The archive holds storage this deployment does not know: {unknown_stores}.")
        pending = _check_migrations(manifest, alias)
        _check_targets_empty(alias, stores)  # again: nothing may have arrived while we unpacked
        # Nothing has been touched up to here. The database goes in one transaction (pg_restore
        # --single-transaction, or SQLite's backup API), then the files.
        _restore_database(alias, database, staging / database)
        try:
            for name in sorted(found):
                if not name.startswith("storage/"):
                    continue
                _, store, relative = name.split("/", 2)
                target = stores[store] / relative
                target.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
                shutil.move(staging / name, target)
                target.chmod(0o600)
        except OSError as exc:
            raise BackupError(
                f"The database was restored but copying the files failed ({exc}). Empty the database and the "
                "storage folders, make room, and restore again."
            ) from exc
    manifest["pending_migrations"] = pending
    return manifest
