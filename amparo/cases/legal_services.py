"""Legal aid on a case: matters (complaints, custody, eviction mediation), their deadlines, hearings and documents,
reminders, and where a complaint against a state agent can go.

Writes are `legal_<entity>_<verb>(*, actor, ...)`, one transaction each, with the audit row in the same transaction
(DESIGN.md rule 5); reads of a matter's protected content go through `legal_matter_read`. Audit details hold ids,
codes and field names only, never parties, outcomes or descriptions.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Exists, Min, OuterRef, Q, QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _

from amparo.accounts.models import User
from amparo.audit.services import audit_listing, audit_record
from amparo.core import filestore, once
from amparo.core.encryption import decrypt_bytes, encrypt_bytes
from amparo.core.uploads import CleanFile
from amparo.directory.models import Organization as DirectoryOrganization
from amparo.directory.models import Place
from amparo.directory.selectors import Hit, SearchCriteria, search_services

from .legal_facts import PATHWAYS, Entity, Pathway
from .models import Case, LegalDocument, LegalEvent, LegalMatter
from .vocab import STATE_AGENTS, PerpetratorType

# Fields a lawyer may change on a matter; the encrypted ones are parties, outcome and filing_reference.
UPDATABLE_FIELDS = frozenset({"status", "outcome", "parties", "filing_reference", "lawyer", "entity"})
# Directory organisations where a legal matter can be filed.
FILING_KINDS = ("prosecutor", "comisaria", "ombudsman", "child-welfare", "local-government", "police", "other")
# Event kinds that have a date to keep (documents are dated too, but nobody is reminded of them).
REMINDED_KINDS = (LegalEvent.Kind.DEADLINE, LegalEvent.Kind.HEARING)
OPEN_STATUSES = (LegalMatter.Status.PREPARING, LegalMatter.Status.FILED, LegalMatter.Status.IN_PROGRESS)


# --- Selectors ---------------------------------------------------------------------------------------------------


def legal_matters_of_case(case: Case) -> QuerySet[LegalMatter]:
    """The case's legal matters, for the case page's legal block: kind, status, lawyer and the next open deadline or
    hearing (`next_due_at`). It reads no encrypted field; the case page's own read is audited by case_read."""
    return (
        LegalMatter.objects.filter(case=case)
        .select_related("lawyer")
        .annotate(next_due_at=Min("events__due_at", filter=Q(events__done=False, events__kind__in=REMINDED_KINDS)))
    )


def entity_choices(case: Case) -> QuerySet[DirectoryOrganization]:
    """Where the matter can be filed: entities of the directory with a location in the case's department (in the
    whole directory when the case has no municipality), never the institution of a state agent who attacked her."""
    aggressors = [PATHWAYS[p] for p in state_agent_perpetrators(case)]
    excluded = frozenset().union(*(p.excluded_kinds for p in aggressors))
    entities = DirectoryOrganization.objects.filter(kind__in=FILING_KINDS).exclude(kind__in=excluded)
    place = case.place
    if place is not None:
        region = place.parent_id or place.pk
        entities = entities.filter(Q(locations__place__parent_id=region) | Q(locations__place_id=place.pk))
    return entities.distinct().order_by("name")


def _check_entity(case: Case, entity: DirectoryOrganization | None) -> None:
    if entity is not None and not entity_choices(case).filter(pk=entity.pk).exists():
        raise ValidationError(_("Choose an entity of the case's department."))


