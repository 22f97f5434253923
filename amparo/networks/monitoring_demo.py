"""The monitoring part of the demo (load_demo step 85): a plan for Cúcuta held by the demo network, its five
indicators, and two snapshots that differ. The demo has no history, so the earlier snapshot is computed for the
previous period and then marked as a plausible past: a few more stale services, two gaps since closed, a lower
acceptance. It says so in its values ("demo": true)."""

from __future__ import annotations

from datetime import timedelta

from django.utils import timezone

from amparo.accounts.models import Organization as MemberOrganization
from amparo.core.registry import DemoRun
from amparo.directory.models import Place

from .gaps import Level
from .models import Indicator, MonitoringPlan, Snapshot
from .monitoring import compute, period_bounds, snapshot_take

DEMO_ORGANIZATION = "Red Violeta (demo)"
PLAN_NAME = "Red de protección de Cúcuta (demo)"
# kind -> (baseline, target)
INDICATORS = {
    Indicator.Kind.REFERRAL_ACCEPTANCE: (60.0, 85.0),
    Indicator.Kind.TIME_TO_ATTENTION: (5.0, 2.0),
    Indicator.Kind.STALE_SERVICES: (12.0, 3.0),
    Indicator.Kind.OPEN_GAPS: (40.0, 20.0),
    Indicator.Kind.DISCRIMINATION: (45.0, 30.0),
}


def load_demo_monitoring(run: DemoRun) -> None:
    organization = MemberOrganization.objects.filter(name=DEMO_ORGANIZATION).first()
    cucuta = Place.objects.filter(pcode="CO54001").first()
    if organization is None or cucuta is None:
        run.say("networks: no demo organisation or no Cúcuta; monitoring plan skipped")
        return
    today = timezone.localdate()
    plan, _created = MonitoringPlan.objects.update_or_create(
        organization=organization,
        name=PLAN_NAME,
        defaults={"place": cucuta, "period": MonitoringPlan.Period.QUARTER},
    )
    for kind, (baseline, target) in INDICATORS.items():
        Indicator.objects.update_or_create(
            plan=plan,
            kind=kind,
            defaults={
                "baseline": baseline,
                "baseline_on": today - timedelta(days=180),
                "target": target,
                "target_on": today + timedelta(days=365),
                "responsible_organization": organization,
                "responsible_person": "Coordinación de la mesa de protección",
            },
        )
    start, _end = period_bounds(plan.period, today)
    before_start, before_end = period_bounds(plan.period, start - timedelta(days=1))
    computed = compute(plan, before_start, before_end, before_end - timedelta(days=1))
    values = {kind: {**value.as_json(), "demo": True} for kind, value in computed.values.items()}
    stale = values[Indicator.Kind.STALE_SERVICES]
    if stale["value"] is not None:
        stale["value"] = stale["value"] + 3
    acceptance = values[Indicator.Kind.REFERRAL_ACCEPTANCE]
    if acceptance["value"] is not None:
        acceptance["value"] = max(0.0, round(acceptance["value"] - 12.5, 1))
    # Two cells covered today were gaps then (closed since).
    from .gap_selectors import GapQuery, gap_matrix

    covered_now = [
        f"{row.place.pcode}:{cell.type_code}"
        for row in gap_matrix(GapQuery(scope=cucuta), today).rows
        for cell in row.cells
        if cell.level < Level.GAP
    ][:2]
    gaps_then = sorted({*computed.open_gaps, *covered_now})
    values[Indicator.Kind.OPEN_GAPS] = {"value": float(len(gaps_then)), "n": len(gaps_then), "note": "", "demo": True}
    Snapshot.objects.update_or_create(
        plan=plan,
        period_start=before_start,
        defaults={
            "period_end": before_end,
            "taken_on": before_end - timedelta(days=1),
            "values": values,
            "open_gaps": gaps_then,
        },
    )
    snapshot_take(actor=None, plan=plan, today=today)
    run.say(f"networks: monitoring plan for Cúcuta with {plan.snapshots.count()} snapshots")
