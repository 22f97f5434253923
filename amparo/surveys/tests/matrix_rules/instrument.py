"""The referral offer's rows of the role matrix: the offer of an interview for the enumerator who made it and the
coordinators of its organisation; the printable card (no interview behind it) for the staff who interview or
accompany. Neither takes a POST."""

from __future__ import annotations

from typing import Any

from amparo.accounts.roles import Role
from amparo.accounts.tests.matrix_case import Case

OFFER = frozenset({Role.ENUMERATOR, Role.COORDINATOR})
CARD = frozenset({Role.ENUMERATOR, Role.COORDINATOR, Role.CASEWORKER, Role.LEGAL_ADVISOR})


def _submission(world: dict[str, object]) -> list[object]:
    return [world["survey_submission"].uuid]  # type: ignore[attr-defined]


EXPECTED: dict[str, Case] = {
    "surveys:offer": Case(OFFER, _submission),
    "surveys:offer_card": Case(CARD),
}
POSTS: dict[str, Case] = {}


def world(org: Any, users: dict[str, Any]) -> dict[str, object]:
    return {}  # the skeleton's world has the enumerator's submission