def lawyer_choices(case: Case) -> QuerySet[User]:
    """Who may be the lawyer of a matter: the organisation's active legal advisors, and anyone already on the case
    (an assigned caseworker or lawyer, or the supervisor) with an active case role in its organisation. A legal
    advisor who is not yet on the case joins its team when chosen (`_add_lawyer_to_team`, audited). Each person
    carries `legal_advisor` (whether she is one of the organisation's legal advisors), so the form can say so."""
    from amparo.accounts.models import Membership
    from amparo.accounts.roles import CASE_ROLES, Role

    in_organisation = Q(
        memberships__organization=case.organization_id,
        memberships__active=True,
    )
    on_case = Q(assigned_cases=case) | Q(supervised_cases=case)
    advisor = Membership.objects.filter(
        user=OuterRef("pk"), organization=case.organization_id, active=True, role=Role.LEGAL_ADVISOR
    )
    return (
        User.objects.filter(is_active=True)
        .filter(
            Q(pk__in=User.objects.filter(on_case, in_organisation, memberships__role__in=CASE_ROLES).values("pk"))
            | Q(pk__in=User.objects.filter(in_organisation, memberships__role=Role.LEGAL_ADVISOR).values("pk"))
        )
        .annotate(legal_advisor=Exists(advisor))
        .distinct()
        .order_by("-legal_advisor", "display_name", "email")
    )


def _add_lawyer_to_team(actor: User, matter: LegalMatter, lawyer: User | None) -> None:
    """The chosen lawyer must see the case to work on it: a legal advisor of the organisation not yet on the team
    is assigned to it, in the same transaction, and the assignment is audited (`case.assign`)."""
    case = matter.case
    if lawyer is None or case.caseworkers.filter(pk=lawyer.pk).exists() or case.supervisor_id == lawyer.pk:
        return
    case.caseworkers.add(lawyer)
    audit_record(
        actor=actor, action="case.assign", obj=case, organization=case.organization,
        detail={"added": [lawyer.pk], "as": "lawyer", "matter": str(matter.uuid)},
    )  # fmt: skip


def upcoming_legal_events(cases: QuerySet[Case], *, days: int, now: datetime | None = None) -> QuerySet[LegalEvent]:
    """Open deadlines and hearings of open matters of these cases due within `days` days, overdue ones included (a
    missed legal deadline is the one to see first)."""
    now = now or timezone.now()
    return (
        LegalEvent.objects.filter(
            matter__case__in=cases.values("pk"),
            matter__status__in=OPEN_STATUSES,
            kind__in=REMINDED_KINDS,
            done=False,
            due_at__lte=now + timedelta(days=days),
        )
        .select_related("matter__case__organization", "matter__lawyer")
        .order_by("due_at", "pk")
    )


# --- Matters and events ------------------------------------------------------------------------------------------


def _audit(actor: User | None, action: str, matter: LegalMatter, **detail: Any) -> None:
    audit_record(
        actor=actor,
        action=action,
        obj=matter,
        organization=matter.case.organization,
        detail={"case": matter.case.code, "kind": matter.kind, **detail},
    )


def _check_lawyer(case: Case, lawyer: User | None) -> None:
    if lawyer is not None and not lawyer_choices(case).filter(pk=lawyer.pk).exists():
        raise ValidationError(_("The lawyer must be a legal advisor of the organisation or someone on the case."))


@transaction.atomic
def legal_matter_open(
    *,
    actor: User,
    case: Case,
    kind: str,
    lawyer: User | None = None,
    parties: str = "",
    filing_reference: str = "",
    entity: DirectoryOrganization | None = None,
    form_token: str = "",
) -> LegalMatter:
    """Open a legal matter on an open case. With the form's one-time token, a resubmitted form raises
    core.once.AlreadyDone with the matter the first one opened."""
    from .services import require_open

    require_open(case)
    claimed = once.claim(
        user=actor, kind="legal.matter.open", token=form_token,
        content=once.plain({"case": case, "kind": kind, "lawyer": lawyer, "parties": parties,
                            "filing_reference": filing_reference, "entity": entity}),
    )  # fmt: skip
    if kind not in LegalMatter.Kind.values:
        raise ValidationError(_("Unknown kind of legal matter."))
    _check_lawyer(case, lawyer)
    _check_entity(case, entity)
    matter = LegalMatter.objects.create(
        case=case, kind=kind, lawyer=lawyer, parties=parties, filing_reference=filing_reference, entity=entity
    )
    _audit(actor, "legal.matter.open", matter, lawyer=lawyer.pk if lawyer else None)
    _add_lawyer_to_team(actor, matter, lawyer)
    once.settle(claimed, matter.uuid)
    return matter


