"""The network pages and the ties (netcore): readers see networks and ties, coordinators and platform admins edit."""

from __future__ import annotations

from datetime import date
from typing import Any

from amparo.accounts.roles import PLATFORM_ADMIN, Role
from amparo.accounts.tests.matrix_case import Case
from amparo.directory.models import Organization, Place
from amparo.networks.models import Tie, TieKind

READERS = frozenset({Role.COORDINATOR, Role.ANALYST, Role.MONITOR, PLATFORM_ADMIN})
EDITORS = frozenset({Role.COORDINATOR, PLATFORM_ADMIN})


def _tie(world: dict[str, object]) -> list[object]:
    return [world["network_tie"].uuid]  # type: ignore[attr-defined]


EXPECTED: dict[str, Case] = {
    # Without a place: the chooser (200); an export without a place says what is missing (400).
    "networks:network": Case(READERS),
    "networks:export": Case(READERS, ok=400),
    "networks:ties": Case(READERS),
    "networks:tie_new": Case(EDITORS),
    # A tie recorded by the world's organisation: its coordinators (and platform admins) change or end it.
    "networks:tie_edit": Case(EDITORS, _tie),
    "networks:tie_end": Case(EDITORS, _tie, "post", 400),
}
POSTS: dict[str, Case] = {
    "networks:tie_new": Case(EDITORS, method="post", ok=400),
    "networks:tie_edit": Case(EDITORS, _tie, "post", 400),
}


def world(org: Any, users: dict[str, Any]) -> dict[str, object]:
    first, second = Organization.objects.filter(locations__place__pcode="CO54001").order_by("pk")[:2]
    tie = Tie.objects.create(
        kind=TieKind.INFORMATION_EXCHANGE,
        from_organization=first,
        to_organization=second,
        place=Place.objects.get(pcode="CO54001"),
        starts_on=date(2026, 1, 1),
        recorded_by=users[Role.COORDINATOR],
        recorded_for=org,
    )
    return {"network_tie": tie}
