"""Writes and audited reads of referrals (DESIGN.md rules 1, 2 and 5). One transaction each; every change and every
read of shared data writes an audit entry in the same transaction. `detail` holds ids, codes and field names only.

The shared values are never copied onto the referral: `shared_view` reads them from the case each time, and only
while the survivor's consent for the referral's type is active, so a withdrawal hides them at once.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from amparo.accounts.models import User
from amparo.audit.services import audit_listing, audit_record
from amparo.cases.models import Case, Incident
from amparo.cases.services import HEALTH_WINDOWS, has_consent
from amparo.cases.vocab import AgeBand, GenderIdentity, MigratoryStatus
from amparo.core import once
from amparo.core.models import FormToken
from amparo.directory.models import FocalPoint, Service
from amparo.safechannel.models import Report
from amparo.vocab import SEXUAL_VIOLENCE_TYPES, GBVType

from .models import CONSENT_FOR, Priority, Referral, ReferralEvent, ServiceType, SharedField
from .selectors import UNFINISHED, service_matches_type

# How long the receiving service has to answer, by priority (IASC inter-agency referral form).
RESPONSE_TIME = {
    Priority.EMERGENCY: timedelta(hours=24),
    Priority.URGENT: timedelta(hours=72),
    Priority.NORMAL: timedelta(days=14),
}
# Clinical windows after sexual violence, from the incident: the case's own list (cases.services.HEALTH_WINDOWS;
# the 120 h of emergency contraception is UNCONFIRMED: pages say "up to 120 h (confirm with the health service)").
PEP_WINDOW = timedelta(hours=dict(HEALTH_WINDOWS)["pep"])
EC_WINDOW = timedelta(hours=dict(HEALTH_WINDOWS)["emergency_contraception"])

Status = Referral.Status
# Who may move a referral where. The receiving focal point answers; the sender closes (or cancels) open referrals.
RECEIVER_TRANSITIONS: dict[str, frozenset[str]] = {
    Status.SENT: frozenset({Status.RECEIVED}),
    Status.RECEIVED: frozenset({Status.ACCEPTED, Status.DECLINED}),
    Status.ACCEPTED: frozenset({Status.ATTENDED}),
}
SENDER_CLOSABLE = frozenset(UNFINISHED)  # sent, received, accepted, attended
# Finished for the receiving side: the focal point no longer needs what she shared (DESIGN.md rule 1), and sees only
# the referral's metadata. The sender's side keeps seeing it (still under her consent).
RECEIVER_FINISHED = frozenset({Status.DECLINED, Status.CLOSED})


# --- Health clock ------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class HealthClock:
    """Hours since the latest incident, and the clinical windows still open."""

    occurred_at: datetime
    hours_since: int
    time_known: bool
    pep_ends_at: datetime
    ec_ends_at: datetime
    now: datetime

    @property
    def pep_open(self) -> bool:
        return self.now < self.pep_ends_at

    @property
    def ec_open(self) -> bool:
        return self.now < self.ec_ends_at

    @property
    def pep_hours_left(self) -> int:
        return max(0, int((self.pep_ends_at - self.now).total_seconds() // 3600))

    @property
    def ec_hours_left(self) -> int:
        return max(0, int((self.ec_ends_at - self.now).total_seconds() // 3600))

    @property
    def window_ends_at(self) -> datetime | None:
        """The end of the first window still open (PEP first), or None."""
        if self.pep_open:
            return self.pep_ends_at
        if self.ec_open:
            return self.ec_ends_at
        return None


def latest_incident(case: Case) -> Incident | None:
    return case.incidents.order_by("-occurred_at", "-pk").first()


def health_clock(case: Case, now: datetime | None = None) -> HealthClock | None:
    """From the latest incident of sexual violence (the clinical windows do not apply to other types)."""
    incident = case.incidents.filter(gbv_type__in=SEXUAL_VIOLENCE_TYPES).order_by("-occurred_at", "-pk").first()
    if incident is None:
        return None
    now = now or timezone.now()
    if incident.occurred_at > now:
        return None
    return HealthClock(
        occurred_at=incident.occurred_at,
        hours_since=int((now - incident.occurred_at).total_seconds() // 3600),
        time_known=incident.time_known,
        pep_ends_at=incident.occurred_at + PEP_WINDOW,
        ec_ends_at=incident.occurred_at + EC_WINDOW,
        now=now,
    )


def default_shared_fields(default: list[SharedField], clock: HealthClock | None) -> list[str]:
    """What a new referral's form ticks at first. Inside a clinical window (PEP 72 h, emergency contraception
    120 h) a health referral shares the clock by default: the hospital needs to know how long is left. The hours
    since the incident identify no one; the caseworker can still untick it."""
    shared = [str(code) for code in default]
    if clock is not None and clock.window_ends_at is not None and SharedField.HEALTH_CLOCK not in shared:
        shared.append(str(SharedField.HEALTH_CLOCK))
    return shared


def priority_and_deadline(
    case: Case, service_type: str, priority: str, now: datetime | None = None
) -> tuple[str, datetime]:
    """The priority and respond-by time of a new referral. A health referral within the PEP (72 h) or emergency
    contraception (120 h) window becomes an emergency, due no later than the end of the window still open."""
    now = now or timezone.now()
    respond_by = now + RESPONSE_TIME[Priority(priority)]
    if service_type == ServiceType.HEALTH:
        clock = health_clock(case, now)
        window_end = clock.window_ends_at if clock is not None else None
        if window_end is not None:
            priority = Priority.EMERGENCY
            respond_by = min(now + RESPONSE_TIME[Priority.EMERGENCY], window_end)
    return str(priority), respond_by


# --- Sending and the lifecycle -------------------------------------------------------------------------------------


def _event(referral: Referral, status: str, actor: User | None) -> None:
    ReferralEvent.objects.create(referral=referral, status=status, by=actor)


def _check_request(
    *, service_type: str, priority: str, shared_fields: list[str], service: Service, focal_point: FocalPoint | None
) -> None:
    """What any referral needs, whatever it is sent from: known choices and a target that serves the type."""
    if service_type not in ServiceType.values:
        raise ValidationError(_("Choose a referral type."))
    if priority not in Priority.values:
        raise ValidationError(_("Choose a priority."))
    unknown = set(shared_fields) - set(SharedField.values)
    if unknown:
        raise ValidationError(_("Unknown field to share."))
    if service.status != Service.Status.ACTIVE:
        raise ValidationError(_("This service is not active."))
    if not service_matches_type(service, service_type):
        raise ValidationError(_("This service does not offer this kind of care."))
    if focal_point is not None and not (
        focal_point.active
        and focal_point.grant == FocalPoint.Grant.APPROVED
        and focal_point.services.filter(pk=service.pk).exists()
    ):
        raise ValidationError(_("This focal point does not cover the chosen service."))


def _no_consent(service_type: str, where: str) -> ValidationError:
    return ValidationError(
        _(
            "She has not given (or has withdrawn) her consent to share information for %(type)s referrals. "
            "%(where)s Nothing was sent."
        )
        % {"type": ServiceType(service_type).label, "where": where}
    )


def _sent(referral: Referral, actor: User, organization: object, detail: dict[str, object]) -> Referral:
    _event(referral, Status.SENT, actor)
    audit_record(
        actor=actor, action="referral.send", obj=referral, organization=organization,
        detail={
            **detail, "service": str(referral.service.uuid), "type": referral.service_type,
            "priority": referral.priority, "fields": referral.shared_fields,
            "focal_point": str(referral.focal_point.uuid) if referral.focal_point is not None else None,
        },
    )  # fmt: skip
    return referral


@transaction.atomic
def referral_send(
    *,
    actor: User,
    case: Case,
    service: Service,
    focal_point: FocalPoint | None,
    service_type: str,
    shared_fields: list[str],
    priority: str,
    reason: str,
    form_token: str = "",
) -> Referral:
    """Refer the case to a directory service (or one of its focal points). Refused without the survivor's active
    consent for this referral type, and for a closed case. With the form's one-time token, a resubmitted form
    raises core.once.AlreadyDone with the referral the first one sent."""
    _check_request(
        service_type=service_type, priority=priority, shared_fields=shared_fields, service=service,
        focal_point=focal_point,
    )  # fmt: skip
    case = Case.objects.select_for_update().get(pk=case.pk)  # a concurrent closure or withdrawal waits for us
    claimed = _claim(
        actor, form_token, {"case": case}, service, focal_point, service_type, shared_fields, priority, reason
    )
    if case.status == Case.Status.CLOSED:
        raise ValidationError(_("This case is closed: reopen it before referring her."))
    if not has_consent(case, CONSENT_FOR[ServiceType(service_type)]):
        raise _no_consent(service_type, _("Record her consent on the case first."))
    priority, respond_by = priority_and_deadline(case, service_type, priority)
    referral = Referral.objects.create(
        case=case,
        service=service,
        focal_point=focal_point,
        service_type=service_type,
        shared_fields=[code for code in SharedField.values if code in set(shared_fields)],
        priority=priority,
        respond_by=respond_by,
        reason=reason,
        sent_by=actor,
    )
    once.settle(claimed, referral.uuid)
    return _sent(referral, actor, case.organization, {"case": case.code})


def _claim(
    actor: User, form_token: str, subject: dict[str, Any], service: Service, focal_point: FocalPoint | None,
    service_type: str, shared_fields: list[str], priority: str, reason: str,
) -> FormToken | None:  # fmt: skip
    """Spend the new-referral form's one-time token (core/once.py) in the sending transaction."""
    return once.claim(
        user=actor, kind="referral.send", token=form_token,
        content=once.plain({**subject, "service": service, "focal_point": focal_point, "type": service_type,
                            "fields": sorted(shared_fields), "priority": priority, "reason": reason}),
    )  # fmt: skip


