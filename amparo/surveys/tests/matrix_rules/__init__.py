"""The surveys' rows of the role matrix (amparo/accounts/tests/test_role_matrix.py), one module per part of the
app so that each part adds its pages without touching the others: each module defines EXPECTED and POSTS (URL name ->
Case, as in the matrix) and `world(org, users) -> dict` with the objects its URLs take. The matrix merges them all."""

from __future__ import annotations

import importlib
import pkgutil
from types import ModuleType


def rule_modules() -> list[ModuleType]:
    return [
        importlib.import_module(f"{__name__}.{info.name}")
        for info in pkgutil.iter_modules(__path__)
        if not info.name.startswith("_")
    ]
