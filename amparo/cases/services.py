"""Writes and audited reads of case management. One transaction each; every read and write of case data writes an
audit entry in the same transaction (DESIGN.md rule 5). `detail` never holds identifying data."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _

from amparo.accounts.models import Organization, User
from amparo.audit.services import audit_listing, audit_record
from amparo.directory.models import Place
from amparo.safechannel.services import sharing_consent_withdraw, sharing_consents
from amparo.vocab import SEXUAL_VIOLENCE_TYPES as SEXUAL_VIOLENCE_TYPES  # the incidents HEALTH_WINDOWS apply to

from .models import ActionItem, Case, Child, Consent, Incident, RiskAssessment, TraffickingAlert
from .search import case_search_reindex
from .vocab import ConsentKind, ConsentMethod, classify

# What a closure checklist asks (codes stored; labels in forms.py).
CLOSURE_CHECKLIST = ("needs_met", "safety_plan_reviewed", "referrals_closed", "survivor_informed", "children_safe")


# --- Consent -----------------------------------------------------------------------------------------------------


def active_consents(case: Case) -> set[str]:
    return set(case.consents.filter(withdrawn_at__isnull=True).values_list("kind", flat=True))


def has_consent(case: Case, kind: str) -> bool:
    return case.consents.filter(kind=kind, withdrawn_at__isnull=True).exists()


def _lock(case: Case) -> None:
    """Serialise the writes that decide what others may see of the case (consents, closure, referrals)."""
    Case.objects.select_for_update().filter(pk=case.pk).values_list("pk").first()


@transaction.atomic
def consent_record(*, actor: User | None, case: Case, kind: str, method: str) -> Consent:
    _lock(case)
    existing = case.consents.filter(kind=kind, withdrawn_at__isnull=True).first()
    if existing is not None:
        return existing
    consent = Consent.objects.create(case=case, kind=kind, method=method, recorded_by=actor)
    audit_record(
        actor=actor, action="case.consent.give", obj=case, organization=case.organization,
        detail={"kind": kind, "method": method},
    )  # fmt: skip
    _consents_reach_the_alert(case)
    return consent


@transaction.atomic
def consent_withdraw(*, actor: User | None, case: Case, kind: str) -> bool:
    """Withdrawal takes effect at once: every read of shared data checks the active consent. It also reaches what
    the consent let out of the case: the Ombudsman alert's case code (monitor details) or its place in the trends
    (statistics), and, for a case opened from a safe-channel report, the same sharing consent in the channel with
    the copies its referrals made."""
    _lock(case)
    updated = case.consents.filter(kind=kind, withdrawn_at__isnull=True).update(
        withdrawn_at=timezone.now(), withdrawn_by=actor
    )
    if updated:
        audit_record(
            actor=actor, action="case.consent.withdraw", obj=case, organization=case.organization,
            detail={"kind": kind},
        )  # fmt: skip
        _consents_reach_the_alert(case)
        if case.source_report_id is not None and kind.startswith("share_"):
            sharing_consent_withdraw(case.source_report, {kind})  # type: ignore[arg-type]
    return bool(updated)


def _consents_reach_the_alert(case: Case) -> None:
    """Keep the case's trafficking alert in step with her consents to give the Ombudsman more, and to statistics."""
    if case.trafficking_alert_id is None:
        return
    detailed = has_consent(case, ConsentKind.MONITOR_DETAILS)
    TraffickingAlert.objects.filter(pk=case.trafficking_alert_id).update(
        detail_consented=detailed,
        case_code=case.code if detailed else "",
        statistics_consented=has_consent(case, ConsentKind.STATISTICS),
    )


# --- Cases -------------------------------------------------------------------------------------------------------


@dataclass
class Intake:
    full_name: str = ""
    contact: str = ""
    document: str = ""
    address: str = ""
    narrative: str = ""
    age_band: str = "unknown"
    gender_identity: str = "not_said"
    nationality: str = ""
    migratory_status: str = "unknown"
    disability: str = "unknown"
    place: Place | None = None
    consents: list[str] = field(default_factory=list)
    consent_method: str = "verbal"


