"""Reads across the cases a user may see: the follow-ups that are due (actions and children's care), for the page
that a caseworker opens first thing in the morning."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

from django.db import models
from django.db.models import F, Max, OuterRef, Q, QuerySet, Subquery
from django.db.models.functions import Coalesce, Greatest

from amparo.audit.models import AuditEntry

from .models import ActionItem, Case, CaseNote, Child, Consent, Incident, RiskAssessment

FOLLOW_UP_HORIZON_DAYS = 7


@dataclass
class FollowUps:
    actions: list[ActionItem]
    children: list[Child]
    until: date

    @property
    def row_cases(self) -> list[Case]:
        """The case of each row shown (for the audit of the listing)."""
        return [a.case for a in self.actions] + [c.case for c in self.children]


def follow_ups_due(cases: QuerySet[Case], *, today: date, days: int = FOLLOW_UP_HORIZON_DAYS) -> FollowUps:
    """Open actions and children's care follow-ups of these cases (open ones only) due by today + `days`, overdue
    ones first. Pass `amparo.access.cases_for_user(user)`: need to know decides what is listed."""
    until = today + timedelta(days=days)
    open_cases = cases.exclude(status=Case.Status.CLOSED).values("pk")
    actions = (
        ActionItem.objects.filter(case__in=open_cases, done_at__isnull=True, due_on__lte=until)
        .select_related("case__organization", "assigned_to")
        .order_by("due_on", "pk")
    )
    children = (
        Child.objects.filter(case__in=open_cases, next_follow_up__lte=until)
        .select_related("case__organization")
        .order_by("next_follow_up", "pk")
    )
    return FollowUps(actions=list(actions[:500]), children=list(children[:500]), until=until)


# --- The case list: filters and sorting (issue 13, item 2) -----------------------------------------------------

SORTS = ("opened", "activity")


def _latest(model: type[models.Model], field: str) -> Subquery:
    """The latest `field` of a related model's rows for the outer case."""
    return Subquery(model._default_manager.filter(case=OuterRef("pk")).order_by(f"-{field}").values(field)[:1])


def case_list(
    cases: QuerySet[Case], *, status: str = "", worker: int | None = None, risk: str = "", sort: str = "opened"
) -> QuerySet[Case]:
    """The cases the reader may see (pass `amparo.access.cases_for_user`), filtered by status, a person on the
    case, and the level of the latest risk assessment ("none": never assessed), annotated with `latest_risk` and
    `last_activity` (the latest of: opened, an incident, a risk assessment, an action, a note, a consent, a
    referral's change), sorted by opening or by last activity, newest first. Reads no encrypted field."""
    latest_referral = Subquery(
        Case.objects.filter(pk=OuterRef("pk")).annotate(at=Max("referrals__updated_at")).values("at")[:1]
    )
    moments = [
        _latest(Incident, "created_at"),
        _latest(RiskAssessment, "assessed_at"),
        _latest(ActionItem, "created_at"),
        _latest(CaseNote, "created_at"),
        _latest(Consent, "recorded_at"),
        latest_referral,
    ]
    annotated = cases.annotate(
        latest_risk=Subquery(
            RiskAssessment.objects.filter(case=OuterRef("pk")).order_by("-assessed_at", "-pk").values("level")[:1]
        ),
        last_activity=Greatest(F("opened_at"), *[Coalesce(m, F("opened_at")) for m in moments]),
    )
    if status in Case.Status.values:
        annotated = annotated.filter(status=status)
    if worker is not None:
        annotated = annotated.filter(Q(caseworkers=worker) | Q(supervisor=worker)).distinct()
    if risk == "none":
        annotated = annotated.filter(latest_risk__isnull=True)
    elif risk in RiskAssessment.Level.values:
        annotated = annotated.filter(latest_risk=risk)
    order = ("-last_activity", "-pk") if sort == "activity" else ("-opened_at", "-pk")
    return annotated.select_related("place", "organization").order_by(*order)