@transaction.atomic
def legal_matter_read(*, actor: User, matter: LegalMatter) -> None:
    """Record that someone opened the matter (its parties, outcome, events)."""
    _audit(actor, "legal.matter.read", matter)


@transaction.atomic
def legal_matter_update(*, actor: User, matter: LegalMatter, changes: dict[str, Any]) -> list[str]:
    """Change status, outcome, parties, filing number or lawyer; returns the names of the fields that changed."""
    unknown = set(changes) - UPDATABLE_FIELDS
    if unknown:
        raise ValidationError(
            _("These fields cannot be changed here: %(fields)s") % {"fields": ", ".join(sorted(unknown))}
        )
    if "status" in changes and changes["status"] not in LegalMatter.Status.values:
        raise ValidationError(_("Unknown status."))
    if "lawyer" in changes:
        _check_lawyer(matter.case, changes["lawyer"])
    if "entity" in changes:
        _check_entity(matter.case, changes["entity"])
    changed = sorted(name for name, value in changes.items() if getattr(matter, name) != value)
    if not changed:
        return []
    for name in changed:
        setattr(matter, name, changes[name])
    matter.save(update_fields=changed)
    _audit(actor, "legal.matter.update", matter, fields=changed, status=matter.status)
    if "lawyer" in changed:
        _add_lawyer_to_team(actor, matter, matter.lawyer)
    return changed


@transaction.atomic
def legal_event_add(
    *, actor: User, matter: LegalMatter, kind: str, due_at: datetime, description: str = "", form_token: str = ""
) -> LegalEvent:
    """Add a deadline, hearing or document date. With the form's one-time token, a resubmitted form raises
    core.once.AlreadyDone (its ref: the matter) instead of adding the date twice."""
    if kind not in LegalEvent.Kind.values:
        raise ValidationError(_("Unknown kind of event."))
    claimed = once.claim(
        user=actor, kind="legal.event.add", token=form_token,
        content=once.plain({"matter": matter, "kind": kind, "due_at": due_at, "description": description}),
    )  # fmt: skip
    event = LegalEvent.objects.create(matter=matter, kind=kind, due_at=due_at, description=description)
    _audit(actor, "legal.event.add", matter, event=event.pk, event_kind=kind)
    once.settle(claimed, matter.uuid)
    return event


EVENT_FIELDS = ("kind", "due_at", "description", "done")


@transaction.atomic
def legal_event_update(*, actor: User, matter: LegalMatter, event: LegalEvent, changes: dict[str, Any]) -> list[str]:
    """Correct a deadline, hearing or document (a mistyped date, the wrong kind, a note). The audit log keeps the
    history: which fields changed, when and by whom, never the description. A new date is notified afresh."""
    if event.matter_id != matter.pk:
        raise LegalEvent.DoesNotExist
    if changes.get("kind", event.kind) not in LegalEvent.Kind.values:
        raise ValidationError(_("Unknown kind of event."))
    changes = {k: v for k, v in changes.items() if k in EVENT_FIELDS and v != getattr(event, k)}
    if not changes:
        return []
    for name, value in changes.items():
        setattr(event, name, value)
    fields = sorted(changes)
    event.save(update_fields=fields)  # a new date is notified afresh: its notices are keyed by the date
    _audit(actor, "legal.event.update", matter, event=event.pk, event_kind=event.kind, fields=sorted(changes))
    return sorted(changes)


def legal_event_history(matter: LegalMatter, event: LegalEvent) -> list[Any]:
    """The corrections of a legal date, newest first, from the audit log (who, when, which fields)."""
    from amparo.audit.models import AuditEntry

    return list(
        AuditEntry.objects.filter(action="legal.event.update", object_id=str(matter.uuid), detail__event=event.pk)
        .order_by("-seq")
        .values("at", "actor_label", "detail")[:100]
    )


