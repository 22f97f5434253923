"""Scheduled work in the role matrix: the runs page is for coordinators (of any organisation: runs are platform
operations, no organisation's data) and platform administrators; nobody else. It takes no POST (405)."""

from __future__ import annotations

from typing import Any

from amparo.accounts.roles import PLATFORM_ADMIN, Role
from amparo.accounts.tests.matrix_case import Case

EXPECTED: dict[str, Any] = {"operations:runs": Case(frozenset({Role.COORDINATOR, PLATFORM_ADMIN}))}
POSTS: dict[str, Any] = {}


def world(org: Any, users: dict[str, Any]) -> dict[str, object]:
    return {}