def case_list_workers(cases: QuerySet[Case]) -> QuerySet[Any]:
    """The people on the cases the reader may see (the "worker" filter's choices)."""
    from amparo.accounts.models import User

    ids = cases.order_by().values("pk")
    return (
        User.objects.filter(Q(assigned_cases__in=ids) | Q(supervised_cases__in=ids), is_active=True)
        .distinct()
        .order_by("display_name", "email")
    )


# --- Coordinators: caseload per person and the closure queue (issue 13, item 8) --------------------------------


@dataclass
class Caseload:
    user: Any
    roles: list[str]
    assigned: int
    supervised: int
    high_risk: int
    overdue_actions: int
    closures_requested: int


def caseload(organization: Any, *, today: date) -> list[Caseload]:
    """For each active member with a case role in the organisation: her open cases (assigned and supervised), how
    many of them were last assessed at high risk, her overdue actions, and her closure requests waiting. Counts
    only: no case data, nothing decrypted."""
    from amparo.accounts.models import Membership
    from amparo.accounts.roles import CASE_ROLES

    memberships = (
        Membership.objects.filter(organization=organization, active=True, role__in=CASE_ROLES, user__is_active=True)
        .select_related("user")
        .order_by("user__display_name", "user__email", "role")
    )
    roles: dict[int, list[str]] = {}
    users: dict[int, Any] = {}
    for m in memberships:
        roles.setdefault(m.user_id, []).append(m.get_role_display())
        users[m.user_id] = m.user
    open_cases = Case.objects.filter(organization=organization).exclude(status=Case.Status.CLOSED)
    latest_risk = Subquery(
        RiskAssessment.objects.filter(case=OuterRef("pk")).order_by("-assessed_at", "-pk").values("level")[:1]
    )
    high = set(
        open_cases.annotate(risk=latest_risk).filter(risk=RiskAssessment.Level.HIGH).values_list("pk", flat=True)
    )
    rows = []
    for user_id, user in users.items():
        assigned = set(open_cases.filter(caseworkers=user_id).values_list("pk", flat=True))
        supervised = set(open_cases.filter(supervisor=user_id).values_list("pk", flat=True))
        rows.append(
            Caseload(
                user=user,
                roles=roles[user_id],
                assigned=len(assigned),
                supervised=len(supervised),
                high_risk=len((assigned | supervised) & high),
                overdue_actions=ActionItem.objects.filter(
                    case__in=open_cases, assigned_to=user_id, done_at__isnull=True, due_on__lt=today
                ).count(),
                closures_requested=open_cases.filter(
                    status=Case.Status.CLOSURE_REQUESTED, closure_requested_by=user_id
                ).count(),
            )
        )
    return rows


def closure_queue(organization: Any) -> QuerySet[Case]:
    """The organisation's cases waiting for closure approval, oldest request first, with who asked."""
    return (
        Case.objects.filter(organization=organization, status=Case.Status.CLOSURE_REQUESTED)
        .select_related("closure_requested_by", "supervisor", "place", "organization")
        .order_by("opened_at", "pk")
    )


@dataclass(frozen=True)
class Change:
    at: Any
    who: str
    fields: list[str]


def incident_history(case: Case, incident: Incident) -> list[Change]:
    """The corrections of an incident, newest first, from the audit log (who, when, which fields; never values)."""
    entries = AuditEntry.objects.filter(
        action="case.incident.update", object_id=str(case.uuid), detail__incident=incident.pk
    ).order_by("-seq")
    return [Change(e.at, e.actor_label, list(e.detail.get("fields", []))) for e in entries[:100]]


def case_details_history(case: Case) -> list[Change]:
    """The corrections of her details, newest first, from the audit log (who, when, which fields; never values)."""
    entries = AuditEntry.objects.filter(action="case.update", object_id=str(case.uuid)).order_by("-seq")
    return [Change(e.at, e.actor_label, list(e.detail.get("fields", []))) for e in entries[:100]]
