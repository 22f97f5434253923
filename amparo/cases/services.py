"""Writes and audited reads of case management. One transaction each; every read and write of case data writes an
audit entry in the same transaction (DESIGN.md rule 5). `detail` never holds identifying data."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _

from amparo.accounts.models import Organization, User
from amparo.audit.services import audit_listing, audit_record
from amparo.core import once
from amparo.core.countries import is_country
from amparo.directory.models import Place
from amparo.safechannel.services import sharing_consent_withdraw, sharing_consents
from amparo.vocab import SEXUAL_VIOLENCE_TYPES as SEXUAL_VIOLENCE_TYPES  # the incidents HEALTH_WINDOWS apply to

from . import risk as risk_questions
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
def case_open(
    *, actor: User, organization: Organization, intake: Intake, source_report: Any = None, form_token: str = ""
) -> Case:
    """Open a case. Consent to receive services comes first (GBVIMS): without it there is no case. With the
    intake form's one-time token, a resubmitted intake raises core.once.AlreadyDone with the case it opened."""
    claimed = once.claim(
        user=actor, kind="case.open", token=form_token,
        content=once.plain({**intake.__dict__, "organization": organization, "report": source_report}),
    )  # fmt: skip
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
    if intake.nationality and not is_country(intake.nationality.upper()):
        raise ValidationError(_("Choose her nationality from the list of countries."))
    case = Case.objects.create(
        organization=organization,
        full_name=intake.full_name,
        contact=intake.contact,
        document=intake.document,
        address=intake.address,
        narrative=intake.narrative,
        age_band=intake.age_band,
        gender_identity=intake.gender_identity,
        nationality=intake.nationality.upper(),
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
    once.settle(claimed, case.uuid)
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
    form_token: str = "",
) -> Incident:
    require_open(case)
    claimed = once.claim(
        user=actor, kind="case.incident.add", token=form_token,
        content=once.plain({"case": case, "occurred_at": occurred_at, "place": place, "answers": answers,
                          "perpetrators": perpetrator_types, "description": description}),
    )  # fmt: skip
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
    once.settle(claimed, incident.pk)
    return incident


INCIDENT_FIELDS = (
    "occurred_at", "time_known", "first_reported_at", "place", "elimination_answers", "context_tags",
    "perpetrator_types", "perpetrator_count", "description",
)  # fmt: skip


@transaction.atomic
def incident_update(*, actor: User, incident: Incident, changes: dict[str, Any]) -> list[str]:
    """Correct an incident. The type follows the elimination answers again. The audit log keeps the history: which
    fields changed, when and by whom (never their values, which may identify her). Returns the fields changed."""
    require_open(incident.case)
    changes = {
        name: value for name, value in changes.items()
        if name in INCIDENT_FIELDS and value != getattr(incident, name)
    }  # fmt: skip
    if not changes:
        return []
    for name, value in changes.items():
        setattr(incident, name, value)
    fields = sorted(changes)
    if "elimination_answers" in changes:
        incident.gbv_type = classify(incident.elimination_answers)
        fields.append("gbv_type")
    incident.save(update_fields=fields)
    audit_record(
        actor=actor, action="case.incident.update", obj=incident.case, organization=incident.case.organization,
        detail={"incident": incident.pk, "fields": fields, "gbv_type": incident.gbv_type},
    )  # fmt: skip
    return fields


def risk_level_for(persecution: str, indicators: list[str]) -> str:
    """The level that persecution and the trafficking indicators give on their own."""
    if persecution == "yes" or len(indicators) >= 2 or "minors_involved" in indicators:
        return RiskAssessment.Level.HIGH
    if persecution == "unknown" or indicators:
        return RiskAssessment.Level.MEDIUM
    return RiskAssessment.Level.LOW


def recent_sexual_violence(case: Case, now: datetime | None = None) -> bool:
    """A rape or sexual assault recorded on the case within the window of the risk questions."""
    since = (now or timezone.now()) - timedelta(days=risk_questions.questions().recent_days)
    return case.incidents.filter(gbv_type__in=SEXUAL_VIOLENCE_TYPES, occurred_at__gte=since).exists()


@dataclass(frozen=True)
class RiskLevel:
    computed: str  # what the answers, persecution and indicators give
    level: str  # in force: never below her judgement, never below the computed level
    score: int
    answers: list[str]


