"""Role-matrix rows of the statistics dashboards (analysts, coordinators, monitors, platform admins: aggregates
only) and of the data-sharing agreements (the organisation's coordinators; an empty POST is a 400 form error; ending
an agreement goes back to the list)."""

from __future__ import annotations

from datetime import date
from typing import Any

from amparo.accounts.roles import PLATFORM_ADMIN, Role
from amparo.accounts.tests.matrix_case import Case

DASHBOARD = frozenset({Role.ANALYST, Role.COORDINATOR, Role.MONITOR, PLATFORM_ADMIN})
AGREEMENTS = frozenset({Role.COORDINATOR, PLATFORM_ADMIN})


def _org(world: dict[str, object]) -> list[object]:
    return [world["org"].uuid]  # type: ignore[attr-defined]


def _agreement(world: dict[str, object]) -> list[object]:
    return [world["sharing_agreement"].uuid]  # type: ignore[attr-defined]


EXPECTED: dict[str, Any] = {
    "insights:dashboard": Case(DASHBOARD),
    "insights:agreements": Case(AGREEMENTS, _org),
    "insights:agreement_end": Case(AGREEMENTS, _agreement, "post", 302),
}
POSTS: dict[str, Any] = {
    "insights:agreements": Case(AGREEMENTS, _org, "post", 400),
}


def world(org: Any, users: dict[str, Any]) -> dict[str, object]:
    from amparo.insights.models import DataSharingAgreement

    agreement = DataSharingAgreement.objects.create(
        organization=org, scope="region", since=date(2026, 1, 1), document_reference="Convenio regional (matriz)"
    )
    return {"sharing_agreement": agreement}