# --- Referrals from a safe-channel report ----------------------------------------------------------------------

# What a report can share: she gave no name, age or document through the channel. The incident summary is the
# GBVIMS type she marked, her municipality and the date of the report; the contact is how she said she may be
# reached. Her own words are never copied out of the report.
REPORT_SHAREABLE = (SharedField.INCIDENT_SUMMARY, SharedField.CONTACT)


def report_copy(report: Report, content: dict[str, Any], shared_fields: list[str]) -> dict[str, dict[str, str]]:
    """The values a referral from this report copies (codes only where a label exists, rendered when read)."""
    copy: dict[str, dict[str, str]] = {}
    if SharedField.INCIDENT_SUMMARY in shared_fields:
        copy[SharedField.INCIDENT_SUMMARY] = {
            "gbv_type": str(content.get("gbv_type", "")),
            "place": str(report.place),
            "reported_on": timezone.localtime(report.created_at).date().isoformat(),
        }
    if SharedField.CONTACT in shared_fields:
        copy[SharedField.CONTACT] = {
            "how": str(content.get("contact_how", "")),
            "details": str(content.get("contact_details", "")),
            "safe_times": str(content.get("safe_times", "")),
        }
    return copy


def report_priority_and_deadline(
    report: Report, content: dict[str, Any], service_type: str, priority: str, now: datetime | None = None
) -> tuple[str, datetime]:
    """As `priority_and_deadline`, without an incident time: a health referral for a report of sexual violence
    filed less than 120 h ago is an emergency, since the incident came before the report and the PEP or emergency
    contraception window may still be open."""
    now = now or timezone.now()
    respond_by = now + RESPONSE_TIME[Priority(priority)]
    if (
        service_type == ServiceType.HEALTH
        and content.get("gbv_type") in SEXUAL_VIOLENCE_TYPES
        and now - report.created_at < EC_WINDOW
    ):
        return str(Priority.EMERGENCY), min(respond_by, now + RESPONSE_TIME[Priority.EMERGENCY])
    return str(priority), respond_by