def risk_level(
    *, case: Case, answers: list[str], persecution: str, indicators: list[str], judged: str = ""
) -> RiskLevel:
    """The level in force. A recent rape or sexual assault recorded on the case counts as a yes by itself."""
    keys = set(answers) & set(risk_questions.questions().by_key())
    if recent_sexual_violence(case):
        keys.add(risk_questions.RECENT_SEXUAL_VIOLENCE)
    scored = risk_questions.score(keys)
    computed = risk_questions.highest(scored.level, risk_level_for(persecution, indicators))
    return RiskLevel(computed, risk_questions.highest(computed, judged), scored.score, sorted(keys))


@transaction.atomic
def risk_assess(
    *,
    actor: User,
    case: Case,
    persecution: str,
    indicators: list[str],
    safety_plan: str,
    answers: list[str] | None = None,
    judged_level: str = "",
    raise_reason: str = "",
    form_token: str = "",
) -> RiskAssessment:
    """Record a risk assessment and safety plan (the risk questions of cases/risk.py). She may raise the level above
    what the answers give, with a reason (audited as `case.risk.raise`); she may not lower it: a wrong answer is
    corrected, not outvoted. Trafficking indicators raise an alert for the Ombudsman monitors of the area, without
    identity (unless she consented to more), once per case."""
    require_open(case)
    claimed = once.claim(
        user=actor, kind="case.risk.assess", token=form_token,
        content=once.plain({"case": case, "answers": sorted(answers or []), "persecution": persecution,
                          "indicators": sorted(indicators), "plan": safety_plan, "judged": judged_level}),
    )  # fmt: skip
    result = risk_level(
        case=case, answers=answers or [], persecution=persecution, indicators=indicators, judged=judged_level
    )
    raised = bool(judged_level) and result.level != result.computed
    if judged_level and risk_questions.LEVELS.index(judged_level) < risk_questions.LEVELS.index(result.computed):
        raise ValidationError(
            {"judged_level": _("The answers give a higher level. Raise it if you judge so, or correct an answer.")}
        )
    if raised and not raise_reason.strip():
        raise ValidationError({"raise_reason": _("Say why you raise the level.")})
    assessment = RiskAssessment.objects.create(
        case=case,
        assessed_by=actor,
        persecution=persecution,
        trafficking_indicators=indicators,
        answers=result.answers,
        questions_version=risk_questions.questions().version,
        score=result.score,
        computed_level=result.computed,
        level=result.level,
        raised_reason=raise_reason.strip() if raised else "",
        safety_plan=safety_plan,
    )
    audit_record(
        actor=actor, action="case.risk.assess", obj=case, organization=case.organization,
        detail={"assessment": assessment.pk, "level": assessment.level, "computed": result.computed,
                "score": result.score, "answers": result.answers, "indicators": sorted(indicators),
                "questions": assessment.questions_version},
    )  # fmt: skip
    if raised:
        audit_record(
            actor=actor, action="case.risk.raise", obj=case, organization=case.organization,
            detail={"assessment": assessment.pk, "from": result.computed, "to": result.level},
        )  # fmt: skip
    if indicators:
        trafficking_alert_raise(case=case, indicators=indicators)
    once.settle(claimed, assessment.pk)
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
def action_add(
    *, actor: User, case: Case, description: str, due_on: date, assigned_to: User | None, form_token: str = ""
) -> ActionItem:
    require_open(case)
    claimed = once.claim(
        user=actor, kind="case.action.add", token=form_token,
        content=once.plain({"case": case, "description": description, "due_on": due_on}),
    )  # fmt: skip
    item = ActionItem.objects.create(case=case, description=description, due_on=due_on, assigned_to=assigned_to)
    audit_record(
        actor=actor, action="case.action.add", obj=case, organization=case.organization, detail={"id": item.pk}
    )
    once.settle(claimed, item.pk)
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
    next_follow_up: date | None, form_token: str = "",
) -> Child:  # fmt: skip
    require_open(case)
    claimed = once.claim(
        user=actor, kind="case.child.add", token=form_token,
        content=once.plain({"case": case, "age_band": age_band, "risks": risks, "care": care_arrangement,
                          "notes": care_notes, "next": next_follow_up}),
    )  # fmt: skip
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
    once.settle(claimed, child.code)
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
    case.closed_as = Case.ClosedAs.COMPLETED
    case.closed_at = timezone.now()
    case.closure_approved_by = actor
    case.save(update_fields=["status", "closed_as", "closed_at", "closure_approved_by"])
    audit_record(actor=actor, action="case.closure.approve", obj=case, organization=case.organization)


