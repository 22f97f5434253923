"""Writes and decryptions for the safe channel. One transaction each; every staff read and write is audited.

Survivors act through their receipt (audited with the actor "system" and no identity); staff act with a report
key they can open only with their own private key, unlocked at sign-in (see keyring.py).
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import secrets
import shutil
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any, cast

from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import Count, QuerySet
from django.utils import timezone

from amparo.accounts.models import Organization, User
from amparo.accounts.roles import REPORT_RECIPIENT_ROLES as RECIPIENT_ROLES
from amparo.audit.services import audit_record
from amparo.core import filestore, once
from amparo.core.uploads import CleanFile
from amparo.directory.models import Place
from amparo.vocab import SEXUAL_VIOLENCE_TYPES, SHARING_KINDS

from . import crypto, signals
from .models import (
    Attachment,
    ChannelSettings,
    KeyGrant,
    Message,
    ReceiptSession,
    RecipientKey,
    Report,
    SharingConsent,
    UsedFormToken,
)

# Persecuted, state agent, or rape / sexual assault (PEP must start within 72 h of it) -> 24 h; otherwise 72 h.
FIRST_RESPONSE_HOURS = {True: 24, False: 72}


class ChannelError(Exception):
    """A refusal the survivor or staff member should read (translated by the caller's message)."""


# --- Organisations and recipients ----------------------------------------------------------------------------


def recipients_of(organization: Organization) -> QuerySet[User]:
    return User.objects.filter(
        is_active=True,
        memberships__organization=organization,
        memberships__active=True,
        memberships__role__in=RECIPIENT_ROLES,
    ).distinct()


def receiving_organizations(place: Place) -> QuerySet[Organization]:
    """Organisations that take reports from a municipality: their areas include it, its department or country."""
    covering = [place.pk]
    node = place
    while node.parent_id is not None:
        node = node.parent  # type: ignore[assignment]
        covering.append(node.pk)
    return (
        Organization.objects.filter(channel_settings__receives_reports=True, areas__in=covering)
        .filter(memberships__active=True, memberships__role__in=RECIPIENT_ROLES)
        .distinct()
        .order_by("name")
    )


def route_report(place: Place) -> Organization | None:
    """The platform's choice when the survivor lets it choose: the organisation serving the place most closely
    (municipality, then department, then country), and among those the one with the fewest open reports."""
    candidates = list(receiving_organizations(place))
    if not candidates:
        return None
    depth = {place.pk: 0}
    node, level = place, 0
    while node.parent_id is not None:
        node, level = node.parent, level + 1  # type: ignore[assignment]
        depth[node.pk] = level
    open_counts = dict(
        Report.objects.filter(organization__in=candidates)
        .exclude(status=Report.Status.CLOSED)
        .values_list("organization")
        .annotate(n=Count("pk"))
        .values_list("organization", "n")
    )
    closeness = {
        org.pk: min(depth[pk] for pk in org.areas.filter(pk__in=depth).values_list("pk", flat=True))
        for org in candidates
    }
    return min(candidates, key=lambda org: (closeness[org.pk], open_counts.get(org.pk, 0), org.name))


@transaction.atomic
def channel_setup(*, actor: User, organization: Organization) -> str:
    """Create the organisation's recovery key pair; returns the private key as text, to be shown ONCE."""
    if ChannelSettings.objects.filter(organization=organization).exists():
        raise ChannelError("already set up")
    pair = crypto.new_keypair()
    ChannelSettings.objects.create(organization=organization, recovery_public_key=pair.public)
    audit_record(actor=actor, action="safechannel.setup", obj=organization, organization=organization)
    return crypto.recovery_key_text(pair.private)


@transaction.atomic
def restore_access(*, actor: User, organization: Organization, recovery_text: str) -> int:
    """With the organisation's recovery key, seal every report key to every recipient who lacks it (after a lost
    password or for a new member). Returns the number of keys granted. Raises CryptoError for a wrong key."""
    channel = ChannelSettings.objects.get(organization=organization)
    private = crypto.recovery_key_from_text(recovery_text)
    if crypto.public_key_of(private) != bytes(channel.recovery_public_key):
        raise crypto.CryptoError("not this organisation's recovery key")
    granted = 0
    for report in Report.objects.filter(organization=organization):
        granted += _grant_missing(report, crypto.unseal(private, report.recovery_sealed_key))
    audit_record(
        actor=actor, action="safechannel.restore_access", obj=organization, organization=organization,
        detail={"granted": granted},
    )  # fmt: skip
    return granted


def _grant_missing(report: Report, report_key: bytes) -> int:
    have = set(report.grants.values_list("recipient_id", flat=True))
    missing = RecipientKey.objects.filter(user__in=recipients_of(report.organization)).exclude(pk__in=have)
    grants = [
        KeyGrant(report=report, recipient=rk, sealed_key=crypto.seal(rk.public_key, report_key)) for rk in missing
    ]
    KeyGrant.objects.bulk_create(grants)
    return len(grants)


# --- Recipient keys ------------------------------------------------------------------------------------------


@transaction.atomic
def recipient_key_unlock(user: User, password: str) -> bytes:
    """The user's private key, unlocked with the password they just signed in with.

    A user without a key pair gets one. If the password no longer opens the stored key (it was reset), a new key
    pair replaces it: reports sealed to the old key can be opened again only after a coordinator restores access
    with the recovery key (or another recipient opens them, which shares them with every current recipient)."""
    existing = RecipientKey.objects.select_for_update().filter(user=user).first()
    if existing is not None:
        try:
            return crypto.unlock_private_key(existing.password_salt, existing.locked_private_key, password)
        except crypto.CryptoError:
            existing.delete()  # its grants go with it: they were sealed to a key nobody can open any more
            audit_record(actor=user, action="safechannel.key.replace", obj=user)
    pair = crypto.new_keypair()
    salt, locked = crypto.lock_private_key(pair.private, password)
    RecipientKey.objects.create(user=user, public_key=pair.public, password_salt=salt, locked_private_key=locked)
    return pair.private


# --- Reports ---------------------------------------------------------------------------------------------------


@dataclass
class NewReport:
    """What the survivor wrote (all of it is encrypted, except the triage facts used to compute the risk level)."""

    place: Place
    what_happened: str
    happened: list[str]
    persecuted: str  # yes / no / unknown
    state_agent: str
    wants: list[str]
    contact_how: str
    contact_details: str = ""
    safe_times: str = ""
    language: str = "es"
    files: list[CleanFile] = field(default_factory=list)


def risk_level(persecuted: str, state_agent: str) -> int:
    # "Not sure" counts as yes for triage: a doubt about persecution must not delay the answer.
    return (2 if persecuted in {"yes", "unknown"} else 0) + (1 if state_agent in {"yes", "unknown"} else 0)


GBV_ELIMINATION_ORDER = [
    "rape",
    "sexual_assault",
    "physical_assault",
    "forced_marriage",
    "denial_of_resources_opportunities_or_services",
    "psychological_emotional_abuse",
]


def gbv_core_type(happened: list[str]) -> str:
    """GBVIMS classification by the elimination order: the first type that applies (blank if none said)."""
    return next((code for code in GBV_ELIMINATION_ORDER if code in happened), "")


def _seal_json(key: bytes, data: dict[str, Any]) -> bytes:
    return crypto.encrypt(key, json.dumps(data, ensure_ascii=False).encode())


def _open_json(key: bytes, blob: crypto.Blob) -> dict[str, Any]:
    result: dict[str, Any] = json.loads(crypto.decrypt(key, blob))
    return result


def _storage_path(report: Report, attachment_uuid: object = None) -> Any:
    folder = settings.SAFECHANNEL_STORAGE_DIR / str(report.uuid)
    return folder if attachment_uuid is None else folder / f"{attachment_uuid}.bin"


def report_create(*, organization: Organization | None, data: NewReport) -> tuple[Report, str]:
    """File a report; returns it and its receipt (shown once, never stored). Refuses a place the organisation
    does not serve. Nothing is stored half-way: files are removed again if the transaction fails."""
    routed = organization is None
    if organization is None:
        organization = route_report(data.place)
    elif not receiving_organizations(data.place).filter(pk=organization.pk).exists():
        organization = None
    if organization is None:
        raise ChannelError("no organisation")
    channel = ChannelSettings.objects.get(organization=organization)
    now = timezone.now()
    report_key = crypto.new_key()
    receipt, secrets_ = _unused_receipt()
    content = {
        "what_happened": data.what_happened,
        "happened": data.happened,
        "gbv_type": gbv_core_type(data.happened),
        "persecuted": data.persecuted,
        "state_agent": data.state_agent,
        "wants": data.wants,
        "contact_how": data.contact_how,
        "contact_details": data.contact_details,
        "safe_times": data.safe_times,
        "language": data.language,
    }
    risk = risk_level(data.persecuted, data.state_agent)
    report = Report(
        organization=organization,
        place=data.place,
        risk=risk,
        routed_by_platform=routed,
        receipt_lookup=secrets_.lookup,
        receipt_sealed_key=crypto.encrypt(secrets_.key, report_key),
        recovery_sealed_key=crypto.seal(channel.recovery_public_key, report_key),
        content=_seal_json(report_key, content),
        created_at=now,
        last_activity_at=now,
        due_at=now + timedelta(hours=FIRST_RESPONSE_HOURS[risk > 0 or content["gbv_type"] in SEXUAL_VIOLENCE_TYPES]),
        expires_at=now + timedelta(days=channel.retention_days),
    )
    written: list[Any] = []
    try:
        with transaction.atomic():
            report.save(force_insert=True)
            _grant_missing(report, report_key)
            for clean in data.files:
                written.append(_attachment_store(report, report_key, clean))
            audit_record(
                action="safechannel.report.create", obj=report, organization=organization,
                detail={"risk": risk, "attachments": len(data.files), "routed": routed},
            )  # fmt: skip
    except BaseException:
        for path in written:
            path.unlink(missing_ok=True)
        with contextlib.suppress(OSError):  # its folder, if nothing else is in it
            _storage_path(report).rmdir()
        raise
    return report, receipt


def _unused_receipt() -> tuple[str, crypto.ReceiptSecrets]:
    # 10^16 receipts: a collision is astronomically unlikely, but the unique index must never be what fails.
    while True:
        receipt = crypto.new_receipt()
        derived = crypto.receipt_secrets(receipt)
        if not Report.objects.filter(receipt_lookup=derived.lookup).exists():
            return receipt, derived


def _attachment_store(report: Report, key: bytes, clean: CleanFile) -> Any:
    attachment = Attachment.objects.create(
        report=report, meta=_seal_json(key, {"name": clean.name, "type": clean.content_type, "size": len(clean.data)})
    )
    path = _storage_path(report, attachment.uuid)
    # Whole or nothing under its name (filestore.StoreError when the disk is full); a file left by a process
    # killed before the commit has no row and is swept by purge_expired (docs/faults.md).
    filestore.write_atomically(path, crypto.encrypt(key, clean.data))
    return path


def report_content(report: Report, key: bytes) -> dict[str, Any]:
    return _open_json(key, report.content)


def _touch(report: Report, *, by_survivor: bool) -> None:
    now = timezone.now()
    retention = ChannelSettings.objects.filter(organization=report.organization_id).values_list(
        "retention_days", flat=True
    )
    report.last_activity_at = now
    report.expires_at = now + timedelta(days=retention.first() or settings.SAFECHANNEL_RETENTION_DAYS)
    report.awaiting_staff = by_survivor
    if by_survivor and report.status == Report.Status.WAITING:
        report.status = Report.Status.IN_PROGRESS
    report.save(update_fields=["last_activity_at", "expires_at", "awaiting_staff", "status"])


@dataclass(frozen=True)
class DecryptedMessage:
    author: str
    body: str
    created_at: Any


def messages_of(report: Report, key: bytes) -> list[DecryptedMessage]:
    return [
        DecryptedMessage(m.author, crypto.decrypt(key, m.body).decode(), m.created_at) for m in report.messages.all()
    ]


@dataclass(frozen=True)
class AttachmentInfo:
    uuid: Any
    name: str
    content_type: str
    size: int


def attachments_of(report: Report, key: bytes) -> list[AttachmentInfo]:
    infos = []
    for a in report.attachments.order_by("created_at", "pk"):
        meta = _open_json(key, a.meta)
        infos.append(AttachmentInfo(a.uuid, meta["name"], meta["type"], meta["size"]))
    return infos


def attachment_read(report: Report, key: bytes, attachment_uuid: Any) -> tuple[AttachmentInfo, bytes]:
    attachment = report.attachments.get(uuid=attachment_uuid)
    meta = _open_json(key, attachment.meta)
    data = crypto.decrypt(key, _storage_path(report, attachment.uuid).read_bytes())
    return AttachmentInfo(attachment.uuid, meta["name"], meta["type"], meta["size"]), data


# --- The survivor's side ---------------------------------------------------------------------------------------


def receipt_login(receipt: str) -> tuple[Report, str] | None:
    """Open a receipt session: returns the report and the session token (for the cookie), or None."""
    derived = crypto.receipt_secrets(receipt)
    report = Report.objects.filter(receipt_lookup=derived.lookup).first()
    if report is None:
        return None
    report_key = crypto.decrypt(derived.key, report.receipt_sealed_key)
    token = secrets.token_urlsafe(32)
    now = timezone.now()
    with transaction.atomic():
        ReceiptSession.objects.filter(expires_at__lt=now).delete()
        ReceiptSession.objects.create(
            token_hash=_token_hash(token),
            report=report,
            wrapped_key=crypto.encrypt(_token_key(token), report_key),
            expires_at=now + timedelta(seconds=settings.SAFECHANNEL_SESSION_SECONDS),
        )
        audit_record(action="safechannel.receipt.login", obj=report, organization=report.organization)
    return report, token


def legacy_receipts_live() -> bool:
    """Whether a report whose receipt has no check digit still exists (its receipt must keep working)."""
    return Report.objects.filter(legacy_receipt=True, expires_at__gte=timezone.now()).exists()


def receipt_confirm(report_id: int, receipt: str) -> bool:
    """The survivor typed her receipt back: it matches the report she just filed."""
    derived = crypto.receipt_secrets(receipt)
    updated = Report.objects.filter(pk=report_id, receipt_lookup=derived.lookup).update(receipt_confirmed=True)
    return updated == 1


def _token_hash(token: str) -> str:
    return hashlib.sha256(f"session|{token}".encode()).hexdigest()


def _token_key(token: str) -> bytes:
    return hashlib.blake2b(token.encode(), person=b"amparo-rcpt-sess", digest_size=32).digest()


def receipt_session(token: str) -> tuple[Report, bytes] | None:
    """The report and its key for a live receipt session (sliding expiry), or None."""
    if not token or len(token) > 100:
        return None
    now = timezone.now()
    session = (
        ReceiptSession.objects.select_related("report", "report__organization")
        .filter(token_hash=_token_hash(token), expires_at__gt=now)
        .first()
    )
    if session is None:
        return None
    ReceiptSession.objects.filter(pk=session.pk).update(
        expires_at=now + timedelta(seconds=settings.SAFECHANNEL_SESSION_SECONDS)
    )
    return session.report, crypto.decrypt(_token_key(token), session.wrapped_key)


def receipt_logout(token: str) -> None:
    ReceiptSession.objects.filter(token_hash=_token_hash(token)).delete()


@transaction.atomic
def survivor_message(report: Report, key: bytes, *, text: str, files: list[CleanFile]) -> None:
    written: list[Any] = []
    try:
        if text:
            Message.objects.create(
                report=report, author=Message.Author.SURVIVOR, body=crypto.encrypt(key, text.encode())
            )
        for clean in files:
            written.append(_attachment_store(report, key, clean))
        _touch(report, by_survivor=True)
        audit_record(
            action="safechannel.survivor.message", obj=report, organization=report.organization,
            detail={"attachments": len(files)},
        )  # fmt: skip
    except BaseException:
        for path in written:
            path.unlink(missing_ok=True)
        raise


@transaction.atomic
def survivor_case_consent(report: Report) -> None:
    """The survivor agrees, through the channel, that the organisation opens a case from her report."""
    Report.objects.filter(pk=report.pk).update(case_consent_at=timezone.now())
    _touch(report, by_survivor=True)
    audit_record(action="safechannel.case_consent.give", obj=report, organization=report.organization)


@transaction.atomic
def survivor_case_consent_withdraw(report: Report) -> None:
    """She withdraws her agreement to a case. If the case is open already, her consent to receive services is
    withdrawn on it at once (the case page shows it to her caseworkers, who then talk with her through the channel);
    nothing is deleted: the case's own retention applies. Cases does it on `signals.case_consent_withdrawn`."""
    Report.objects.filter(pk=report.pk).update(case_consent_at=None)
    responses = signals.case_consent_withdrawn.send(sender=Report, report=report)
    has_case = any(answer for _receiver, answer in responses)
    _touch(report, by_survivor=True)
    audit_record(
        action="safechannel.case_consent.withdraw", obj=report, organization=report.organization,
        detail={"case_consent_withdrawn": has_case},
    )  # fmt: skip


# Consents she can give through the channel, one per referral type (DESIGN.md rule 2): amparo.vocab.SHARING_KINDS.


def sharing_consents(report: Report) -> set[str]:
    """The sharing consents she has active now."""
    return set(report.sharing_consents.filter(withdrawn_at__isnull=True).values_list("kind", flat=True))


def has_sharing_consent(report: Report, kind: str) -> bool:
    return report.sharing_consents.filter(kind=kind, withdrawn_at__isnull=True).exists()


@transaction.atomic
def survivor_sharing_consent(report: Report, kinds: set[str]) -> tuple[set[str], set[str]]:
    """Make her active sharing consents exactly `kinds`; returns (given, withdrawn).

    A withdrawal takes effect at once (`sharing_consent_withdraw`), and the same consent is withdrawn on the case
    opened from this report, if any, since the channel is how she speaks to the organisation. A consent given here
    is recorded on that case too ("through the safe channel"): cases does both on `signals.sharing_consents_changed`.
    """
    kinds = kinds & set(SHARING_KINDS)
    Report.objects.select_for_update().filter(pk=report.pk).values_list("pk").first()  # a referral being sent waits
    active = sharing_consents(report)
    given, withdrawn = kinds - active, active - kinds
    SharingConsent.objects.bulk_create(SharingConsent(report=report, kind=kind) for kind in given)
    erased = _withdraw_and_erase(report, withdrawn)
    signals.sharing_consents_changed.send(sender=Report, report=report, given=given, withdrawn=withdrawn)
    if given or withdrawn:
        _touch(report, by_survivor=True)
        audit_record(
            action="safechannel.sharing_consent", obj=report, organization=report.organization,
            detail={"given": sorted(given), "withdrawn": sorted(withdrawn), "referral_copies_erased": erased},
        )  # fmt: skip
    return given, withdrawn


@transaction.atomic
def sharing_consent_withdraw(report: Report, kinds: set[str]) -> int:
    """Her withdrawal recorded on the case opened from this report (by her caseworker): withdraw the same consents
    in the channel and erase what referrals of those types copied. Returns the number of copies erased."""
    Report.objects.select_for_update().filter(pk=report.pk).values_list("pk").first()
    withdrawn = sharing_consents(report) & kinds
    erased = _withdraw_and_erase(report, withdrawn)
    if withdrawn:
        audit_record(
            action="safechannel.sharing_consent", obj=report, organization=report.organization,
            detail={"given": [], "withdrawn": sorted(withdrawn), "referral_copies_erased": erased, "from_case": True},
        )  # fmt: skip
    return erased


def _withdraw_and_erase(report: Report, kinds: set[str]) -> int:
    """Withdraw these sharing consents now and erase (not hide) the copies made by referrals of those types
    (referrals does it on `signals.sharing_consents_withdrawn`). Returns the number of copies erased."""
    if not kinds:
        return 0
    report.sharing_consents.filter(kind__in=kinds, withdrawn_at__isnull=True).update(withdrawn_at=timezone.now())
    responses = signals.sharing_consents_withdrawn.send(sender=Report, report=report, kinds=kinds)
    return sum(cast(int, erased) for _receiver, erased in responses)


# --- The staff side ----------------------------------------------------------------------------------------------


def report_key_for(report: Report, user: User, private_key: bytes | None) -> bytes | None:
    """The report key if this user holds a grant their unlocked private key opens; else None."""
    if private_key is None:
        return None
    grant = KeyGrant.objects.filter(report=report, recipient__user=user).first()
    if grant is None:
        return None
    try:
        return crypto.unseal(private_key, grant.sealed_key)
    except crypto.CryptoError:
        return None


@transaction.atomic
def staff_read(*, actor: User, report: Report, key: bytes) -> dict[str, Any]:
    """Decrypt a report for a recipient, audited; share its key with any current recipient who lacks it."""
    content = report_content(report, key)
    shared = _grant_missing(report, key)
    if report.status == Report.Status.NEW:
        report.status = Report.Status.IN_PROGRESS
        report.save(update_fields=["status"])
    audit_record(
        actor=actor, action="safechannel.report.read", obj=report, organization=report.organization,
        detail={"keys_shared": shared} if shared else None,
    )  # fmt: skip
    return content


@transaction.atomic
def staff_reply(*, actor: User, report: Report, key: bytes, text: str, status: str, form_token: str = "") -> None:
    """Answer her (the message sealed with the report's key) and/or change the report's status. With the form's
    one-time token, a message sent again raises core.once.AlreadyDone instead of reaching her twice (a status
    change alone is never refused: setting a status twice changes nothing)."""
    if text:
        claimed = once.claim(
            user=actor, kind="safechannel.staff.reply", token=form_token,
            content=once.plain({"report": report, "text": text, "status": status}),
        )  # fmt: skip
        once.settle(claimed, report.uuid)
        Message.objects.create(
            report=report, author=Message.Author.STAFF, staff_user=actor, body=crypto.encrypt(key, text.encode())
        )
    changed = status and status != report.status
    if changed:
        report.status = status
        report.save(update_fields=["status"])
    _touch(report, by_survivor=False)
    audit_record(
        actor=actor, action="safechannel.staff.reply", obj=report, organization=report.organization,
        detail={"message": bool(text), "status": status if changed else None},
    )  # fmt: skip


@transaction.atomic
def staff_attachment_read(*, actor: User, report: Report, key: bytes, attachment_uuid: Any) -> tuple[Any, bytes]:
    info, data = attachment_read(report, key, attachment_uuid)
    audit_record(
        actor=actor, action="safechannel.attachment.read", obj=report, organization=report.organization,
        detail={"attachment": str(info.uuid)},
    )  # fmt: skip
    return info, data


def inbox(organizations: QuerySet[Organization], *, closed: bool = False) -> QuerySet[Report]:
    """Reports ordered by risk (persecution and state-agent flags first), then by due date."""
    reports = Report.objects.filter(organization__in=organizations).select_related("place", "organization")
    reports = reports.filter(status=Report.Status.CLOSED) if closed else reports.exclude(status=Report.Status.CLOSED)
    return reports.order_by("-risk", "due_at", "pk")


# --- Retention -------------------------------------------------------------------------------------------------


def purge_expired(now: Any = None) -> int:
    """Hard-delete reports past their retention (messages, grants, sessions, attachment files), audited; then
    sweep attachment files that no row names (sweep_orphan_files)."""
    now = now or timezone.now()
    purged = 0
    for report in Report.objects.filter(expires_at__lt=now).select_related("organization"):
        with transaction.atomic():
            audit_record(
                action="safechannel.report.purge", obj=report, organization=report.organization,
                detail={"expired_at": report.expires_at.isoformat()},
            )  # fmt: skip
            folder = _storage_path(report)
            report.delete()
        shutil.rmtree(folder, ignore_errors=True)
        purged += 1
    ReceiptSession.objects.filter(expires_at__lt=now).delete()
    UsedFormToken.objects.filter(expires_at__lt=now).delete()
    sweep_orphan_files()
    return purged


def sweep_orphan_files() -> filestore.Sweep:
    """Delete attachment files that no row names (a writer killed between the file and the commit, a purge
    killed between the commit and the folder's removal), once past the grace period (core/filestore.py)."""
    rows = Attachment.objects.values_list("uuid", "report__uuid")
    return filestore.sweep_orphans(settings.SAFECHANNEL_STORAGE_DIR, (f"{report}/{uuid}.bin" for uuid, report in rows))


def spend_form_token(nonce: str, expires_at: Any) -> bool:
    """Mark a form token as used; False if it was used before (a replayed form)."""
    try:
        with transaction.atomic():
            UsedFormToken.objects.create(nonce_hash=hashlib.sha256(nonce.encode()).hexdigest(), expires_at=expires_at)
    except IntegrityError:
        return False
    return True