@transaction.atomic
def referral_send_from_report(
    *,
    actor: User,
    report: Report,
    content: dict[str, Any],
    service: Service,
    focal_point: FocalPoint | None,
    service_type: str,
    shared_fields: list[str],
    priority: str,
    reason: str,
    form_token: str = "",
) -> Referral:
    """Refer the author of a safe-channel report, with the consent she gave through the channel for this type.
    With the form's one-time token, a resubmitted form raises core.once.AlreadyDone with the referral it sent.

    `content` is the report decrypted by the sender (a recipient holding the report key). Only the fields she
    agreed to share and that a report can share are copied, encrypted with the field keys (the receiving focal
    point has no report key); her withdrawal erases the copy (safechannel.services.survivor_sharing_consent)."""
    from amparo.safechannel.services import has_sharing_consent

    _check_request(
        service_type=service_type, priority=priority, shared_fields=shared_fields, service=service,
        focal_point=focal_point,
    )  # fmt: skip
    if set(shared_fields) - set(REPORT_SHAREABLE):
        raise ValidationError(_("A safe-channel report can share only the incident summary and her contact."))
    report = Report.objects.select_for_update().get(pk=report.pk)  # her withdrawal waits for us, or we for it
    claimed = _claim(
        actor, form_token, {"report": report}, service, focal_point, service_type, shared_fields, priority, reason
    )
    if report.status == Report.Status.CLOSED:
        raise ValidationError(_("This report is closed: reopen it before referring her."))
    if not has_sharing_consent(report, CONSENT_FOR[ServiceType(service_type)]):
        raise _no_consent(service_type, _("She can give it herself, in the channel, when she signs in."))
    priority, respond_by = report_priority_and_deadline(report, content, service_type, priority)
    shared = [code for code in SharedField.values if code in set(shared_fields)]
    referral = Referral.objects.create(
        report=report,
        service=service,
        focal_point=focal_point,
        service_type=service_type,
        shared_fields=shared,
        shared_copy=json.dumps(report_copy(report, content, shared), ensure_ascii=False) if shared else "",
        priority=priority,
        respond_by=respond_by,
        reason=reason,
        sent_by=actor,
    )
    once.settle(claimed, referral.uuid)
    return _sent(referral, actor, report.organization, {"report": str(report.uuid)})