@transaction.atomic
def case_reopen(*, actor: User, case: Case) -> None:
    was_duplicate_of = case.duplicate_of
    case.status = Case.Status.OPEN
    case.closed_at = None
    case.closure_approved_by = None
    case.closed_as = ""
    case.duplicate_of = None
    case.save(update_fields=["status", "closed_at", "closure_approved_by", "closed_as", "duplicate_of"])
    audit_record(
        actor=actor, action="case.reopen", obj=case, organization=case.organization,
        detail={"was_duplicate_of": was_duplicate_of.code if was_duplicate_of else None},
    )  # fmt: skip


# What a merge moves from the duplicate to the case kept: records that need no consent of their own. Consents,
# referrals and legal matters stay on the duplicate (closed, still readable): each was given or sent under that
# case's consents, and moving them would share them under consents she never gave for the kept case.
MERGED = ("incidents", "risk_assessments", "actions", "children")


@transaction.atomic
def case_close_as_duplicate(*, actor: User, case: Case, kept: Case, merge: bool) -> dict[str, int]:
    """Close a case opened twice for the same person, linked to the one kept, without the closure checklist (whose
    items would be false) and without approval: nothing of hers is lost, the duplicate stays readable and can be
    reopened. With `merge`, her incidents, risk assessments, actions and children move to the case kept. Audited on
    both cases. Who may do it (someone who may write both) is decided by the view through amparo.access."""
    _lock(case)
    _lock(kept)
    case.refresh_from_db()
    kept.refresh_from_db()
    if kept.pk == case.pk:
        raise ValidationError({"kept": _("Choose the other case, the one to keep.")})
    if kept.organization_id != case.organization_id:
        raise ValidationError({"kept": _("Both cases must belong to the same organisation.")})
    if kept.status == Case.Status.CLOSED:
        raise ValidationError({"kept": _("The case to keep is closed: reopen it first.")})
    if case.status == Case.Status.CLOSED:
        raise ValidationError(_("This case is already closed."))
    moved: dict[str, int] = {}
    if merge:
        for name in MERGED:
            moved[name] = getattr(case, name).update(case=kept)
    case.status = Case.Status.CLOSED
    case.closed_as = Case.ClosedAs.DUPLICATE
    case.duplicate_of = kept
    case.closed_at = timezone.now()
    case.closure_approved_by = actor
    case.save(update_fields=["status", "closed_as", "duplicate_of", "closed_at", "closure_approved_by"])
    audit_record(
        actor=actor, action="case.close_as_duplicate", obj=case, organization=case.organization,
        detail={"kept": kept.code, "merged": moved},
    )  # fmt: skip
    audit_record(
        actor=actor, action="case.duplicate_merged" if merge else "case.duplicate_linked", obj=kept,
        organization=kept.organization, detail={"duplicate": case.code, "merged": moved},
    )  # fmt: skip
    return moved


def overdue_actions(cases: QuerySet[Case]) -> QuerySet[ActionItem]:
    return ActionItem.objects.filter(case__in=cases, done_at__isnull=True, due_on__lt=timezone.localdate())


# --- Retention (DESIGN.md rule 7) ----------------------------------------------------------------------------------


def purge_closed_cases(now: datetime | None = None) -> int:
    """Hard-delete cases closed longer ago than CASES_RETENTION_DAYS, with everything attached (consents,
    incidents, plans, children, legal matters, referrals), one audited transaction per case; then sweep stored
    files that no row names."""

    from django.conf import settings

    cutoff = (now or timezone.now()) - timedelta(days=settings.CASES_RETENTION_DAYS)
    purged = 0
    import shutil

    from .storage import matter_folders, sweep_orphan_files

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
    sweep_orphan_files()  # files whose row never committed (a process killed mid-write; core/filestore.py)
    return purged
