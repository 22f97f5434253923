"""Writing to the audit log: call `audit_record` inside the transaction of the change it records."""

from __future__ import annotations

import hashlib
import json
from collections import defaultdict
from collections.abc import Iterable
from typing import Any

from django.db import connection
from django.db.models import Model
from django.utils import timezone

from .models import AuditEntry, AuditHead

GENESIS = "0" * 64


def entry_hash(prev_hash: str, fields: dict[str, Any]) -> str:
    """SHA-256 over the previous hash and the entry's fields in canonical JSON."""
    payload = json.dumps(fields, sort_keys=True, separators=(",", ":"), ensure_ascii=False, default=str)
    return hashlib.sha256(f"{prev_hash}|{payload}".encode()).hexdigest()


def hashed_fields(entry: AuditEntry) -> dict[str, Any]:
    return {
        "seq": entry.seq,
        "at": entry.at.isoformat(),
        "actor_id": entry.actor_id,
        "actor_label": entry.actor_label,
        "organization_id": entry.organization_id,
        "organization_label": entry.organization_label,
        "action": entry.action,
        "object_type": entry.object_type,
        "object_id": entry.object_id,
        "detail": entry.detail,
    }


def audit_record(
    *,
    actor: Any = None,
    action: str,
    obj: Model | None = None,
    object_type: str = "",
    object_id: str = "",
    organization: Any = None,
    detail: dict[str, Any] | None = None,
) -> AuditEntry:
    """Append one entry. Must run inside the caller's transaction, so the entry and the change commit together.

    `detail` must never hold identifying data or report content: ids, field names and counts only.
    """
    if not connection.in_atomic_block:
        raise RuntimeError("audit_record must be called inside the transaction of the change it records")
    head, _created = AuditHead.objects.select_for_update().get_or_create(pk=1, defaults={"last_hash": GENESIS})
    if obj is not None:
        object_type = object_type or obj._meta.label_lower
        object_id = object_id or str(getattr(obj, "uuid", None) or obj.pk)
    is_user = actor is not None and getattr(actor, "is_authenticated", False)
    entry = AuditEntry(
        seq=head.count + 1,
        at=timezone.now(),
        actor_id=actor.pk if is_user else None,
        actor_label=(actor.get_username() if is_user else "system")[:254],
        organization_id=organization.pk if organization is not None else None,
        organization_label=str(organization)[:200] if organization is not None else "",
        action=action,
        object_type=object_type,
        object_id=str(object_id)[:64],
        detail=detail or {},
        prev_hash=head.last_hash,
    )
    entry.hash = entry_hash(entry.prev_hash, hashed_fields(entry))
    entry.save(force_insert=True)
    head.last_hash = entry.hash
    head.count = entry.seq
    head.save(update_fields=["last_hash", "count"])
    return entry


def audit_listing(
    *, actor: Any, action: str, object_type: str, shown: Iterable[tuple[Any, str]], **detail: Any
) -> None:
    """Record that someone listed records of one or more organisations (a list page is a read too): one entry per
    organisation, with how many rows were shown and their pseudonymous codes, never names. `shown` holds
    (organisation, code) pairs, one per row. Must run inside the caller's transaction, like `audit_record`."""
    by_org: dict[Any, list[str]] = defaultdict(list)
    for organization, code in shown:
        by_org[organization].append(code)
    for organization, codes in by_org.items():
        audit_record(
            actor=actor, action=action, organization=organization, object_type=object_type,
            detail={"rows": len(codes), "codes": sorted(set(codes)), **detail},
        )  # fmt: skip