def needs_cancel_confirmation(
    referral: Referral, to_status: str, confirmed: bool, *, sender: bool, receiver: bool
) -> bool:
    """Closing a referral that was never attended cancels it: the page asks once more before doing it (only when
    this side may close it at all; a move it may not make is refused by `referral_transition`)."""
    return (
        to_status == Status.CLOSED
        and referral.status != Status.ATTENDED
        and not confirmed
        and to_status in allowed_transitions(referral, sender=sender, receiver=receiver)
    )


def allowed_transitions(referral: Referral, *, sender: bool, receiver: bool) -> list[str]:
    """The statuses this side may move the referral to now, in lifecycle order."""
    targets: set[str] = set()
    if receiver:
        targets |= RECEIVER_TRANSITIONS.get(referral.status, frozenset())
    if sender and referral.status in SENDER_CLOSABLE:
        targets.add(Status.CLOSED)
    return [s for s in Status.values if s in targets]


@transaction.atomic
def referral_transition(
    *,
    actor: User,
    referral: Referral,
    to_status: str,
    sender: bool,
    receiver: bool,
    decline_reason: str = "",
    feedback: str = "",
) -> Referral:
    """Move a referral along its lifecycle. The side(s) the actor stands on (sender, receiving focal point) are
    decided by the permission module (`amparo.access.referral_sides`) and given by the view; a move that side may
    not make is refused."""
    referral = (
        # Lock the referral row only: PostgreSQL refuses FOR UPDATE on the nullable side of the outer joins.
        Referral.objects.select_for_update(of=("self",))
        .select_related("case__organization", "report__organization")
        .get(pk=referral.pk)
    )
    if to_status not in allowed_transitions(referral, sender=sender, receiver=receiver):
        raise ValidationError(
            _("A referral that is %(status)s cannot be moved to this status by you.")
            % {"status": referral.get_status_display().lower()}
        )
    fields = ["status", "updated_at"]
    if to_status == Status.DECLINED:
        if decline_reason not in Referral.DeclineReason.values:
            raise ValidationError(_("Say why the referral is declined."))
        referral.decline_reason = decline_reason
        fields.append("decline_reason")
    if feedback.strip():
        referral.feedback = feedback.strip()
        fields.append("feedback")
    previous = referral.status
    referral.status = to_status
    referral.updated_at = timezone.now()
    referral.save(update_fields=fields)
    _event(referral, to_status, actor)
    audit_record(
        actor=actor, action="referral.transition", obj=referral, organization=referral.sender_organization,
        detail={
            "from": previous, "to": to_status, "decline_reason": referral.decline_reason or None,
            "side": "receiver" if receiver and to_status != Status.CLOSED else "sender",
            "feedback": bool(feedback.strip()),
        },
    )  # fmt: skip
    return referral