@transaction.atomic
def case_open(*, actor: User, organization: Organization, intake: Intake, source_report: Any = None) -> Case:
    """Open a case. Consent to receive services comes first (GBVIMS): without it there is no case."""
    if ConsentKind.SERVICES not in intake.consents:
        raise ValidationError(_("A case needs her consent to receive services."))
    if intake.consent_method == ConsentMethod.SAFE_CHANNEL:
        given = _channel_consents(source_report)
        if not set(intake.consents) <= given:
            raise ValidationError(
                _(
                    "Only what she agreed to in the safe channel can be recorded as given through it. Record the "
                    "other consents after asking her, as verbal or written."
                )
            )
    case = Case.objects.create(
        organization=organization,
        full_name=intake.full_name,
        contact=intake.contact,
        document=intake.document,
        address=intake.address,
        narrative=intake.narrative,
        age_band=intake.age_band,
        gender_identity=intake.gender_identity,
        nationality=intake.nationality.upper()[:2],
        migratory_status=intake.migratory_status,
        disability=intake.disability,
        place=intake.place,
        created_by=actor,
        source_report=source_report,
    )
    case.caseworkers.add(actor)
    case_search_reindex(case)
    audit_record(
        actor=actor, action="case.open", obj=case, organization=organization,
        detail={"from_report": str(source_report.uuid) if source_report is not None else None},
    )  # fmt: skip
    for kind in intake.consents:
        consent_record(actor=actor, case=case, kind=kind, method=intake.consent_method)
    return case


def _channel_consents(report: Any) -> set[str]:
    """The consents she gave herself in the safe channel for this report (none without a report)."""
    if report is None:
        return set()
    agreed = {str(ConsentKind.SERVICES)} if report.case_consent_at is not None else set()
    return agreed | sharing_consents(report)


def require_open(case: Case) -> None:
    """Work on a closed case waits until it is reopened (withdrawals of consent never wait)."""
    if case.status == Case.Status.CLOSED:
        raise ValidationError(_("This case is closed: reopen it first."))


@transaction.atomic
def case_read(*, actor: User, case: Case, what: str = "case") -> None:
    """Record that someone read the case (or a part of it: `what`)."""
    audit_record(actor=actor, action="case.read", obj=case, organization=case.organization, detail={"part": what})


@transaction.atomic
def cases_listed(*, actor: User, cases: list[Case], what: str) -> None:
    """Record that someone listed cases (`what`: "list", or "follow_ups" with action texts)."""
    audit_listing(
        actor=actor, action=f"case.{what}.read", object_type="cases.case",
        shown=((case.organization, case.code) for case in cases),
    )  # fmt: skip


@transaction.atomic
def case_update(*, actor: User, case: Case, changes: dict[str, Any]) -> None:
    for name, value in changes.items():
        setattr(case, name, value)
    case.save(update_fields=list(changes))
    if {"full_name", "document"} & set(changes):
        case_search_reindex(case)
    audit_record(
        actor=actor, action="case.update", obj=case, organization=case.organization, detail={"fields": sorted(changes)}
    )


def team_members(case: Case) -> QuerySet[User]:
    """Who may be put on the case or supervise it: active caseworkers, lawyers and coordinators of its
    organisation."""
    from amparo.accounts.roles import CASE_ROLES

    return (
        User.objects.filter(
            is_active=True,
            memberships__organization=case.organization_id,
            memberships__active=True,
            memberships__role__in=CASE_ROLES,
        )
        .distinct()
        .order_by("display_name", "email")
    )


@transaction.atomic
def case_assign(*, actor: User, case: Case, caseworkers: list[User], supervisor: User | None) -> None:
    members = team_members(case)
    if not caseworkers or any(
        not members.filter(pk=u.pk).exists() for u in [*caseworkers, *filter(None, [supervisor])]
    ):
        raise ValidationError(_("Choose people of the case's organisation who work on cases."))
    case.caseworkers.set(caseworkers)
    case.supervisor = supervisor
    case.save(update_fields=["supervisor"])
    audit_record(
        actor=actor, action="case.assign", obj=case, organization=case.organization,
        detail={"caseworkers": sorted(u.pk for u in caseworkers), "supervisor": supervisor.pk if supervisor else None},
    )  # fmt: skip


# --- Incidents, risk, actions, children ----------------------------------------------------------------------------


@transaction.atomic
def incident_record(
    *,
    actor: User,
    case: Case,
    occurred_at: datetime,
    time_known: bool,
    first_reported_at: datetime,
    place: Place,
    answers: dict[str, bool],
    context_tags: list[str],
    perpetrator_types: list[str],
    perpetrator_count: int,
    description: str,
) -> Incident:
    require_open(case)
    incident = Incident.objects.create(
        case=case,
        occurred_at=occurred_at,
        time_known=time_known,
        first_reported_at=first_reported_at,
        place=place,
        elimination_answers=answers,
        gbv_type=classify(answers),
        context_tags=context_tags,
        perpetrator_types=perpetrator_types,
        perpetrator_count=perpetrator_count,
        description=description,
    )
    audit_record(
        actor=actor, action="case.incident.add", obj=case, organization=case.organization,
        detail={"incident": incident.pk, "gbv_type": incident.gbv_type},
    )  # fmt: skip
    return incident


