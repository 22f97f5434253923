"""Writes and audited reads of a caseworker's day (issue 13, items 2 and 6): the search's audit entry, dated notes,
case files and the printable summary. One transaction each, with the audit entry in the same transaction
(DESIGN.md rule 5); `detail` holds ids, codes, counts and field names only, never a search term or a note."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any, cast

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _

from amparo.accounts.models import Organization, User
from amparo.audit.services import audit_listing, audit_record
from amparo.core import filestore, once
from amparo.core.encryption import decrypt_bytes, encrypt_bytes
from amparo.core.uploads import CleanFile

from . import signals
from .models import Case, CaseFile, CaseNote, CaseTransfer, Child, Incident, RiskAssessment
from .search import SearchOutcome
from .services import case_read, health_windows, require_open
from .vocab import ConsentKind, ConsentMethod

# --- Search ------------------------------------------------------------------------------------------------------


@transaction.atomic
def case_search_record(*, actor: User, organizations: QuerySet[Organization], outcome: SearchOutcome) -> None:
    """Audit a search: one `case.search` entry per organisation she searched as a member of (pass the
    organisations where she holds a case role), with its kind, how many words were looked up and how many cases
    were found, never the words; and the listing of the codes shown (`case.search.read`). A search that finds
    nothing is recorded too."""
    organisations = {o.pk: o for o in organizations}
    for case in outcome.cases:
        organisations.setdefault(case.organization_id, case.organization)
    found: dict[int, int] = {}
    for case in outcome.cases:
        found[case.organization_id] = found.get(case.organization_id, 0) + 1
    for organisation in organisations.values():
        audit_record(
            actor=actor, action="case.search", object_type="cases.case", organization=organisation,
            detail={"kind": outcome.kind, "terms": outcome.terms, "results": found.get(organisation.pk, 0)},
        )  # fmt: skip
    audit_listing(
        actor=actor, action="case.search.read", object_type="cases.case",
        shown=((case.organization, case.code) for case in outcome.cases),
    )  # fmt: skip


# --- Notes -------------------------------------------------------------------------------------------------------


def _audit(actor: User | None, action: str, case: Case, **detail: Any) -> None:
    audit_record(actor=actor, action=action, obj=case, organization=case.organization, detail=detail)


@transaction.atomic
def case_note_add(*, actor: User, case: Case, noted_on: date, text: str, form_token: str = "") -> CaseNote:
    """A dated note, encrypted like the narrative. Not on a closed case; not dated in the future. With the form's
    one-time token, a resubmitted note raises core.once.AlreadyDone instead of saving it twice."""
    require_open(case)
    claimed = once.claim(
        user=actor, kind="case.note.add", token=form_token,
        content=once.plain({"case": case, "noted_on": noted_on, "text": text}),
    )  # fmt: skip
    if noted_on > timezone.localdate():
        raise ValidationError(_("A note cannot be dated in the future."))
    if noted_on < timezone.localdate(case.opened_at) - timedelta(days=366):
        raise ValidationError(_("Check the date: it is more than a year before the case was opened."))
    note = CaseNote.objects.create(case=case, noted_on=noted_on, text=text, author=actor)
    _audit(actor, "case.note.add", case, note=str(note.uuid))
    once.settle(claimed, note.uuid)
    return note


@transaction.atomic
def case_notes_read(*, actor: User, case: Case) -> None:
    case_read(actor=actor, case=case, what="notes")


# --- Files -------------------------------------------------------------------------------------------------------


def case_file_folder(case: Case) -> Path:
    return Path(settings.CASES_STORAGE_DIR) / "case-files" / str(case.uuid)


def case_file_path(case_file: CaseFile) -> Path:
    return case_file_folder(case_file.case) / f"{case_file.uuid}.bin"


def case_file_add(*, actor: User, case: Case, clean: CleanFile, form_token: str = "") -> CaseFile:
    """Store a checked file (type by contents, image metadata stripped, bounded before decoding by core.uploads)
    encrypted with the field keys, like legal documents; nothing half-way on failure. With the form's one-time
    token, the same file sent again raises core.once.AlreadyDone instead of storing it twice."""
    path: Path | None = None
    try:
        with transaction.atomic():
            require_open(case)
            claimed = once.claim(
                user=actor, kind="case.file.add", token=form_token,
                content=once.plain({"case": case, "file": clean.identity}),
            )  # fmt: skip
            if case.files.count() >= settings.CASE_MAX_FILES:
                raise ValidationError(_("This case already has %(n)d files.") % {"n": settings.CASE_MAX_FILES})
            case_file = CaseFile.objects.create(
                case=case, name=clean.name, content_type=clean.content_type, size=len(clean.data), uploaded_by=actor
            )
            path = case_file_path(case_file)
            filestore.write_atomically(path, encrypt_bytes(clean.data))  # whole or nothing (core/filestore.py)
            _audit(actor, "case.file.add", case, file=str(case_file.uuid), content_type=clean.content_type)
            once.settle(claimed, case_file.uuid)
    except BaseException:
        if path is not None:
            path.unlink(missing_ok=True)
        raise
    return case_file


@transaction.atomic
def case_file_read(*, actor: User, case_file: CaseFile) -> bytes:
    data = decrypt_bytes(case_file_path(case_file).read_bytes())
    _audit(actor, "case.file.read", case_file.case, file=str(case_file.uuid))
    return data


# --- The printable summary ---------------------------------------------------------------------------------------


@dataclass(frozen=True)
class SummaryParts:
    identity: bool = False  # her name, contact, document, address
    narrative: bool = False  # her account, incident descriptions, the safety plan, actions and notes


@dataclass(frozen=True)
class ClinicalWindow:
    code: str
    ends_at: datetime


@dataclass
class Summary:
    incidents: list[Incident]
    windows: list[ClinicalWindow]
    consents: list[str]
    risk: Any
    actions: list[Any]
    children: list[Any]
    referrals: list[Any]
    matters: list[Any]
    notes: list[CaseNote] = field(default_factory=list)


@transaction.atomic
def case_summary(*, actor: User, case: Case, parts: SummaryParts) -> Summary:
    """What the printable summary shows, read and audited (`case.read`, part "summary", with the parts asked)."""
    from .legal_services import legal_matters_of_case

    incidents = list(case.incidents.select_related("place"))
    windows = [
        ClinicalWindow(w.code, i.occurred_at + timedelta(hours=w.hours)) for i in incidents for w in health_windows(i)
    ]
    summary = Summary(
        incidents=incidents,
        windows=windows,
        consents=[c.get_kind_display() for c in case.consents.filter(withdrawn_at__isnull=True)],
        risk=case.risk_assessments.first(),
        actions=list(case.actions.filter(done_at__isnull=True)) if parts.narrative else [],
        children=list(case.children.all()),
        referrals=list(case.referrals.select_related("service__organization").order_by("-sent_at")),
        matters=list(legal_matters_of_case(case)),
        notes=list(case.notes.select_related("author")[:20]) if parts.narrative else [],
    )
    audit_record(
        actor=actor, action="case.read", obj=case, organization=case.organization,
        detail={"part": "summary", "identity": parts.identity, "narrative": parts.narrative},
    )  # fmt: skip
    return summary


# --- Coordinators ------------------------------------------------------------------------------------------------


@transaction.atomic
def caseload_read(*, actor: User, organization: Organization) -> None:
    audit_record(actor=actor, action="case.caseload.read", object_type="cases.case", organization=organization)


@transaction.atomic
def closures_listed(*, actor: User, cases: list[Case]) -> None:
    audit_listing(
        actor=actor, action="case.closures.read", object_type="cases.case",
        shown=((case.organization, case.code) for case in cases),
    )  # fmt: skip


# --- Transfer to another organisation, with her consent ---------------------------------------------------------

# What may travel, chosen one by one. Always left behind with the sending organisation: her account in her words,
# the incidents' descriptions, the safety plan, notes, files, legal matters, referrals, and her sharing consents
# (she gives them again to the organisation that receives her).
TRANSFERABLE = {
    "identity": ("full_name", "contact", "document", "address"),
    "profile": ("age_band", "gender_identity", "nationality", "migratory_status", "disability", "place"),
    "incidents": (),  # type, date, place, perpetrators and context of each incident; never the description
    "risk": (),  # the latest level and trafficking indicators; never the safety plan
    "children": (),  # each child's age band, risks and care arrangement; never the care notes
}


def _transfer_audit(actor: User | None, action: str, transfer: CaseTransfer, case: Case, **detail: Any) -> None:
    audit_record(
        actor=actor, action=action, obj=case, organization=case.organization,
        detail={"transfer": str(transfer.uuid), "travels": transfer.travels, **detail},
    )  # fmt: skip


@transaction.atomic
def case_transfer_request(
    *, actor: User, case: Case, to_organization: Organization, consent_method: str, travels: list[str], reason: str,
    form_token: str = "",
) -> CaseTransfer:  # fmt: skip
    """Propose the case to another member organisation, with her consent to be transferred (how she gave it is
    recorded). Audited in both organisations' trails; nothing travels until the receiving one accepts. With the
    form's one-time token, a resubmitted proposal raises core.once.AlreadyDone (its ref: the case)."""
    from .services import _lock

    _lock(case)
    case.refresh_from_db()
    claimed = once.claim(
        user=actor, kind="case.transfer.request", token=form_token,
        content=once.plain({"case": case, "to": to_organization, "consent": consent_method,
                            "travels": sorted(travels), "reason": reason}),
    )  # fmt: skip
    require_open(case)
    if to_organization.pk == case.organization_id:
        raise ValidationError(_("Choose another organisation."))
    if consent_method not in {ConsentMethod.VERBAL, ConsentMethod.WRITTEN}:
        raise ValidationError(_("Record how she agreed to the transfer."))
    unknown = set(travels) - set(TRANSFERABLE)
    if unknown:
        raise ValidationError(_("Unknown part to transfer."))
    if case.transfers.filter(status=CaseTransfer.Status.PENDING).exists():
        raise ValidationError(_("A transfer of this case is already waiting for an answer."))
    transfer = CaseTransfer.objects.create(
        case=case, from_organization=case.organization, to_organization=to_organization,
        consent_method=consent_method, travels=[t for t in TRANSFERABLE if t in set(travels)], reason=reason,
        requested_by=actor,
    )  # fmt: skip
    _transfer_audit(actor, "case.transfer.request", transfer, case, to=str(to_organization.uuid))
    once.settle(claimed, case.uuid)
    audit_record(
        actor=actor, action="case.transfer.incoming", object_type="cases.casetransfer", object_id=str(transfer.uuid),
        organization=to_organization, detail={"from": str(case.organization.uuid), "travels": transfer.travels},
    )  # fmt: skip
    return transfer


