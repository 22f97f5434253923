"""Writes of insights: preparing, reviewing and withdrawing publications (four eyes), one transaction each, every
step audited in the same transaction (DESIGN.md rule 5; `docs/insights.md`, "Publication (four eyes)").

Who may prepare, review or withdraw a publication is decided by the views through `amparo.access`; these functions
take the organisation and the publication already authorised. What they enforce themselves, whoever calls them:
the reviewer is never the person who prepared it, only a publication waiting for review is reviewed, a return has
a reason, and figures are built once and frozen.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import date
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from amparo.accounts.models import Organization, User
from amparo.audit.services import audit_record
from amparo.core import once
from amparo.core.countries import is_country

from .models import LANGUAGES, Publication, month_end
from .statistics import Scope, public_tables
from .tables import StatTable

MAX_MONTHS = 36  # the longest period one publication covers
TableBuilder = Callable[..., list[StatTable]]


def _months_between(first: date, last: date) -> int:
    return (last.year - first.year) * 12 + last.month - first.month + 1


def check_period(first_month: date, last_month: date, *, today: date | None = None) -> tuple[date, date]:
    """The period of whole months from `first_month` to `last_month` (the first day and the last day), or a
    ValidationError that says what is wrong: a month not yet over is not whole."""
    today = today or timezone.localdate()
    start = first_month.replace(day=1)
    end = month_end(last_month.replace(day=1))
    if start > end:
        raise ValidationError(_("The first month comes after the last month."))
    if end >= today.replace(day=1):
        raise ValidationError(_("Only whole months can be published: the last month must be over."))
    if _months_between(start, end) > MAX_MONTHS:
        raise ValidationError(_("One publication covers at most %(n)s months.") % {"n": MAX_MONTHS})
    return start, end


@transaction.atomic
def publication_prepare(
    *,
    actor: User,
    organization: Organization,
    scope: str,
    country: str,
    first_month: date,
    last_month: date,
    languages: Sequence[str],
    replaces: Publication | None = None,
    form_token: str = "",
    build: TableBuilder = public_tables,
) -> Publication:
    """Build the tables of a publication in each language and freeze them, waiting for a second person's review.
    With the form's one-time token, a resubmitted form raises core.once.AlreadyDone with what the first made."""
    country = country.strip().upper()
    claimed = once.claim(
        user=actor, kind="publication.prepare", token=form_token,
        content=once.plain({"organization": organization, "scope": scope, "country": country,
                            "first": first_month, "last": last_month, "languages": list(languages),
                            "replaces": replaces}),
    )  # fmt: skip
    if scope not in Publication.Scope.values:
        raise ValidationError(_("Choose the scope: one country or the region."))
    if scope == Publication.Scope.COUNTRY and not is_country(country):
        raise ValidationError(_("Choose the country from the list."))
    if scope == Publication.Scope.REGION:
        country = ""
    chosen = [code for code in LANGUAGES if code in set(languages)]
    if not chosen or set(languages) - set(LANGUAGES):
        raise ValidationError(_("Choose at least one language: Spanish, English or Portuguese."))
    start, end = check_period(first_month, last_month)
    if replaces is not None and replaces.organization_id != organization.pk:
        raise ValidationError(_("A rebuild belongs to the organisation of the publication it replaces."))
    statistics_scope = Scope(kind=scope, organization_id=organization.pk, country=country)
    built_at = timezone.now()
    tables = {code: [t.to_json() for t in build(scope=statistics_scope, start=start, end=end, language=code)]
              for code in chosen}  # fmt: skip
    parameters = {
        "scope": scope,
        "country": country,
        "organization": str(organization.uuid),
        "period_start": start.isoformat(),
        "period_end": end.isoformat(),
        "languages": chosen,
        "built_at": built_at.isoformat(),
        "replaces": str(replaces.uuid) if replaces is not None else None,
    }
    publication = Publication.objects.create(
        organization=organization,
        scope=scope,
        country=country,
        period_start=start,
        period_end=end,
        languages=chosen,
        frozen={"parameters": parameters, "tables": tables},
        built_at=built_at,
        replaces=replaces,
        prepared_by=actor,
    )
    audit_record(
        actor=actor,
        action="publication.prepare",
        obj=publication,
        organization=organization,
        detail={
            "scope": scope,
            "country": country,
            "period": [start.isoformat(), end.isoformat()],
            "languages": chosen,
            "tables": len(tables[chosen[0]]),
            "replaces": str(replaces.uuid) if replaces is not None else None,
        },
    )
    once.settle(claimed, publication.uuid)
    return publication


def _locked(publication: Publication) -> Publication:
    return Publication.objects.select_for_update().get(pk=publication.pk)


@transaction.atomic
def publication_review(*, actor: User, publication: Publication, approve: bool, reason: str = "") -> Publication:
    """The second person's decision: approve (the figures become public, and an earlier approved build of the same
    organisation, scope and period is superseded) or send it back with a reason."""
    publication = _locked(publication)
    if publication.prepared_by_id == actor.pk:
        raise ValidationError(_("You prepared this publication: another person must review it."))
    if publication.status != Publication.Status.PENDING:
        raise ValidationError(_("This publication is not waiting for a review any more."))
    reason = reason.strip()
    now = timezone.now()
    publication.reviewed_by = actor
    publication.reviewed_at = now
    if approve:
        publication.status = Publication.Status.APPROVED
        publication.approved_at = now
    else:
        if not reason:
            raise ValidationError(_("Say why you send it back, so that it can be corrected."))
        publication.status = Publication.Status.RETURNED
        publication.return_reason = reason
    publication.save()
    audit_record(
        actor=actor,
        action="publication.approve" if approve else "publication.return",
        obj=publication,
        organization=publication.organization,
        detail={"prepared_by": publication.prepared_by_id},
    )
    if approve:
        earlier = Publication.objects.select_for_update().filter(
            organization=publication.organization,
            scope=publication.scope,
            country=publication.country,
            period_start=publication.period_start,
            period_end=publication.period_end,
            status=Publication.Status.APPROVED,
        )
        for old in earlier.exclude(pk=publication.pk):
            old.status = Publication.Status.SUPERSEDED
            old.superseded_at = now
            old.save(update_fields=["status", "superseded_at"])
            audit_record(
                actor=actor,
                action="publication.supersede",
                obj=old,
                organization=old.organization,
                detail={"by": str(publication.uuid)},
            )
    return publication


@transaction.atomic
def publication_withdraw(*, actor: User, publication: Publication, reason: str) -> Publication:
    """Withdraw a publication (published or waiting): its public page then says it was withdrawn, with no figures."""
    publication = _locked(publication)
    if publication.status not in (Publication.Status.APPROVED, Publication.Status.PENDING):
        raise ValidationError(_("Only a published publication, or one waiting for review, can be withdrawn."))
    reason = reason.strip()
    if not reason:
        raise ValidationError(_("Say why it is withdrawn."))
    previous = publication.status
    publication.status = Publication.Status.WITHDRAWN
    publication.withdrawn_by = actor
    publication.withdrawn_at = timezone.now()
    publication.withdrawal_reason = reason
    publication.save()
    audit_record(
        actor=actor,
        action="publication.withdraw",
        obj=publication,
        organization=publication.organization,
        detail={"was": previous},
    )
    return publication


def publication_read(*, actor: Any, publication: Publication, what: str) -> None:
    """Audit a staff member's reading of a publication's frozen tables (aggregates after disclosure control)."""
    with transaction.atomic():
        audit_record(
            actor=actor,
            action="publication.read",
            obj=publication,
            organization=publication.organization,
            detail={"what": what, "status": publication.status},
        )
