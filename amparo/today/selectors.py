"""Reads of the staff's day: who is told of what (the recipients of each kind of notification), and the counts of
each role's work for the home page, most urgent first.

The counts take the querysets that the permission module scoped for her (`amparo.access`), given by the view: need
to know decides what is counted. Only counts leave here, never a record: the home page shows no case data.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta

from django.db.models import QuerySet
from django.urls import reverse
from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

from amparo.accounts.models import User
from amparo.accounts.roles import REPORT_RECIPIENT_ROLES, Role
from amparo.cases.legal_services import upcoming_legal_events
from amparo.cases.models import ActionItem, Case, Child, TraffickingAlert
from amparo.directory.models import Place
from amparo.directory.selectors import acting_focal_points
from amparo.referrals.models import AWAITING_ANSWER, OPEN_STATUSES, Priority, Referral
from amparo.safechannel.models import Report

from .models import Notification

# --- Recipients ----------------------------------------------------------------------------------------------------


def _members(organization_ids: list[int] | QuerySet, roles: set[str] | frozenset[str]) -> list[User]:
    return list(
        User.objects.filter(
            is_active=True,
            memberships__organization__in=organization_ids,
            memberships__role__in=roles,
            memberships__active=True,
        ).distinct()
    )


def referral_receivers(referral: Referral) -> list[User]:
    """The staff accounts that receive a referral, by the same rule as `amparo.access.referrals_for_focal_point`:
    the focal point named, or, when nobody is named, every acting focal point covering the service."""
    acting = acting_focal_points().filter(user__isnull=False)
    if referral.focal_point_id is not None:
        acting = acting.filter(pk=referral.focal_point_id)
    else:
        acting = acting.filter(services=referral.service_id)
    return list(User.objects.filter(pk__in=acting.values("user")))


def report_recipients(report: Report) -> list[User]:
    """The organisation's members who receive its safe-channel reports (`amparo.access.reports_for_user`)."""
    return _members([report.organization_id], REPORT_RECIPIENT_ROLES)


def closure_approvers(case: Case) -> list[User]:
    """Who may approve the closure (`cases.services.can_approve_closure`): the coordinators of the case's
    organisation and its supervisor, never the person who asked."""
    users = {u.pk: u for u in _members([case.organization_id], {Role.COORDINATOR})}
    if case.supervisor is not None and case.supervisor.is_active:
        users[case.supervisor.pk] = case.supervisor
    users.pop(case.closure_requested_by_id, None)  # type: ignore[arg-type]
    return list(users.values())


def alert_monitors(alert: TraffickingAlert) -> list[User]:
    """Monitors of the organisations whose areas hold the alert's place (`amparo.access.monitored_places`: an area
    is a country, a department or a municipality)."""
    place = Place.objects.select_related("parent").get(pk=alert.place_id)
    areas = [pk for pk in (place.pk, place.parent_id, place.parent.parent_id if place.parent else None) if pk]
    return list(
        User.objects.filter(
            is_active=True,
            memberships__role=Role.MONITOR,
            memberships__active=True,
            memberships__organization__areas__in=areas,
        ).distinct()
    )


# --- The home page -------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class WorkItem:
    """One line of the home page: how many of something wait for her, and the page where they are."""

    key: str
    label: Promise
    count: int
    url_name: str
    urgent: bool = False
    url_args: tuple[str, ...] = ()
    query: str = ""

    @property
    def url(self) -> str:
        url = reverse(self.url_name, args=self.url_args)
        return f"{url}?{self.query}" if self.query else url


@dataclass(frozen=True)
class Scope:
    """What the permission module lets her see, as querysets (None: not her work)."""

    cases: QuerySet[Case] | None = None
    coordinated_cases: QuerySet[Case] | None = None
    referrals_sent: QuerySet[Referral] | None = None
    referrals_received: QuerySet[Referral] | None = None
    reports: QuerySet[Report] | None = None
    alerts: QuerySet[TraffickingAlert] | None = None
    # The organisations she coordinates (their uuids): where their closure queues are.
    coordinated_organizations: tuple[str, ...] = ()


LEGAL_HORIZON_DAYS = 7
ALERT_HORIZON_DAYS = 30


