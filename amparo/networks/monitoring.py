"""Monitoring protocols: the indicators computed from the data, snapshots per period and their comparison
(docs/networks.md, "Monitoring protocols"). Writes are one transaction each, audited in it.

Every figure is an aggregate: referrals are counted per status and timed (never read), services and gaps counted,
survey answers counted. A figure resting on fewer than 5 referrals or respondents is not computed (shown as
"fewer than 5"), as the issue's disclosure rule asks.
"""

from __future__ import annotations

import statistics
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

from django.conf import settings
from django.db import transaction
from django.db.models import Count, Exists, Min, OuterRef, Q
from django.utils import timezone
from django.utils.translation import gettext as _

from amparo.audit.services import audit_record
from amparo.directory.models import Place, Service, ServiceAtLocation
from amparo.directory.taxonomy import SERVICE_TYPE_BY_CODE
from amparo.referrals.models import Referral, ReferralEvent

from .gap_selectors import GapQuery, discrimination_counts, gap_matrix, municipalities
from .gaps import SMALL_COUNT, open_gaps
from .models import Indicator, MonitoringPlan, Snapshot

Kind = Indicator.Kind
# Whether a higher value is better (the others: lower is better).
HIGHER_IS_BETTER = {Kind.REFERRAL_ACCEPTANCE}
PERCENT_KINDS = {Kind.REFERRAL_ACCEPTANCE, Kind.DISCRIMINATION}
MONTHS = {
    MonitoringPlan.Period.MONTH: 1,
    MonitoringPlan.Period.QUARTER: 3,
    MonitoringPlan.Period.HALF: 6,
    MonitoringPlan.Period.YEAR: 12,
}

# Notes stored with a value that could not be computed (codes, translated when shown).
NOTE_FEWER = "fewer_than_5"
NOTE_NONE = "no_data"
NOTE_NO_SURVEY = "no_survey_data"


