"""Reads of publications for the pages: what is public, how a scope and a source are named."""

from __future__ import annotations

from uuid import UUID

from django.db.models import QuerySet
from django.utils.translation import gettext as _

from amparo.core.countries import country_name

from .models import Publication
from .tables import StatTable


def scope_label(publication: Publication) -> str:
    if publication.scope == Publication.Scope.COUNTRY:
        return country_name(publication.country)
    return _("The region (every country with data)")


def source_label(code: str) -> str:
    labels = {
        "cases": _("case records of the member organisations, only of survivors who agreed to be counted"),
        "safechannel": _("reports to the safe channel: risk data only (place, type, dates), never what she wrote"),
        "referrals": _("referrals between services (counts, outcomes and delays)"),
        "surveys": _("survey interviews given with consent"),
        "networks": _("the protection networks' records (coverage gaps)"),
        "alerts": _("trafficking alerts"),
    }
    return labels.get(code, code)


def source_labels(tables: list[StatTable]) -> list[str]:
    seen: list[str] = []
    for table in tables:
        for code in table.sources:
            if code not in seen:
                seen.append(code)
    return [source_label(code) for code in seen]


def public_publications() -> QuerySet[Publication]:
    """Every publication the public pages list (published, withdrawn, replaced), newest period first."""
    return (
        Publication.objects.public()
        .select_related("organization")
        .order_by("-period_end", "-period_start", "scope", "country", "-built_at")
    )


def get_public_publication(publication_uuid: UUID) -> Publication | None:
    return public_publications().filter(uuid=publication_uuid).first()


def replacement_of(publication: Publication) -> Publication | None:
    """The approved build that superseded this one (same organisation, scope and period), if any."""
    return (
        Publication.objects.filter(
            organization=publication.organization,
            scope=publication.scope,
            country=publication.country,
            period_start=publication.period_start,
            period_end=publication.period_end,
            status=Publication.Status.APPROVED,
        )
        .order_by("-built_at")
        .first()
    )
