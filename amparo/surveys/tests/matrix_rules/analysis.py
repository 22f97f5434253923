"""The role matrix's rows for the analysis part of surveys: the risk characterisation and its exports (analysts and
coordinators: aggregates only), and imports (coordinators). Objects: the skeleton's test form (`survey_form`)."""

from __future__ import annotations

from typing import Any

from amparo.accounts.roles import Role
from amparo.accounts.tests.matrix_case import Case

ANALYSIS = frozenset({Role.ANALYST, Role.COORDINATOR})
COORDINATORS = frozenset({Role.COORDINATOR})


def _form(world: dict[str, object]) -> list[object]:
    return [world["survey_form"].uuid]  # type: ignore[attr-defined]


EXPECTED: dict[str, Any] = {
    "surveys:analysis_forms": Case(ANALYSIS),
    "surveys:characterisation": Case(ANALYSIS, _form),
    "surveys:characterisation_csv": Case(ANALYSIS, _form),
    "surveys:characterisation_xlsx": Case(ANALYSIS, _form),
    "surveys:import_export": Case(COORDINATORS, _form),
}
# The import form posted without a file: the page says what is missing (400).
POSTS: dict[str, Any] = {
    "surveys:import_export": Case(COORDINATORS, _form, "post", 400),
}


def world(org: Any, users: dict[str, Any]) -> dict[str, object]:
    return {}  # the skeleton's module provides `survey_form`