@transaction.atomic
def referrals_cancel_for_transfer(*, actor: User | None, case: Case, transfer: Any) -> list[dict[str, str]]:
    """Her case was transferred to another organisation (`cases.signals.case_transferred`): close every referral of
    the sending case that is not finished yet, with `CloseReason.CASE_TRANSFERRED` on it for both sides to read. They
    were sent under her consents to the sending organisation, which do not travel, so none may stay open; the focal
    point stops seeing what she shared (a closed referral is finished for the receiving side). Each is audited in the
    sending organisation's trail (`referral.transition`, reason and transfer). Returns, for each, what the receiving
    organisation is told, to refer her again: type, service, its organisation, status before and date sent."""
    open_ = (
        Referral.objects.select_for_update(of=("self",))
        .filter(case=case, status__in=SENDER_CLOSABLE)
        .select_related("service__organization")
        .order_by("sent_at", "pk")
    )
    told: list[dict[str, str]] = []
    for referral in open_:
        previous = referral.status
        referral.status = Status.CLOSED
        referral.close_reason = Referral.CloseReason.CASE_TRANSFERRED
        referral.updated_at = timezone.now()
        referral.save(update_fields=["status", "close_reason", "updated_at"])
        _event(referral, Status.CLOSED, actor)
        audit_record(
            actor=actor, action="referral.transition", obj=referral, organization=case.organization,
            detail={"from": previous, "to": Status.CLOSED, "reason": Referral.CloseReason.CASE_TRANSFERRED,
                    "side": "sender", "transfer": str(transfer.uuid)},
        )  # fmt: skip
        told.append(
            {
                "type": referral.service_type,
                "service": referral.service.name,
                "organization": referral.service.organization.name,
                "status": previous,
                "sent_on": timezone.localdate(referral.sent_at).isoformat(),
            }
        )
    return told


# --- What the referral shares ----------------------------------------------------------------------------------


@dataclass
class SharedView:
    consent_active: bool
    values: dict[str, str] = field(default_factory=dict)  # SharedField code -> value, in SharedField order
    reason: str = ""
    clock: HealthClock | None = None
    finished: bool = False  # finished for the receiving side: nothing she shared is shown (RECEIVER_FINISHED)

    @property
    def items(self) -> list[tuple[str, str]]:
        return [(str(SharedField(code).label), value) for code, value in self.values.items()]


def _label(choices: type[AgeBand] | type[GenderIdentity] | type[MigratoryStatus], value: str) -> str:
    try:
        return str(choices(value).label)
    except ValueError:
        return value


def _incident_summary(incident: Incident | None) -> str:
    if incident is None:
        return _("No incident recorded")
    when = timezone.localtime(incident.occurred_at).strftime("%Y-%m-%d")
    return f"{_label_gbv(incident.gbv_type)} · {when}"


def _label_gbv(code: str) -> str:
    try:
        return str(GBVType(code).label)
    except ValueError:
        return code


def shared_view(referral: Referral, now: datetime | None = None) -> SharedView:
    """The shared fields' values; nothing when the consent of the referral's type is no longer active. From a case
    they are read now from the case; from a report, from the copy made at sending. Not audited: callers that show
    it use `referral_read`."""
    if referral.report_id is not None:
        return _shared_view_of_report(referral)
    case = referral.case
    assert case is not None  # the check constraint: a case or a report
    if not has_consent(case, referral.consent_kind):
        return SharedView(consent_active=False)
    shared = set(referral.shared_fields)
    incident = latest_incident(case) if shared & {SharedField.INCIDENT_SUMMARY, SharedField.HEALTH_CLOCK} else None
    values: dict[str, str] = {}
    for code in SharedField.values:
        if code not in shared:
            continue
        if code in {SharedField.FULL_NAME, SharedField.CONTACT, SharedField.DOCUMENT}:
            values[code] = getattr(case, code) or "—"
        elif code == SharedField.AGE_BAND:
            values[code] = _label(AgeBand, case.age_band)
        elif code == SharedField.GENDER_IDENTITY:
            values[code] = _label(GenderIdentity, case.gender_identity)
        elif code == SharedField.MIGRATORY_STATUS:
            values[code] = _label(MigratoryStatus, case.migratory_status)
        elif code == SharedField.NATIONALITY:
            values[code] = case.nationality_name or "—"  # the country's name in the page's language, not its code
        elif code == SharedField.INCIDENT_SUMMARY:
            values[code] = _incident_summary(incident)
    clock = health_clock(case, now) if SharedField.HEALTH_CLOCK in shared else None
    return SharedView(consent_active=True, values=values, reason=referral.reason, clock=clock)


