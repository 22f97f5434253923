"""Reads across the cases a user may see: the follow-ups that are due (actions and children's care), for the page
that a caseworker opens first thing in the morning."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

from django.db.models import QuerySet

from amparo.audit.models import AuditEntry

from .models import ActionItem, Case, Child, Incident

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