def risk_level_for(persecution: str, indicators: list[str]) -> str:
    if persecution == "yes" or len(indicators) >= 2 or "minors_involved" in indicators:
        return RiskAssessment.Level.HIGH
    if persecution == "unknown" or indicators:
        return RiskAssessment.Level.MEDIUM
    return RiskAssessment.Level.LOW


@transaction.atomic
def risk_assess(
    *, actor: User, case: Case, persecution: str, indicators: list[str], safety_plan: str, level: str = ""
) -> RiskAssessment:
    """Record a risk assessment and safety plan. Trafficking indicators raise an alert for the Ombudsman monitors of
    the area, without identity (unless she consented to more), once per case."""
    require_open(case)
    assessment = RiskAssessment.objects.create(
        case=case,
        assessed_by=actor,
        persecution=persecution,
        trafficking_indicators=indicators,
        level=level or risk_level_for(persecution, indicators),
        safety_plan=safety_plan,
    )
    audit_record(
        actor=actor, action="case.risk.assess", obj=case, organization=case.organization,
        detail={"level": assessment.level, "indicators": sorted(indicators)},
    )  # fmt: skip
    if indicators:
        trafficking_alert_raise(case=case, indicators=indicators)
    return assessment


def trafficking_alert_raise(*, case: Case, indicators: list[str]) -> TraffickingAlert | None:
    """One alert per case (the case remembers; the alert does not know the case)."""
    if case.trafficking_alerted_at is not None:
        return None
    incident = case.incidents.select_related("place").first()
    place = incident.place if incident is not None else case.place
    if place is None:
        return None
    detailed = has_consent(case, ConsentKind.MONITOR_DETAILS)
    alert = TraffickingAlert.objects.create(
        place=place,
        gbv_type=incident.gbv_type if incident is not None else "",
        indicators=sorted(indicators),
        detail_consented=detailed,
        case_code=case.code if detailed else "",
        statistics_consented=has_consent(case, ConsentKind.STATISTICS),
        reporting_organization=case.organization,
    )
    case.trafficking_alerted_at = timezone.now()
    case.trafficking_alert = alert
    case.save(update_fields=["trafficking_alerted_at", "trafficking_alert"])
    audit_record(
        action="monitoring.alert.raise", obj=alert, organization=case.organization, detail={"place": place.pcode}
    )
    return alert


@transaction.atomic
def action_add(*, actor: User, case: Case, description: str, due_on: date, assigned_to: User | None) -> ActionItem:
    require_open(case)
    item = ActionItem.objects.create(case=case, description=description, due_on=due_on, assigned_to=assigned_to)
    audit_record(
        actor=actor, action="case.action.add", obj=case, organization=case.organization, detail={"id": item.pk}
    )
    return item


@transaction.atomic
def action_done(*, actor: User, item: ActionItem) -> None:
    item.done_at = timezone.now()
    item.save(update_fields=["done_at"])
    audit_record(
        actor=actor, action="case.action.done", obj=item.case, organization=item.case.organization,
        detail={"id": item.pk},
    )  # fmt: skip


@transaction.atomic
def child_add(
    *, actor: User, case: Case, age_band: str, risks: list[str], care_arrangement: str, care_notes: str,
    next_follow_up: date | None,
) -> Child:  # fmt: skip
    require_open(case)
    child = Child.objects.create(
        case=case,
        age_band=age_band,
        risks=risks,
        care_arrangement=care_arrangement,
        care_notes=care_notes,
        next_follow_up=next_follow_up,
    )
    audit_record(
        actor=actor, action="case.child.add", obj=case, organization=case.organization, detail={"child": child.code}
    )
    return child


CHILD_FIELDS = ("age_band", "risks", "care_arrangement", "care_notes", "next_follow_up")


@transaction.atomic
def child_update(*, actor: User, child: Child, changes: dict[str, Any]) -> None:
    """A follow-up of a child's care: change the arrangement, the risks, the notes or the next follow-up date."""
    require_open(child.case)
    changes = {name: value for name, value in changes.items() if name in CHILD_FIELDS}
    for name, value in changes.items():
        setattr(child, name, value)
    child.save(update_fields=list(changes))
    audit_record(
        actor=actor, action="case.child.update", obj=child.case, organization=child.case.organization,
        detail={"child": child.code, "fields": sorted(changes)},
    )  # fmt: skip


# --- Health priority (clocks from the incident) ---------------------------------------------------------------

