"""What the audit log records on core's signals (core sits below the audit log and does not import it); connected in
AuditConfig.ready()."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from django.dispatch import receiver

from amparo.core import once

from .services import audit_record


@receiver(once.purged, dispatch_uid="audit.form_tokens_purged")
def form_tokens_purged(sender: Any, *, deleted: int, retention: timedelta, **kwargs: Any) -> None:
    """DESIGN.md rule 7: a purge logs its deletion (counts only), in the purge's transaction."""
    audit_record(
        action="core.form_tokens.purge",
        object_type="core.formtoken",
        detail={"deleted": deleted, "retention_hours": int(retention.total_seconds() // 3600)},
    )
