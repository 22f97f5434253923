"""Writes of data-sharing agreements (one transaction each, audited in it)."""

from __future__ import annotations

from datetime import date
from typing import Any

from django.db import transaction
from django.utils import timezone

from amparo.accounts.models import Organization
from amparo.audit.services import audit_record

from .models import DataSharingAgreement


@transaction.atomic
def agreement_record(
    *,
    actor: Any,
    organization: Organization,
    scope: str,
    country: str,
    since: date,
    until: date | None,
    document_reference: str,
) -> DataSharingAgreement:
    agreement = DataSharingAgreement.objects.create(
        organization=organization,
        scope=scope,
        country=country.upper() if scope == DataSharingAgreement.Scope.COUNTRY else "",
        since=since,
        until=until,
        document_reference=document_reference,
        recorded_by=actor,
    )
    audit_record(
        actor=actor,
        action="insights.agreement.recorded",
        obj=agreement,
        organization=organization,
        detail={"scope": agreement.scope, "country": str(agreement.country), "since": since.isoformat(),
                "until": until.isoformat() if until else ""},
    )  # fmt: skip
    return agreement


@transaction.atomic
def agreement_end(*, actor: Any, agreement: DataSharingAgreement) -> DataSharingAgreement:
    """Ends an agreement at once: the organisation leaves the next national or regional build."""
    locked = DataSharingAgreement.objects.select_for_update().get(pk=agreement.pk)
    if not locked.active:
        return locked
    locked.active = False
    locked.ended_at = timezone.now()
    locked.save(update_fields=["active", "ended_at"])
    audit_record(
        actor=actor,
        action="insights.agreement.ended",
        obj=locked,
        organization=locked.organization,
        detail={"scope": locked.scope, "country": str(locked.country)},
    )
    return locked
