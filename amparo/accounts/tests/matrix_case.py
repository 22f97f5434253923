"""The cells of the role matrix (test_role_matrix.py), in a module of their own so that other apps' rule modules
(amparo/surveys/tests/matrix_rules) can build them without importing the test module."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

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