def work_summary(scope: Scope, *, today: date, now: datetime) -> list[WorkItem]:
    """Her work with counts, most urgent first: emergency referrals, overdue follow-ups and legal deadlines, new
    reports, closures waiting, alerts; then the rest of what is due. Lines with nothing waiting are left out except
    the ones every person of that role looks for (they show 0)."""
    items: list[WorkItem] = []
    if scope.referrals_received is not None:
        received = scope.referrals_received.filter(status__in=OPEN_STATUSES)
        items.append(
            WorkItem(
                "received_emergency",
                _("Emergency referrals to answer"),
                received.filter(priority=Priority.EMERGENCY, status__in=AWAITING_ANSWER).count(),
                "referrals:inbox",
                urgent=True,
            )
        )
        items.append(
            WorkItem(
                "received_overdue",
                _("Referrals waiting for your answer past their deadline"),
                received.filter(status__in=AWAITING_ANSWER, respond_by__lt=now).count(),
                "referrals:inbox",
                urgent=True,
            )
        )
        items.append(WorkItem("received_open", _("Open referrals in your inbox"), received.count(), "referrals:inbox"))
    if scope.cases is not None:
        open_cases = scope.cases.exclude(status=Case.Status.CLOSED).values("pk")
        if scope.referrals_sent is not None:
            items.append(
                WorkItem(
                    "sent_emergency",
                    _("Emergency referrals of your cases not yet answered"),
                    scope.referrals_sent.filter(priority=Priority.EMERGENCY, status__in=AWAITING_ANSWER).count(),
                    "cases:list",
                    urgent=True,
                )
            )
        overdue_actions = ActionItem.objects.filter(case__in=open_cases, done_at__isnull=True, due_on__lt=today)
        overdue_children = Child.objects.filter(case__in=open_cases, next_follow_up__lt=today)
        items.append(
            WorkItem(
                "follow_ups_overdue",
                _("Overdue follow-ups"),
                overdue_actions.count() + overdue_children.count(),
                "cases:follow_ups",
                urgent=True,
            )
        )
        legal = upcoming_legal_events(scope.cases, days=LEGAL_HORIZON_DAYS, now=now)
        items.append(
            WorkItem(
                "legal_overdue",
                _("Overdue legal deadlines and hearings"),
                legal.filter(due_at__lt=now).count(),
                "legal:upcoming",
                urgent=True,
            )
        )
        items.append(
            WorkItem(
                "legal_week",
                _("Legal deadlines and hearings in the next 7 days"),
                legal.filter(due_at__gte=now).count(),
                "legal:upcoming",
            )
        )
        due_soon = ActionItem.objects.filter(
            case__in=open_cases, done_at__isnull=True, due_on__gte=today, due_on__lte=today + timedelta(days=7)
        )
        items.append(
            WorkItem("follow_ups_week", _("Follow-ups due in the next 7 days"), due_soon.count(), "cases:follow_ups")
        )
    if scope.reports is not None:
        items.append(
            WorkItem(
                "reports_new",
                _("New safe-channel reports, not yet read"),
                scope.reports.filter(status=Report.Status.NEW).count(),
                "safechannel_staff:inbox",
                urgent=True,
            )
        )
        items.append(
            WorkItem(
                "reports_waiting",
                _("Safe-channel reports waiting for an answer from your team"),
                scope.reports.exclude(status=Report.Status.CLOSED).filter(awaiting_staff=True).count(),
                "safechannel_staff:inbox",
            )
        )
    if scope.coordinated_cases is not None:
        # To the closure queue (the checklist answers, who asked) of the one organisation she coordinates; with
        # several, to the case list showing the closures requested in all of them.
        queues = scope.coordinated_organizations
        items.append(
            WorkItem(
                "closures_waiting",
                _("Case closures waiting for your approval"),
                scope.coordinated_cases.filter(status=Case.Status.CLOSURE_REQUESTED).count(),
                "cases:closures" if len(queues) == 1 else "cases:list",
                urgent=True,
                url_args=queues if len(queues) == 1 else (),
                query="" if len(queues) == 1 else f"status={Case.Status.CLOSURE_REQUESTED}",
            )
        )
    if scope.cases is not None:
        items.append(
            WorkItem(
                "cases_open",
                _("Open cases you accompany or supervise"),
                scope.cases.exclude(status=Case.Status.CLOSED).count(),
                "cases:list",
            )
        )
    if scope.alerts is not None:
        items.append(
            WorkItem(
                "alerts_recent",
                _("Trafficking alerts in your areas in the last 30 days"),
                scope.alerts.filter(raised_on__gte=today - timedelta(days=ALERT_HORIZON_DAYS)).count(),
                "monitoring:alerts",
                urgent=True,
            )
        )
    # Most urgent first: urgent lines with something waiting, then the others with something waiting, then zeros.
    return sorted(items, key=lambda item: (item.count == 0, not item.urgent))


def unread_notifications(user: User) -> QuerySet[Notification]:
    return Notification.objects.filter(recipient=user, read_at__isnull=True)


def notifications_for(user: User, limit: int = 100) -> list[Notification]:
    return list(Notification.objects.filter(recipient=user).order_by("read_at", "-created_at", "-pk")[:limit])
