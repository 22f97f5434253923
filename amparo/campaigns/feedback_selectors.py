"""Reads of the community-led monitoring (issue 17, part 3): months, the public service a form is about, the
aggregates per service under `core.disclosure`, where a complaint goes, who an alert tells, and the signal for the
network gaps and insights (raw counts: whoever shows them protects them).

Aggregates count the visits of the last FEEDBACK_WINDOW_MONTHS WHOLE months (the current month is left out), so a
figure changes once a month, by a month's answers together, never right after one answer.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from uuid import UUID

from django.conf import settings
from django.db.models import Count, F, Q, QuerySet
from django.db.models.functions import Coalesce
from django.utils import formats, timezone
from django.utils.translation import gettext_lazy as _

from amparo.accounts.models import Membership, User
from amparo.accounts.models import Organization as MemberOrganization
from amparo.accounts.roles import Role
from amparo.core.disclosure import ProtectedTable, protect_table
from amparo.core.disclosure_words import hidden_words
from amparo.directory.models import Place, Service, ServiceAtLocation
from amparo.directory.selectors import acting_focal_points
from amparo.referrals.models import Referral

from .feedback_models import DISCRIMINATION, FeedbackAlert, ServiceFeedback

# --- Months ------------------------------------------------------------------------------------------------------


def month_start(day: date) -> date:
    return day.replace(day=1)


def add_months(month: date, n: int) -> date:
    index = month.year * 12 + month.month - 1 + n
    return date(index // 12, index % 12 + 1, 1)


def month_index(month: date) -> int:
    return month.year * 12 + month.month - 1


def today() -> date:
    return timezone.localdate()


def visit_months(on: date | None = None) -> list[date]:
    """The months she may say she went: this one and the FEEDBACK_WINDOW_MONTHS - 1 before it, newest first."""
    current = month_start(on or today())
    return [add_months(current, -i) for i in range(settings.FEEDBACK_WINDOW_MONTHS)]


def summary_months(on: date | None = None) -> tuple[date, date]:
    """(first, last) month counted by the aggregates: the last FEEDBACK_WINDOW_MONTHS whole months."""
    last = add_months(month_start(on or today()), -1)
    return add_months(last, -(settings.FEEDBACK_WINDOW_MONTHS - 1)), last


def alert_months(on: date | None = None) -> tuple[date, date]:
    """(first, last) month of the rolling alert window: this month and the ones before it."""
    current = month_start(on or today())
    return add_months(current, -(settings.FEEDBACK_ALERT_WINDOW_MONTHS - 1)), current


def alert_window(on: date | None = None) -> int:
    """The number of the fixed alert window `on` falls in: at most one alert per service in each."""
    return month_index(month_start(on or today())) // settings.FEEDBACK_ALERT_WINDOW_MONTHS


def month_label(month: date) -> str:
    return formats.date_format(month, "YEAR_MONTH_FORMAT")


# --- The public form ---------------------------------------------------------------------------------------------


def public_service_at_location(sal_uuid: UUID) -> ServiceAtLocation | None:
    """An active service at a location, as the directory's public page shows it; None when there is none."""
    return (
        ServiceAtLocation.objects.select_related("service__organization", "place__parent", "country")
        .filter(uuid=sal_uuid, service__status=Service.Status.ACTIVE)
        .first()
    )


COMPLAINT_TYPES = ("public-oversight", "ombudsman")


def complaint_services(sal: ServiceAtLocation, limit: int = 3) -> list[ServiceAtLocation]:
    """Where a complaint about how a service treated her can go, from the directory: active oversight services
    (Personería, Procuraduría) and the Ombudsman (Defensoría), in the service's municipality first, else its
    department. Never the service itself."""
    found: list[ServiceAtLocation] = []
    base = (
        ServiceAtLocation.objects.filter(
            service__status=Service.Status.ACTIVE, service__types__code__in=COMPLAINT_TYPES
        )
        .exclude(service=sal.service_id)
        .select_related("service", "place")
        .distinct()
        .order_by("service__name", "pk")
    )
    for scope in (Q(place=sal.place_id), Q(admin1=sal.admin1_id) if sal.admin1_id else None):
        if scope is None:
            continue
        for candidate in base.filter(scope):
            if candidate.pk not in {f.pk for f in found}:
                found.append(candidate)
            if len(found) >= limit:
                return found
    return found


# --- Aggregates under disclosure control ---------------------------------------------------------------------------

