"""What the apps contribute to core's commands, by registration instead of imports (DESIGN.md: "core learns about
domains by registration (AppConfig), not imports").

An app's AppConfig may define either of these methods; both are optional (docs/architecture.md, "Registry"):

    def demo_loaders(self) -> Iterable[DemoLoader]: ...
        the steps of `manage.py load_demo`, run in `order` across all apps;
    def encrypted_file_stores(self) -> Iterable[EncryptedFileStore]: ...
        files encrypted with FIELD_ENCRYPTION_KEYS, re-encrypted by `manage.py rotate_field_keys`;
    def encrypted_blob_columns(self) -> Iterable[EncryptedBlobColumn]: ...
        binary columns holding Fernet tokens under FIELD_ENCRYPTION_KEYS (files kept in the database), re-encrypted
        by `manage.py rotate_field_keys` like the text fields;
    def storage_dirs(self) -> Iterable[StorageDir]: ...
        folders of files the database refers to, copied by `amparo backup` and filled by `amparo restore`.

Encrypted database fields need no registration: every `core.encryption.EncryptedTextField` of an installed app's
models is found by its type (`encrypted_fields()`).

Core walks `django.apps.apps.get_app_configs()` and imports no domain app, so an app added later (surveys, networks,
insights, campaigns) takes part by defining these methods in its own AppConfig. The methods import their app's
modules inside their body: AppConfig modules are imported before the models are ready.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Protocol, runtime_checkable

from django.apps import apps

from .encryption import EncryptedTextField

if TYPE_CHECKING:
    from django.core.management.base import OutputWrapper
    from django.db import models


@dataclass
class DemoRun:
    """One run of `load_demo`, handed to every demo loader."""

    reset: bool  # --reset: rebuild the demo directory from scratch
    stdout: OutputWrapper  # the command's output, for loaders that call other commands
    closing: list[str] = field(default_factory=list)

    def say(self, line: str) -> None:
        """Print a line now (what was loaded)."""
        self.stdout.write(line)

    def say_at_end(self, line: str) -> None:
        """Print a line after every loader has run (accounts, keys: what the person trying the demo needs)."""
        self.closing.append(line)


@dataclass(frozen=True)
class DemoLoader:
    """One step of the demo. Steps run by ascending `order` (ties: in INSTALLED_APPS order); an app may contribute
    several steps (the directory links its focal points to the demo accounts once the accounts exist)."""

    order: int
    name: str
    load: Callable[[DemoRun], None]


@dataclass(frozen=True)
class EncryptedFileStore:
    """Files on disk that are Fernet tokens under FIELD_ENCRYPTION_KEYS (core.encryption.fernet()). `files` lists
    the paths the database knows of; those missing on disk are skipped."""

    name: str
    files: Callable[[], Iterable[Path]]


@dataclass(frozen=True)
class EncryptedBlobColumn:
    """A BinaryField whose non-empty values are Fernet tokens under FIELD_ENCRYPTION_KEYS (core.encryption's
    encrypt_bytes): unlike EncryptedTextField it cannot be found by its type, so its app names it."""

    model: Callable[[], type[models.Model]]  # called once the models are ready
    field: str


@dataclass(frozen=True)
class StorageDir:
    """A folder of files that belong with the database (encrypted attachments, legal documents...): a backup holds
    it, a restore fills it. `name` is how the archive knows it (stable across deployments, unlike the path)."""

    name: str
    path: Callable[[], Path]  # read from settings when asked: tests and deployments move the folders


@runtime_checkable
class ContributesDemo(Protocol):
    def demo_loaders(self) -> Iterable[DemoLoader]: ...


@runtime_checkable
class ContributesEncryptedFiles(Protocol):
    def encrypted_file_stores(self) -> Iterable[EncryptedFileStore]: ...


@runtime_checkable
class ContributesEncryptedBlobs(Protocol):
    def encrypted_blob_columns(self) -> Iterable[EncryptedBlobColumn]: ...


@runtime_checkable
class ContributesStorage(Protocol):
    def storage_dirs(self) -> Iterable[StorageDir]: ...


def demo_loaders() -> list[DemoLoader]:
    found = [
        loader
        for config in apps.get_app_configs()
        if isinstance(config, ContributesDemo)
        for loader in config.demo_loaders()
    ]
    return sorted(found, key=lambda loader: loader.order)


def encrypted_file_stores() -> list[EncryptedFileStore]:
    return [
        store
        for config in apps.get_app_configs()
        if isinstance(config, ContributesEncryptedFiles)
        for store in config.encrypted_file_stores()
    ]


def encrypted_blob_columns() -> list[EncryptedBlobColumn]:
    return [
        column
        for config in apps.get_app_configs()
        if isinstance(config, ContributesEncryptedBlobs)
        for column in config.encrypted_blob_columns()
    ]


def storage_dirs() -> list[StorageDir]:
    found = [
        store
        for config in apps.get_app_configs()
        if isinstance(config, ContributesStorage)
        for store in config.storage_dirs()
    ]
    names = [store.name for store in found]
    if len(set(names)) != len(names):
        raise ValueError(f"two apps register the same storage name: {sorted(names)}")
    return found


def encrypted_fields() -> list[tuple[type[models.Model], list[EncryptedTextField]]]:
    """Every model with encrypted fields, and those fields (concrete ones only: they are the columns)."""
    found = []
    for config in apps.get_app_configs():
        for model in config.get_models():
            fields = [f for f in model._meta.concrete_fields if isinstance(f, EncryptedTextField)]
            if fields:
                found.append((model, fields))
    return found
