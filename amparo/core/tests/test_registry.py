"""Core learns about the apps by registration (AppConfig), not imports: what an app contributes to load_demo and
rotate_field_keys is found through django.apps, so an app that core has never heard of takes part."""

from __future__ import annotations

import ast
import io
from collections.abc import Iterable
from pathlib import Path
from typing import Any

import pytest
from cryptography.fernet import Fernet
from django.apps import apps
from django.core.management import call_command
from django.core.management.base import OutputWrapper

from amparo.core import registry
from amparo.core.registry import DemoLoader, DemoRun, EncryptedFileStore

CORE = Path(registry.__file__).parent
DOMAIN_APPS = {"directory", "pathways", "safechannel", "cases", "referrals"}


class NewAppConfig:
    """Stands for the AppConfig of an app added later (surveys, campaigns...): the optional methods, and no models."""

    def __init__(self, files: list[Path]) -> None:
        self.files = files
        self.ran: list[str] = []

    def get_models(self) -> list[Any]:
        return []

    def demo_loaders(self) -> Iterable[DemoLoader]:
        return (
            DemoLoader(35, "new app, between accounts and focal points", self._load),
            DemoLoader(1000, "new app, last", lambda run: run.say_at_end("new app: last line")),
        )

    def encrypted_file_stores(self) -> Iterable[EncryptedFileStore]:
        return (EncryptedFileStore("new app's files", lambda: [*self.files, self.files[0].with_name("gone.bin")]),)

    def _load(self, run: DemoRun) -> None:
        self.ran.append("loaded")
        run.say("new app: loaded")


@pytest.fixture
def new_app(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> NewAppConfig:
    config = NewAppConfig([tmp_path / "a.bin", tmp_path / "b.bin"])
    installed = apps.get_app_configs()
    monkeypatch.setattr(apps, "get_app_configs", lambda: [*installed, config])
    return config


def test_core_imports_no_domain_app() -> None:
    offenders = []
    for path in CORE.rglob("*.py"):
        if "tests" in path.relative_to(CORE).parts:
            continue
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            names = [node.module or ""] if isinstance(node, ast.ImportFrom) else []
            names += [alias.name for alias in node.names] if isinstance(node, ast.Import) else []
            for name in names:
                parts = name.split(".")
                if parts[0] == "amparo" and len(parts) > 1 and parts[1] in DOMAIN_APPS:
                    offenders.append(f"{path.relative_to(CORE)}: {name}")
    assert offenders == []


def test_the_installed_apps_contribute_their_demo_steps_in_order() -> None:
    names = [loader.name for loader in registry.demo_loaders()]
    assert names == [
        "directory",
        "care pathways",
        "staff accounts",
        "directory: focal points of the demo accounts",
        "safe channel",
        "cases",
        "surveys",
        "networks",
        "networks: a monitoring plan for Cúcuta",
        "insights: statistics for the dashboards",
        "insights: published figures (four eyes)",
        "insights: a situation report",
        "campaigns: materials and short links",
        "feedback on demo services (one flagged)",
        "campaigns: the bulletin and the library",
    ]
    assert [store.name for store in registry.encrypted_file_stores()] == ["legal documents", "case files"]


def test_a_registered_demo_loader_runs_in_its_place(new_app: NewAppConfig) -> None:
    loaders = registry.demo_loaders()
    names = [loader.name for loader in loaders]
    assert names.index("staff accounts") < names.index("new app, between accounts and focal points")
    assert names.index("new app, between accounts and focal points") < names.index(
        "directory: focal points of the demo accounts"
    )
    assert names[-1] == "new app, last"
    out = io.StringIO()
    run = DemoRun(reset=False, stdout=OutputWrapper(out))
    for loader in loaders:
        if loader.name.startswith("new app"):
            loader.load(run)
    assert new_app.ran == ["loaded"] and out.getvalue() == "new app: loaded\n"
    assert run.closing == ["new app: last line"]


@pytest.mark.django_db
def test_rotate_field_keys_rotates_a_registered_file_store(new_app: NewAppConfig, settings: Any) -> None:
    old, new = Fernet.generate_key().decode(), Fernet.generate_key().decode()
    for i, path in enumerate(new_app.files):
        path.write_bytes(Fernet(old.encode()).encrypt(f"file {i}".encode()))
    settings.FIELD_ENCRYPTION_KEYS = [new, old]
    out = io.StringIO()
    call_command("rotate_field_keys", stdout=out)
    assert "and 2 file(s)" in out.getvalue()  # the missing file is skipped
    assert [Fernet(new.encode()).decrypt(path.read_bytes()) for path in new_app.files] == [b"file 0", b"file 1"]