# (field, label, the answer that reports a problem)
QUESTIONS: list[tuple[str, object, bool]] = [
    ("attended", _("Attended"), False),
    ("respected", _("Treated with respect"), False),
    ("id_asked", _("Asked for an ID document she did not have"), True),
    ("turned_away", _("Turned away or treated worse for being trans, a migrant or a sex worker"), True),
    ("charged", _("Charged for something that is free"), True),
]
PUBLIC_LINES = {
    "attended": _("said they were not attended"),
    "respected": _("said they were not treated with respect"),
    "id_asked": _("were asked for an ID document they did not have"),
    "turned_away": _("were turned away or treated worse for being trans, a migrant or a sex worker"),
    "charged": _("were charged for something that is free"),
}
REASONS: list[tuple[str, object]] = [
    ("for_trans", _("for being trans")),
    ("for_migrant", _("for being a migrant")),
    ("for_sex_work", _("for being a sex worker")),
]


def _answers(service: Service, first: date, last: date) -> QuerySet[ServiceFeedback]:
    return ServiceFeedback.objects.filter(service=service, visit_month__gte=first, visit_month__lte=last)


def _counts(answers: QuerySet[ServiceFeedback]) -> dict[str, int]:
    """Every count the tables need, in one query."""
    spec: dict[str, Count] = {"total": Count("pk")}
    for field, _label, _problem in QUESTIONS:
        spec[f"{field}_yes"] = Count("pk", filter=Q(**{field: True}))
        spec[f"{field}_no"] = Count("pk", filter=Q(**{field: False}))
    for field, _label in REASONS:
        spec[field] = Count("pk", filter=Q(turned_away=True, **{field: True}))
    return dict(answers.aggregate(**spec))


@dataclass(frozen=True)
class Row:
    label: str
    cells: tuple[str, ...]


@dataclass(frozen=True)
class ServiceSummary:
    """A service's answers for its organisation: shown only from `threshold` answers, each count protected."""

    first: date
    last: date
    threshold: int
    answers: int  # the number of answers (used only to decide; shown when at least the threshold)
    rows: list[Row]
    reasons: list[Row]
    hidden: int

    @property
    def shown(self) -> bool:
        return self.answers >= self.threshold

    @property
    def period(self) -> str:
        return f"{month_label(self.first)} – {month_label(self.last)}"


def _words(table: ProtectedTable, threshold: int, value: int | None) -> str:
    return hidden_words(table, threshold) if value is None else str(value)


def organisation_summary(service: Service, on: date | None = None) -> ServiceSummary:
    """Questions x (yes, no, not answered), each row adding up to the answers, protected at
    INSIGHTS_ORGANISATION_THRESHOLD; and the reasons she was turned away (a list of counts, each protected)."""
    threshold = settings.INSIGHTS_ORGANISATION_THRESHOLD
    first, last = summary_months(on)
    counts = _counts(_answers(service, first, last))
    total = counts["total"]
    if total < threshold:
        return ServiceSummary(first, last, threshold, total, [], [], 0)
    grid = [
        [counts[f"{f}_yes"], counts[f"{f}_no"], total - counts[f"{f}_yes"] - counts[f"{f}_no"]] for f, *_ in QUESTIONS
    ]
    table = protect_table(grid, threshold, column_totals=False)
    rows = [
        Row(str(label), tuple(_words(table, threshold, v) for v in (*cells, row_total)))
        for (_field, label, _problem), cells, row_total in zip(QUESTIONS, table.cells, table.row_totals, strict=True)
    ]
    reasons = protect_table([[counts[f]] for f, _label in REASONS], threshold, row_totals=False, column_totals=False)
    reason_rows = [
        Row(str(label), (_words(reasons, threshold, cells[0]),))
        for (_field, label), cells in zip(REASONS, reasons.cells, strict=True)
    ]
    return ServiceSummary(first, last, threshold, total, rows, reason_rows, table.hidden + reasons.hidden)


@dataclass(frozen=True)
class PublicSignal:
    """What the public service page says, in plain words, once INSIGHTS_PUBLIC_THRESHOLD people answered."""

    first: date
    last: date
    answers: int
    lines: list[tuple[str, str]]  # (count in words, what they said)
    no_barrier: bool  # nobody reported being turned away, asked for an ID or charged

    @property
    def period(self) -> str:
        return f"{month_label(self.first)} – {month_label(self.last)}"


