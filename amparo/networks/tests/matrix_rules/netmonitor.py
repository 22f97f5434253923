"""Coverage gaps and monitoring plans in the role matrix: coordinators and platform admins edit, analysts and
monitors read. Another organisation's plan is a 404 (checked for every URL here with an object)."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from django.utils import timezone

from amparo.accounts.roles import PLATFORM_ADMIN, Role
from amparo.accounts.tests.matrix_case import Case
from amparo.directory.models import Place
from amparo.networks.models import Indicator, MonitoringPlan, Snapshot

READ = frozenset({Role.COORDINATOR, Role.ANALYST, Role.MONITOR, PLATFORM_ADMIN})
EDIT = frozenset({Role.COORDINATOR, PLATFORM_ADMIN})


def _plan(w: dict[str, object]) -> list[object]:
    return [w["monitoring_plan"].uuid]  # type: ignore[attr-defined]


EXPECTED: dict[str, Any] = {
    "networks:gaps": Case(READ),
    "networks:plans": Case(READ),
    "networks:plan_new": Case(EDIT),
    "networks:plan": Case(READ, _plan),
    "networks:plan_edit": Case(EDIT, _plan),
    "networks:snapshot": Case(
        READ,
        lambda w: [w["monitoring_plan"].uuid, w["monitoring_snapshot"].pk],  # type: ignore[attr-defined]
    ),
    # An empty POST takes this period's snapshot and goes back to the plan.
    "networks:snapshot_new": Case(EDIT, _plan, "post", 302),
    "networks:plan_print": Case(READ, _plan),
    "networks:plan_pdf": Case(READ, _plan),
}
# An empty POST of the plan forms: "at least one indicator" (400), nothing saved.
POSTS: dict[str, Any] = {
    "networks:plan_new": Case(EDIT, method="post", ok=400),
    "networks:plan_edit": Case(EDIT, _plan, "post", 400),
}


def world(org: Any, users: dict[str, Any]) -> dict[str, object]:
    today = timezone.localdate()
    plan = MonitoringPlan.objects.create(
        organization=org,
        name="Plan de prueba",
        place=Place.objects.get(pcode="CO54001"),
        created_by=users[Role.COORDINATOR],
    )
    Indicator.objects.create(
        plan=plan,
        kind=Indicator.Kind.STALE_SERVICES,
        baseline=10,
        baseline_on=today - timedelta(days=30),
        target=2,
        target_on=today + timedelta(days=300),
    )
    snapshot = Snapshot.objects.create(
        plan=plan,
        period_start=today.replace(day=1) - timedelta(days=400),
        period_end=today.replace(day=1) - timedelta(days=300),
        taken_on=today - timedelta(days=300),
        values={"stale_services": {"value": 9.0, "n": 40, "note": ""}},
    )
    return {"monitoring_plan": plan, "monitoring_snapshot": snapshot}