@transaction.atomic
def legal_event_done(*, actor: User, matter: LegalMatter, event_id: int) -> LegalEvent:
    """Mark a deadline met, a hearing held or a document delivered. The event must belong to the matter."""
    event = matter.events.select_for_update().filter(pk=event_id).first()
    if event is None:
        raise LegalEvent.DoesNotExist
    if not event.done:
        event.done = True
        event.save(update_fields=["done"])
        _audit(actor, "legal.event.done", matter, event=event.pk, event_kind=event.kind)
    return event


@transaction.atomic
def legal_upcoming_read(*, actor: User, events: list[LegalEvent]) -> None:
    """Record that someone listed upcoming legal dates (one row per date, known by its case's code)."""
    audit_listing(
        actor=actor, action="legal.upcoming.read", object_type="cases.legalevent",
        shown=((e.matter.case.organization, e.matter.case.code) for e in events),
    )  # fmt: skip


# --- Reminders ---------------------------------------------------------------------------------------------------


@dataclass
class Reminder:
    user: User
    events: list[LegalEvent] = field(default_factory=list)
    as_lawyer: bool = True


# A date is notified once per stage (today.services.legal_dates_notify): when it comes within the reminder horizon,
# again on its last day, and once more when it is overdue. Every day would teach people to ignore the notices; the
# upcoming page lists them all anyway.
REMINDER_STAGES = ("ahead", "day", "overdue")


def reminder_stage(event: LegalEvent, now: datetime) -> str:
    if event.due_at < now:
        return "overdue"
    if event.due_at - now <= timedelta(days=1):
        return "day"
    return "ahead"


def legal_reminder_plan(
    *, days: int, cases_for_user: Callable[[User], QuerySet[Case]], now: datetime | None = None
) -> list[Reminder]:
    """Who is reminded of which open deadlines and hearings due within `days` days (overdue included): the matter's
    lawyer while they can still see the case; otherwise the case's active caseworkers. Who "can still see" a case
    is the permission module's rule (`amparo.access.cases_for_user`), given by the caller. Whether someone gets an
    e-mail too is her own choice, made with the notices (today.services.notify)."""
    now = now or timezone.now()
    all_cases = Case.objects.exclude(status=Case.Status.CLOSED)
    events = list(upcoming_legal_events(all_cases, days=days, now=now).prefetch_related("matter__case__caseworkers"))
    plan: dict[int, Reminder] = {}
    can_see: dict[tuple[int, int], bool] = {}

    def sees(user: User, case: Case) -> bool:
        key = (user.pk, case.pk)
        if key not in can_see:
            can_see[key] = cases_for_user(user).filter(pk=case.pk).exists()
        return can_see[key]

    for event in events:
        case = event.matter.case
        lawyer = event.matter.lawyer
        if lawyer is not None and lawyer.is_active and sees(lawyer, case):
            recipients, as_lawyer = [lawyer], True
        else:
            recipients = [u for u in case.caseworkers.all() if u.is_active and sees(u, case)]
            as_lawyer = False
        for user in recipients:
            reminder = plan.setdefault(user.pk, Reminder(user=user, as_lawyer=as_lawyer))
            reminder.as_lawyer = reminder.as_lawyer and as_lawyer
            reminder.events.append(event)
    return sorted(plan.values(), key=lambda r: r.user.email)


def legal_reminders_sent(*, reminders: list[Reminder], notices: int) -> None:
    """Audit a reminder run (counts only), in the caller's transaction: how many people, dates and new notices."""
    audit_record(
        action="legal.reminders.send",
        object_type="cases.legalevent",
        detail={
            "recipients": len(reminders),
            "events": len({e.pk for r in reminders for e in r.events}),
            "notices": notices,
        },
    )


# --- Complaints against state agents -----------------------------------------------------------------------------


@dataclass
class EntityNearby:
    entity: Entity
    hits: list[Hit]


@dataclass
class StateAgentGuide:
    """What the matter page shows for a complaint against a state agent."""

    perpetrators: list[str]  # state-agent perpetrator types recorded in the case's incidents
    recorded: bool  # False: no incident names a state agent, the guide is the general one
    pathways: list[Pathway]
    entities: list[EntityNearby]
    place: Place | None