def public_signal(service: Service, on: date | None = None) -> PublicSignal | None:
    """None below the public threshold. Each problem is counted against the others (those who said the opposite
    or did not answer) in a table protected at INSIGHTS_PUBLIC_THRESHOLD; only the problem's count is shown."""
    threshold = settings.INSIGHTS_PUBLIC_THRESHOLD
    first, last = summary_months(on)
    counts = _counts(_answers(service, first, last))
    total = counts["total"]
    if total < threshold:
        return None
    problems = [counts[f"{f}_yes" if problem else f"{f}_no"] for f, _label, problem in QUESTIONS]
    table = protect_table([[p, total - p] for p in problems], threshold, column_totals=False)
    lines = [
        (_words(table, threshold, cells[0]), str(PUBLIC_LINES[field]))
        for (field, _label, _problem), cells in zip(QUESTIONS, table.cells, strict=True)
    ]
    barriers = [
        table.cells[i][0] for i, (f, *_r) in enumerate(QUESTIONS) if f in {"id_asked", "turned_away", "charged"}
    ]
    return PublicSignal(first, last, total, lines, all(v == 0 for v in barriers))


def answer_counts(services: QuerySet[Service], on: date | None = None) -> dict[int, int]:
    """Answers per service in the summary months (for the staff list, which shows each under its threshold as
    "fewer than N")."""
    first, last = summary_months(on)
    rows = (
        ServiceFeedback.objects.filter(service__in=services, visit_month__gte=first, visit_month__lte=last)
        .values("service")
        .annotate(n=Count("pk"))
    )
    return {row["service"]: row["n"] for row in rows}


# --- Alerts ---------------------------------------------------------------------------------------------------------


def discrimination_reports_in_window(service: Service, on: date | None = None) -> int:
    first, last = alert_months(on)
    return _answers(service, first, last).filter(DISCRIMINATION).count()


def referring_organizations(service: Service, on: date | None = None) -> QuerySet[MemberOrganization]:
    """Member organisations that sent a referral to the service in the last year: counts per organisation, no
    case is read (the sender is the referral's case's or report's organisation id)."""
    since = (on or today()) - timedelta(days=365)
    senders = (
        Referral.objects.filter(service=service, sent_at__date__gte=since)
        .annotate(sender=Coalesce(F("case__organization_id"), F("report__organization_id")))
        .values("sender")
    )
    return MemberOrganization.objects.filter(pk__in=senders)


def alert_recipients(service: Service, on: date | None = None) -> QuerySet[User]:
    """Who an alert about the service tells: the focal points acting for it, the coordinators of its own member
    organisation (the one whose directory entry offers it), and the coordinators of the organisations that refer
    there."""
    focal = acting_focal_points().filter(services=service).values("user")
    own = MemberOrganization.objects.filter(directory_organization=service.organization_id)
    coordinators = Membership.objects.filter(role=Role.COORDINATOR, active=True).filter(
        Q(organization__in=own) | Q(organization__in=referring_organizations(service, on))
    )
    return (
        User.objects.filter(is_active=True)
        .filter(Q(pk__in=focal) | Q(pk__in=coordinators.values("user")))
        .order_by("pk")
    )


def alerts_of_service(service: Service) -> QuerySet[FeedbackAlert]:
    return FeedbackAlert.objects.filter(service=service)


# --- The signal for network gaps and insights (raw counts: the page that shows them protects them) ----------------


@dataclass(frozen=True)
class DiscriminationCount:
    answers: int
    discrimination: int


def discrimination_by_service(first: date, last: date) -> dict[int, DiscriminationCount]:
    """Per service id: answers about visits in [first, last] months and those reporting discrimination."""
    rows = (
        ServiceFeedback.objects.filter(visit_month__gte=month_start(first), visit_month__lte=month_start(last))
        .values("service")
        .annotate(n=Count("pk"), d=Count("pk", filter=DISCRIMINATION))
    )
    return {row["service"]: DiscriminationCount(row["n"], row["d"]) for row in rows}


def discrimination_by_municipality_need(
    first: date, last: date, scope: Place | None = None, *, using: str | None = None
) -> dict[tuple[str, str], DiscriminationCount]:
    """Per (municipality P-code, directory service type code): answers and discrimination reports about the
    services of that type located there, for visits in [first, last] months. An answer about a service of two
    types counts under both (as the gap matrix counts services per need). Read on `using` (the networks' gaps pass
    the analytics database)."""
    answers = ServiceFeedback.objects.using(using or "default").filter(
        visit_month__gte=month_start(first), visit_month__lte=month_start(last)
    )
    if scope is not None:
        answers = answers.filter(
            Q(service_at_location__place=scope)
            | Q(service_at_location__admin1=scope)
            | Q(service_at_location__country=scope)
        )
    rows = answers.values("service_at_location__place__pcode", "service__types__code").annotate(
        n=Count("pk"), d=Count("pk", filter=DISCRIMINATION)
    )
    return {
        (row["service_at_location__place__pcode"], row["service__types__code"]): DiscriminationCount(row["n"], row["d"])
        for row in rows
        if row["service__types__code"]
    }