@transaction.atomic
def case_transfer_decide(*, actor: User, transfer: CaseTransfer, accept: bool) -> Case | None:
    """The receiving organisation accepts (a new case there with what travels; the sending case is closed as
    transferred, and its open referrals are cancelled with the reason shown to their focal points, the receiving
    organisation told what was open: `signals.case_transferred`) or declines (the sending case stays as it was).
    Audited on both sides, in one transaction."""
    from .services import _lock

    transfer = CaseTransfer.objects.select_for_update().get(pk=transfer.pk)
    if transfer.status != CaseTransfer.Status.PENDING:
        raise ValidationError(_("This transfer was already answered."))
    case = transfer.case
    _lock(case)
    case.refresh_from_db()
    transfer.decided_by = actor
    transfer.decided_at = timezone.now()
    if not accept or case.status == Case.Status.CLOSED:
        transfer.status = CaseTransfer.Status.DECLINED
        transfer.save(update_fields=["status", "decided_by", "decided_at"])
        _transfer_audit(actor, "case.transfer.decline", transfer, case)
        audit_record(
            actor=actor, action="case.transfer.decline", object_type="cases.casetransfer",
            object_id=str(transfer.uuid), organization=transfer.to_organization, detail={},
        )  # fmt: skip
        return None
    new_case = _transferred_copy(actor, transfer, case)
    # Referrals sent under her consents to the sending organisation end here; the receiving one is told what was open.
    responses = signals.case_transferred.send(sender=Case, case=case, transfer=transfer, actor=actor)
    transfer.open_referrals = [item for _receiver, closed in responses for item in cast(list[Any], closed)]
    transfer.status = CaseTransfer.Status.ACCEPTED
    transfer.new_case = new_case
    transfer.save(update_fields=["status", "decided_by", "decided_at", "new_case", "open_referrals"])
    case.status = Case.Status.CLOSED
    case.closed_at = timezone.now()
    case.closure_checklist = {"transferred": True}
    case.closure_requested_by = transfer.requested_by
    case.closure_approved_by = transfer.requested_by
    case.save(update_fields=["status", "closed_at", "closure_checklist", "closure_requested_by", "closure_approved_by"])
    cancelled = len(transfer.open_referrals)
    _transfer_audit(
        actor, "case.transfer.accept", transfer, case, to=str(transfer.to_organization.uuid),
        referrals_cancelled=cancelled,
    )  # fmt: skip
    _transfer_audit(
        actor, "case.transfer.receive", transfer, new_case, source=str(transfer.from_organization.uuid),
        referrals_cancelled=cancelled,
    )  # fmt: skip
    return new_case


