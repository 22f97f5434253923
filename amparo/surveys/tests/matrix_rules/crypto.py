"""Role-matrix rules of encrypted forms and retention: the survey key (coordinators), decrypting a form's
submissions (analysts and coordinators), a form's retention and purge (coordinators). An empty POST is a 400 form
error for the roles allowed, and changes nothing."""

from __future__ import annotations

from typing import Any

from amparo.accounts.roles import Role
from amparo.accounts.tests.matrix_case import Case

COORDINATORS = frozenset({Role.COORDINATOR})
DECRYPTERS = frozenset({Role.ANALYST, Role.COORDINATOR})


def _org(world: dict[str, object]) -> list[object]:
    return [world["org"].uuid]  # type: ignore[attr-defined]


def _form(world: dict[str, object]) -> list[object]:
    return [world["survey_form"].uuid]  # type: ignore[attr-defined]


EXPECTED: dict[str, Case] = {
    "surveys:survey_key": Case(COORDINATORS, _org),
    "surveys:decrypt": Case(DECRYPTERS, _form),
    "surveys:retention": Case(COORDINATORS, _form),
}
POSTS: dict[str, Case] = {
    "surveys:survey_key": Case(COORDINATORS, _org, "post", 400),
    "surveys:decrypt": Case(DECRYPTERS, _form, "post", 400),
    "surveys:retention": Case(COORDINATORS, _form, "post", 400),
}


def world(org: Any, users: dict[str, Any]) -> dict[str, object]:
    return {}  # the skeleton's module provides the form (survey_form)
