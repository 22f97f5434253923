"""Reading the audit log: verification of the chain, and the trail a coordinator may see."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from django.db.models import QuerySet

from .models import AuditEntry, AuditHead
from .services import GENESIS, entry_hash, hashed_fields


@dataclass
class VerifyResult:
    ok: bool
    checked: int
    problems: list[str]


def audit_verify(batch_size: int = 5000) -> VerifyResult:
    """Walk the chain in order; report every entry whose hash, link or sequence number does not hold."""
    problems: list[str] = []
    prev_hash, expected_seq, checked = GENESIS, 1, 0
    for entry in AuditEntry.objects.order_by("seq").iterator(chunk_size=batch_size):
        if entry.seq != expected_seq:
            problems.append(f"entries {expected_seq}–{entry.seq - 1} are missing (deleted)")
        if entry.prev_hash != prev_hash:
            problems.append(f"entry {entry.seq}: link to the previous entry is broken")
        if entry_hash(entry.prev_hash, hashed_fields(entry)) != entry.hash:
            problems.append(f"entry {entry.seq}: content does not match its hash (edited)")
        prev_hash, expected_seq, checked = entry.hash, entry.seq + 1, checked + 1
    head = AuditHead.objects.filter(pk=1).first()
    if head is not None and (head.count != expected_seq - 1 or head.last_hash != prev_hash):
        problems.append(f"the chain ends at entry {expected_seq - 1} but {head.count} were written (truncated)")
    return VerifyResult(ok=not problems, checked=checked, problems=problems)


def audit_trail(
    organization_ids: list[int],
    *,
    action: str = "",
    actor: str = "",
    object_type: str = "",
    since: date | None = None,
    until: date | None = None,
) -> QuerySet[AuditEntry]:
    qs = AuditEntry.objects.filter(organization_id__in=organization_ids)
    if action:
        qs = qs.filter(action__startswith=action)
    if actor:
        qs = qs.filter(actor_label__icontains=actor)
    if object_type:
        qs = qs.filter(object_type=object_type)
    if since:
        qs = qs.filter(at__date__gte=since)
    if until:
        qs = qs.filter(at__date__lte=until)
    return qs.order_by("-seq")