def period_bounds(period: str, day: date) -> tuple[date, date]:
    """The period (month, quarter, half-year, year) holding `day`: [start, end)."""
    months = MONTHS[MonitoringPlan.Period(period)]
    first_month = (day.month - 1) // months * months + 1
    start = date(day.year, first_month, 1)
    end_month = first_month + months
    end = date(day.year + (end_month - 1) // 12, (end_month - 1) % 12 + 1, 1)
    return start, end


@dataclass(frozen=True)
class Value:
    value: float | None
    n: int
    note: str = ""

    def as_json(self) -> dict[str, Any]:
        return {"value": self.value, "n": self.n, "note": self.note}

    @property
    def shown(self) -> str:
        """The figure, or in words why there is none (fewer than 5, no data, no survey data)."""
        return f"{self.value:g}" if self.value is not None else note_text(self.note)


def _counted(value: float, n: int) -> Value:
    if n == 0:
        return Value(None, 0, NOTE_NONE)
    if n < SMALL_COUNT:
        return Value(None, n, NOTE_FEWER)
    return Value(round(value, 1), n)


def _referrals_in(scope: Place) -> Any:
    places = municipalities(scope).values("pk")
    services = ServiceAtLocation.objects.filter(place__in=places).values("service")
    return Referral.objects.filter(service__in=services)


def referral_acceptance(scope: Place, start: date, end: date) -> Value:
    """Of the referrals sent in the period to services in the scope and answered, the share accepted (accepted,
    or attended, at any point) against declined."""
    accepted = ReferralEvent.objects.filter(
        referral=OuterRef("pk"), status__in=[Referral.Status.ACCEPTED, Referral.Status.ATTENDED]
    )
    declined = ReferralEvent.objects.filter(referral=OuterRef("pk"), status=Referral.Status.DECLINED)
    sent = _referrals_in(scope).filter(sent_at__date__gte=start, sent_at__date__lt=end)
    counts = sent.annotate(was_accepted=Exists(accepted), was_declined=Exists(declined)).aggregate(
        accepted=Count("pk", filter=Q(was_accepted=True)),
        declined=Count("pk", filter=Q(was_accepted=False, was_declined=True)),
    )
    answered = int(counts["accepted"] or 0) + int(counts["declined"] or 0)
    return _counted(100.0 * int(counts["accepted"] or 0) / answered if answered else 0.0, answered)


def time_to_attention(scope: Place, start: date, end: date) -> Value:
    """Median days from sending to the first "attended" of the referrals first attended in the period."""
    rows = (
        _referrals_in(scope)
        .annotate(first=Min("events__at", filter=Q(events__status=Referral.Status.ATTENDED)))
        .filter(first__date__gte=start, first__date__lt=end)
        .values_list("sent_at", "first")
    )
    days = [(first - sent).total_seconds() / 86400 for sent, first in rows]
    return _counted(statistics.median(days) if days else 0.0, len(days))


def stale_services(scope: Place, today: date) -> Value:
    """Active services with a location in the scope not verified within settings.STALE_AFTER_DAYS (n: all)."""
    places = municipalities(scope).values("pk")
    active = Service.objects.filter(
        status=Service.Status.ACTIVE, pk__in=ServiceAtLocation.objects.filter(place__in=places).values("service")
    )
    cutoff = today - timedelta(days=settings.STALE_AFTER_DAYS)
    counts = active.aggregate(
        total=Count("pk"), stale=Count("pk", filter=Q(last_verified_on__isnull=True) | Q(last_verified_on__lt=cutoff))
    )
    total = int(counts["total"] or 0)
    if total == 0:
        return Value(None, 0, NOTE_NONE)
    return Value(float(counts["stale"] or 0), total)


def discrimination(scope: Place, start: date, end: date) -> Value:
    respondents, named = discrimination_counts(scope, start, end)
    if respondents == 0:
        return Value(None, 0, NOTE_NO_SURVEY)
    return _counted(100.0 * named / respondents, respondents)


@dataclass(frozen=True)
class Computed:
    values: dict[str, Value]
    open_gaps: list[str]


def compute(plan: MonitoringPlan, start: date, end: date, today: date) -> Computed:
    """Every indicator of the plan for the period [start, end), up to today."""
    kinds = set(plan.indicators.values_list("kind", flat=True))
    until = min(end, today + timedelta(days=1))
    values: dict[str, Value] = {}
    gaps: list[str] = []
    if Kind.REFERRAL_ACCEPTANCE in kinds:
        values[Kind.REFERRAL_ACCEPTANCE] = referral_acceptance(plan.place, start, until)
    if Kind.TIME_TO_ATTENTION in kinds:
        values[Kind.TIME_TO_ATTENTION] = time_to_attention(plan.place, start, until)
    if Kind.STALE_SERVICES in kinds:
        values[Kind.STALE_SERVICES] = stale_services(plan.place, today)
    if Kind.OPEN_GAPS in kinds:
        gaps = sorted(open_gaps(gap_matrix(GapQuery(scope=plan.place), today)))
        values[Kind.OPEN_GAPS] = Value(float(len(gaps)), len(gaps))
    if Kind.DISCRIMINATION in kinds:
        values[Kind.DISCRIMINATION] = discrimination(plan.place, start, until)
    return Computed(values, gaps)


class SnapshotRefused(ValueError):
    pass


def snapshot_take(*, actor: Any, plan: MonitoringPlan, today: date | None = None) -> Snapshot:
    """Compute the plan's indicators for the current period and keep them; taken again in the same period, the
    period's snapshot is replaced (a period has one snapshot: the latest figures)."""
    today = today or timezone.localdate()
    if not plan.indicators.exists():
        raise SnapshotRefused(_("This plan has no indicators yet: add at least one before taking a snapshot."))
    start, end = period_bounds(plan.period, today)
    with transaction.atomic():
        computed = compute(plan, start, end, today)
        snapshot, created = Snapshot.objects.update_or_create(
            plan=plan,
            period_start=start,
            defaults={
                "period_end": end,
                "taken_on": today,
                "taken_at": timezone.now(),
                "taken_by": actor,
                "values": {kind: v.as_json() for kind, v in computed.values.items()},
                "open_gaps": computed.open_gaps,
            },
        )
        audit_record(
            actor=actor,
            action="network.snapshot.take",
            obj=snapshot,
            organization=plan.organization,
            detail={
                "plan": plan.pk,
                "period_start": start.isoformat(),
                "indicators": len(computed.values),
                "open_gaps": len(computed.open_gaps),
                "replaced": not created,
            },
        )
    return snapshot


def snapshots_take_all(plans: Iterable[MonitoringPlan], today: date | None = None) -> list[Snapshot]:
    """What the scheduler's command runs: one snapshot per plan with indicators (the others are skipped)."""
    return [snapshot_take(actor=None, plan=p, today=today) for p in plans if p.indicators.exists()]


# --- Comparison (pure) --------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Change:
    kind: str
    label: str
    before: Value | None
    after: Value | None
    target: float | None
    status: str  # improved | worse | same | new | unknown
    on_target: bool

    @property
    def delta(self) -> float | None:
        if self.before is None or self.after is None or self.before.value is None or self.after.value is None:
            return None
        return round(self.after.value - self.before.value, 1)


def _value(raw: dict[str, Any] | None) -> Value | None:
    if raw is None:
        return None
    return Value(raw.get("value"), int(raw.get("n") or 0), str(raw.get("note") or ""))


def reached(kind: str, value: float | None, target: float | None) -> bool:
    if value is None or target is None:
        return False
    return value >= target if kind in HIGHER_IS_BETTER else value <= target


def compare_values(kind: str, before: Value | None, after: Value | None) -> str:
    if after is None or after.value is None:
        return "unknown"
    if before is None or before.value is None:
        return "new"
    if after.value == before.value:
        return "same"
    better = after.value > before.value if kind in HIGHER_IS_BETTER else after.value < before.value
    return "improved" if better else "worse"


@dataclass(frozen=True)
class Comparison:
    latest: Snapshot
    previous: Snapshot | None
    changes: tuple[Change, ...]
    gaps_closed: tuple[str, ...]
    gaps_opened: tuple[str, ...]

    def labels(self, codes: Sequence[str]) -> list[str]:
        """ "<P-code>:<type>" cells in words: "Cúcuta · Mental health and psychosocial support"."""
        pcodes = {code.split(":", 1)[0] for code in codes}
        names = dict(Place.objects.filter(pcode__in=pcodes).values_list("pcode", "name"))
        out = []
        for code in codes:
            pcode, _sep, type_code = code.partition(":")
            info = SERVICE_TYPE_BY_CODE.get(type_code)
            out.append(f"{names.get(pcode, pcode)} · {info.name if info else type_code}")
        return out

    @property
    def closed_labels(self) -> list[str]:
        return self.labels(self.gaps_closed)

    @property
    def opened_labels(self) -> list[str]:
        return self.labels(self.gaps_opened)

    @property
    def improved(self) -> list[Change]:
        return [c for c in self.changes if c.status == "improved"]

    @property
    def worse(self) -> list[Change]:
        return [c for c in self.changes if c.status == "worse"]


def compare(indicators: Sequence[Indicator], latest: Snapshot, previous: Snapshot | None) -> Comparison:
    """The latest snapshot against the one before: each indicator better, worse or the same, the gaps closed
    and the gaps opened."""
    changes = []
    for indicator in indicators:
        before = _value(previous.values.get(indicator.kind)) if previous else None
        after = _value(latest.values.get(indicator.kind))
        changes.append(
            Change(
                kind=indicator.kind,
                label=str(indicator.get_kind_display()),
                before=before,
                after=after,
                target=indicator.target,
                status=compare_values(indicator.kind, before, after),
                on_target=reached(indicator.kind, after.value if after else None, indicator.target),
            )
        )
    now, then = set(latest.open_gaps), set(previous.open_gaps) if previous else set()
    closed = tuple(sorted(then - now)) if previous else ()
    opened = tuple(sorted(now - then)) if previous else ()
    return Comparison(latest, previous, tuple(changes), closed, opened)


def latest_comparison(plan: MonitoringPlan, snapshot: Snapshot | None = None) -> Comparison | None:
    """The given snapshot (or the latest) compared with the one before it."""
    snapshots = plan.snapshots.order_by("-period_start")
    latest = snapshot or snapshots.first()
    if latest is None:
        return None
    previous = snapshots.filter(period_start__lt=latest.period_start).first()
    return compare(list(plan.indicators.all()), latest, previous)


def note_text(note: str) -> str:
    return {
        NOTE_FEWER: _("fewer than %(n)s") % {"n": SMALL_COUNT},
        NOTE_NONE: _("no data in the period"),
        NOTE_NO_SURVEY: _("no survey data"),
    }.get(note, "")


# --- Plans (writes) ----------------------------------------------------------------------------------------------


def plan_save(
    *,
    actor: Any,
    plan: MonitoringPlan,
    indicators: Sequence[Indicator],
    removed: Sequence[Indicator] = (),
) -> MonitoringPlan:
    """Create or update a plan with its indicators (already validated by the form), in one transaction."""
    created = plan.pk is None
    with transaction.atomic():
        if created:
            plan.created_by = actor
        plan.save()
        for gone in removed:
            if gone.pk:
                gone.delete()
        for indicator in indicators:
            indicator.plan = plan
            indicator.save()
        audit_record(
            actor=actor,
            action="network.plan.create" if created else "network.plan.update",
            obj=plan,
            organization=plan.organization,
            detail={"indicators": plan.indicators.count(), "place": plan.place_id},
        )
    return plan