def state_agent_perpetrators(case: Case) -> list[str]:
    found: set[str] = set()
    for types in case.incidents.values_list("perpetrator_types", flat=True):
        found.update(t for t in types or [] if t in STATE_AGENTS)
    order = list(PerpetratorType.values)
    return sorted(found, key=order.index)


def shows_state_agent_guide(matter: LegalMatter) -> bool:
    """A complaint against a state agent, or a criminal complaint on a case whose incidents name one."""
    if matter.kind == LegalMatter.Kind.STATE_AGENT_COMPLAINT:
        return True
    complaint = matter.kind in {LegalMatter.Kind.CRIMINAL_COMPLAINT, LegalMatter.Kind.INTRAFAMILY_COMPLAINT}
    return complaint and bool(state_agent_perpetrators(matter.case))


def case_place(case: Case) -> Place | None:
    """Where to look for entities: the municipality where she lives, else that of her latest incident."""
    if case.place is not None:
        return case.place
    incident = case.incidents.select_related("place").first()
    return incident.place if incident is not None else None


def state_agent_guide(matter: LegalMatter, *, per_entity: int = 3) -> StateAgentGuide:
    """The entities that do not answer to the aggressor's institution (legal_facts), with the nearest matching
    directory services around the case's municipality; services of the aggressor's own institution are left out."""
    perpetrators = state_agent_perpetrators(matter.case)
    recorded = bool(perpetrators)
    pathways = [PATHWAYS[p] for p in perpetrators] or [PATHWAYS[PerpetratorType.OTHER_STATE_AGENT]]
    excluded = frozenset().union(*(p.excluded_kinds for p in pathways))
    entities: list[Entity] = []
    for pathway in pathways:
        entities += [e for e in pathway.entities if e not in entities]
    place = case_place(matter.case)
    nearby = []
    for entity in entities:
        hits: list[Hit] = []
        if place is not None:
            result = search_services(SearchCriteria(needs=entity.service_types, place=place, page_size=per_entity * 3))
            hits = [h for h in result.hits if _fits(entity, h.sal.service.organization.kind, excluded)][:per_entity]
        nearby.append(EntityNearby(entity, hits))
    return StateAgentGuide(perpetrators, recorded, pathways, nearby, place)


def _fits(entity: Entity, kind: str, excluded: frozenset[str]) -> bool:
    if kind in excluded or kind in entity.not_kinds:
        return False
    return not entity.kinds or kind in entity.kinds


# --- Documents (encrypted files) ------------------------------------------------------------------------------------


def document_path(document: LegalDocument) -> Path:
    return Path(settings.CASES_STORAGE_DIR) / str(document.matter.uuid) / f"{document.uuid}.bin"


def legal_document_add(
    *, actor: User | None, matter: LegalMatter, clean: CleanFile, form_token: str = ""
) -> LegalDocument:
    """Store a checked file (type by contents, image metadata stripped) encrypted; nothing half-way on failure. With
    the form's one-time token, the same file sent again raises core.once.AlreadyDone instead of storing it twice."""
    path: Path | None = None
    try:
        with transaction.atomic():
            claimed = once.claim(
                user=actor, kind="legal.document.add", token=form_token,
                content=once.plain({"matter": matter, "file": clean.identity}),
            )  # fmt: skip
            document = LegalDocument.objects.create(
                matter=matter, name=clean.name, content_type=clean.content_type, size=len(clean.data), uploaded_by=actor
            )
            path = document_path(document)
            filestore.write_atomically(path, encrypt_bytes(clean.data))  # whole or nothing (core/filestore.py)
            _audit(actor, "legal.document.add", matter, document=str(document.uuid), content_type=clean.content_type)
            once.settle(claimed, document.uuid)
    except BaseException:
        if path is not None:
            path.unlink(missing_ok=True)
        raise
    return document


@transaction.atomic
def legal_document_read(*, actor: User, document: LegalDocument) -> bytes:
    data = decrypt_bytes(document_path(document).read_bytes())
    _audit(actor, "legal.document.read", document.matter, document=str(document.uuid))
    return data