def _shared_view_of_report(referral: Referral) -> SharedView:
    from amparo.safechannel.forms import CONTACT_CHOICES
    from amparo.safechannel.services import has_sharing_consent

    report = referral.report
    assert report is not None  # called for report referrals only
    if not has_sharing_consent(report, referral.consent_kind):
        return SharedView(consent_active=False)
    copy = json.loads(referral.shared_copy) if referral.shared_copy else {}
    values: dict[str, str] = {}
    incident = copy.get(SharedField.INCIDENT_SUMMARY)
    if incident is not None:
        kind = _label_gbv(incident["gbv_type"]) if incident["gbv_type"] else _("type not said")
        values[SharedField.INCIDENT_SUMMARY] = _("%(type)s · %(place)s · reported on %(date)s") % {
            "type": kind,
            "place": incident["place"],
            "date": incident["reported_on"],
        }
    contact = copy.get(SharedField.CONTACT)
    if contact is not None:
        if contact["how"] == "channel" or not contact["details"]:
            text = _("Only through the safe channel: reach her through the organisation that referred her.")
        else:
            text = f"{dict(CONTACT_CHOICES).get(contact['how'], contact['how'])}: {contact['details']}"
        values[SharedField.CONTACT] = f"{text} · {contact['safe_times']}" if contact["safe_times"] else text
    return SharedView(consent_active=True, values=values, reason=referral.reason)


def referral_consent_active(referral: Referral) -> bool:
    """Whether her consent for the referral's type is active, without reading any shared value."""
    if referral.report_id is not None:
        from amparo.safechannel.services import has_sharing_consent

        assert referral.report is not None
        return has_sharing_consent(referral.report, referral.consent_kind)
    assert referral.case is not None  # the check constraint: a case or a report
    return has_consent(referral.case, referral.consent_kind)


@transaction.atomic
def referral_read(*, actor: User, referral: Referral, side: str, part: str = "page") -> SharedView:
    """Read what a referral shares, audited (`referral.read`) in the same transaction as the read.

    `side` is "sender", "receiver" or "both" (a user on both sides reads as the sender). Once the referral is
    finished for the receiving side (declined or closed, `RECEIVER_FINISHED`), the receiver gets no shared value
    and no reason: only `finished` and whether her consent is still active; the audit entry records that no field
    was shown."""
    finished = side == "receiver" and referral.status in RECEIVER_FINISHED
    view = (
        SharedView(consent_active=referral_consent_active(referral), finished=True)
        if finished
        else shared_view(referral)
    )
    audit_record(
        actor=actor, action="referral.read", obj=referral, organization=referral.sender_organization,
        detail={
            "side": side, "part": part, "consent_active": view.consent_active,
            "fields": sorted(referral.shared_fields) if view.consent_active and not finished else [],
            "finished": finished,
        },
    )  # fmt: skip
    return view


@transaction.atomic
def referral_inbox_read(*, actor: User, referrals: list[Referral], finished: bool = False) -> None:
    """Record that a focal point listed referrals in their inbox (codes, types, priorities), per sending
    organisation. `referrals` should come with `case__organization` and `report__organization` selected
    (`selectors.inbox`)."""
    audit_listing(
        actor=actor, action="referral.inbox.read", object_type="referrals.referral",
        shown=((r.sender_organization, r.subject_code) for r in referrals), finished=finished,
    )  # fmt: skip