def _transferred_copy(actor: User, transfer: CaseTransfer, case: Case) -> Case:
    from .search import case_search_reindex
    from .services import consent_record

    fields: dict[str, Any] = {}
    for part in ("identity", "profile"):
        if part in transfer.travels:
            fields |= {name: getattr(case, name) for name in TRANSFERABLE[part]}
    new_case = Case.objects.create(organization=transfer.to_organization, created_by=actor, **fields)
    if "incidents" in transfer.travels:
        for incident in case.incidents.all():
            Incident.objects.create(
                case=new_case, occurred_at=incident.occurred_at, time_known=incident.time_known,
                first_reported_at=incident.first_reported_at, place=incident.place,
                elimination_answers=incident.elimination_answers, gbv_type=incident.gbv_type,
                context_tags=incident.context_tags, perpetrator_types=incident.perpetrator_types,
                perpetrator_count=incident.perpetrator_count,
            )  # fmt: skip
    risk = case.risk_assessments.first()
    if "risk" in transfer.travels and risk is not None:
        RiskAssessment.objects.create(
            case=new_case, assessed_at=risk.assessed_at, persecution=risk.persecution,
            trafficking_indicators=risk.trafficking_indicators, level=risk.level,
        )  # fmt: skip
    if "children" in transfer.travels:
        for child in case.children.all():
            Child.objects.create(
                case=new_case, age_band=child.age_band, risks=child.risks, care_arrangement=child.care_arrangement
            )
    case_search_reindex(new_case)
    # Her consent to be transferred is her consent to receive services from the receiving organisation.
    consent_record(actor=actor, case=new_case, kind=ConsentKind.SERVICES, method=transfer.consent_method)
    return new_case


def transferable_organizations(case: Case) -> QuerySet[Organization]:
    """The member organisations a case can be transferred to: every other one."""
    return Organization.objects.exclude(pk=case.organization_id).order_by("name")


def transfers_for(organizations: QuerySet[Organization]) -> QuerySet[CaseTransfer]:
    """Transfers to or from these organisations (the coordinators' transfers page), newest first."""
    from django.db.models import Q

    return CaseTransfer.objects.filter(
        Q(to_organization__in=organizations) | Q(from_organization__in=organizations)
    ).select_related("case", "from_organization", "to_organization", "requested_by", "new_case")