# PEP must start within 72 hours. DESIGN.md gives 120 hours for emergency contraception; the reference sheet marks
# that window UNCONFIRMED, so pages say "up to 120 h: confirm with the health service".
HEALTH_WINDOWS = (("pep", 72), ("emergency_contraception", 120))


@dataclass(frozen=True)
class HealthWindow:
    code: str
    hours: int
    hours_left: float


def health_windows(incident: Incident, now: datetime | None = None) -> list[HealthWindow]:
    """The clinical windows still open for an incident of sexual violence (rape or sexual assault)."""
    if incident.gbv_type not in SEXUAL_VIOLENCE_TYPES:
        return []
    elapsed = ((now or timezone.now()) - incident.occurred_at).total_seconds() / 3600
    return [HealthWindow(code, hours, hours - elapsed) for code, hours in HEALTH_WINDOWS if elapsed < hours]


# --- Closure -----------------------------------------------------------------------------------------------------


@transaction.atomic
def closure_request(*, actor: User, case: Case, checklist: dict[str, bool]) -> None:
    _lock(case)
    case.refresh_from_db()
    if case.status != Case.Status.OPEN:
        raise ValidationError(_("Only an open case can be proposed for closure."))
    missing = [item for item in CLOSURE_CHECKLIST if not checklist.get(item)]
    if missing:
        raise ValidationError(_("Every item of the closure checklist must be confirmed."))
    case.status = Case.Status.CLOSURE_REQUESTED
    case.closure_checklist = dict.fromkeys(CLOSURE_CHECKLIST, True)
    case.closure_requested_by = actor
    case.save(update_fields=["status", "closure_checklist", "closure_requested_by"])
    audit_record(actor=actor, action="case.closure.request", obj=case, organization=case.organization)


def can_approve_closure(user: User, case: Case, *, coordinates: bool) -> bool:
    """The supervisor of the case, or a coordinator of its organisation (`coordinates`, decided by the permission
    module: `amparo.access.coordinates_case`); never the person who asked."""
    if case.status != Case.Status.CLOSURE_REQUESTED or case.closure_requested_by_id == user.pk:
        return False
    return case.supervisor_id == user.pk or coordinates


@transaction.atomic
def closure_approve(*, actor: User, case: Case, coordinates: bool) -> None:
    _lock(case)
    case.refresh_from_db()
    if not can_approve_closure(actor, case, coordinates=coordinates):
        raise ValidationError(_("Only the supervisor or a coordinator, other than who asked, approves a closure."))
    case.status = Case.Status.CLOSED
    case.closed_at = timezone.now()
    case.closure_approved_by = actor
    case.save(update_fields=["status", "closed_at", "closure_approved_by"])
    audit_record(actor=actor, action="case.closure.approve", obj=case, organization=case.organization)


@transaction.atomic
def case_reopen(*, actor: User, case: Case) -> None:
    case.status = Case.Status.OPEN
    case.closed_at = None
    case.closure_approved_by = None
    case.save(update_fields=["status", "closed_at", "closure_approved_by"])
    audit_record(actor=actor, action="case.reopen", obj=case, organization=case.organization)


def overdue_actions(cases: QuerySet[Case]) -> QuerySet[ActionItem]:
    return ActionItem.objects.filter(case__in=cases, done_at__isnull=True, due_on__lt=timezone.localdate())


# --- Retention (DESIGN.md rule 7) ----------------------------------------------------------------------------------


def purge_closed_cases(now: datetime | None = None) -> int:
    """Hard-delete cases closed longer ago than CASES_RETENTION_DAYS, with everything attached (consents,
    incidents, plans, children, legal matters, referrals), one audited transaction per case."""
    from datetime import timedelta

    from django.conf import settings

    cutoff = (now or timezone.now()) - timedelta(days=settings.CASES_RETENTION_DAYS)
    purged = 0
    import shutil

    from .storage import matter_folders

    for case in Case.objects.filter(status=Case.Status.CLOSED, closed_at__lt=cutoff).select_related("organization"):
        folders = matter_folders(case)
        with transaction.atomic():
            audit_record(
                action="case.purge", obj=case, organization=case.organization,
                detail={"closed_at": case.closed_at.isoformat() if case.closed_at else None},
            )  # fmt: skip
            # The alert outlives the case as an anonymous record: without the case code she may have allowed.
            if case.trafficking_alert_id is not None:
                TraffickingAlert.objects.filter(pk=case.trafficking_alert_id).update(
                    detail_consented=False, case_code=""
                )
            case.delete()
        for folder in folders:
            shutil.rmtree(folder, ignore_errors=True)
        purged += 1
    return purged
