"""The cells of the role matrix (test_role_matrix.py), in a module of their own so that other apps' rule modules
(amparo/surveys/tests/matrix_rules) can build them without importing the test module."""

from __future__ import annotations

import importlib
import pkgutil
from collections.abc import Callable
from dataclasses import dataclass
from types import ModuleType

from django.apps import apps

from amparo.accounts.roles import PLATFORM_ADMIN, Role

ALL_ROLES = [*Role.values, PLATFORM_ADMIN]
ANON = "anonymous"
OPEN = "open"  # sign-in and recovery pages: reachable by anyone


@dataclass(frozen=True)
class Case:
    allowed: frozenset[str] | str
    args: Callable[[dict[str, object]], list[object]] = lambda world: []
    method: str = "get"
    ok: int = 200  # what an allowed user gets


def rule_modules() -> list[ModuleType]:
    """Every app's role-matrix rule modules: `<app>.tests.matrix_rules.<part>`, each defining EXPECTED and POSTS
    (URL name -> Case) and `world(org, users) -> dict` with the objects its URLs take. New apps (surveys, networks,
    insights, campaigns) add their pages there, one module per part, without editing the matrix."""
    found: list[ModuleType] = []
    for config in apps.get_app_configs():
        if not config.name.startswith("amparo."):
            continue
        try:
            package = importlib.import_module(f"{config.name}.tests.matrix_rules")
        except ModuleNotFoundError:
            continue
        found.extend(
            importlib.import_module(f"{package.__name__}.{info.name}")
            for info in pkgutil.iter_modules(package.__path__)
            if not info.name.startswith("_")
        )
    return found
