"""Reads for referrals: the services a case may be referred to, the focal point's inbox, a case's referrals."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import cast

from django.db.models import QuerySet

from amparo.cases.models import Case as CaseRecord
from amparo.directory.models import FocalPoint, Place, Service
from amparo.directory.selectors import SearchCriteria, search_services
from amparo.safechannel.models import Report

from .models import OPEN_STATUSES, Referral, ReferralQuerySet, ServiceType

# Referral type -> the directory service types (codes of amparo/directory/taxonomy.py SERVICE_TYPES) that serve it.
# "other" has no restriction: any active service may receive it.
DIRECTORY_TYPES: dict[str, tuple[str, ...]] = {
    ServiceType.HEALTH: ("post-rape-care", "hiv", "sti-care", "sexual-reproductive-health", "covid19-vaccination"),
    ServiceType.PSYCHOSOCIAL: ("mental-health",),
    ServiceType.LEGAL: ("legal-aid", "criminal-complaint", "ombudsman", "public-oversight"),
    ServiceType.PROTECTION: ("protection-measures", "anti-trafficking"),
    ServiceType.SHELTER: ("safe-shelter",),
    ServiceType.CHILDREN: ("child-protection",),
    ServiceType.OTHER: (),
}


@dataclass(frozen=True)
class ServiceOption:
    service: Service
    distance_km: float | None
    place_name: str


def services_for_referral(place: Place | None, service_type: str, limit: int = 20) -> list[ServiceOption]:
    """Active services of the matching directory types, nearest her municipality first (the one search)."""
    criteria = SearchCriteria(needs=DIRECTORY_TYPES.get(service_type, ()), place=place, page_size=limit * 2)
    seen: set[int] = set()
    options: list[ServiceOption] = []
    for hit in search_services(criteria).hits:
        service = hit.sal.service
        if service.pk in seen or service.status != Service.Status.ACTIVE:
            continue
        seen.add(service.pk)
        options.append(ServiceOption(service, hit.distance_km, hit.sal.place.name))
        if len(options) == limit:
            break
    return options


def service_matches_type(service: Service, service_type: str) -> bool:
    codes = DIRECTORY_TYPES.get(service_type, ())
    return not codes or service.types.filter(code__in=codes).exists()


def focal_points_for_services(service_ids: list[int]) -> QuerySet[FocalPoint]:
    """Active focal points the entity approved, covering any of the services (for the optional "to whom" choice)."""
    return (
        FocalPoint.objects.granted()
        .filter(active=True, services__in=service_ids)
        .select_related("entity")
        .distinct()
        .order_by("display_name", "pk")
    )


@dataclass(frozen=True)
class FocalPointOption:
    """A focal point to address a referral to, with the nearest of the offered services it covers."""

    focal_point: FocalPoint
    distance_km: float | None
    place_name: str


def focal_point_options(options: list[ServiceOption]) -> list[FocalPointOption]:
    """The focal points covering the offered services, nearest first, each with its institution (`entity`) and the
    distance of the nearest offered service it covers (the services come nearest first from the search)."""
    rank = {o.service.pk: i for i, o in enumerate(options)}
    found: list[tuple[int, FocalPointOption]] = []
    people = focal_points_for_services(list(rank)).prefetch_related("services")
    for person in people:
        covered = [rank[s.pk] for s in person.services.all() if s.pk in rank]
        if not covered:
            continue
        nearest = options[min(covered)]
        found.append((min(covered), FocalPointOption(person, nearest.distance_km, nearest.place_name)))
    found.sort(key=lambda pair: (pair[0], pair[1].focal_point.display_name, pair[1].focal_point.pk))
    return [option for _, option in found]


def health_referral_state(case: CaseRecord, since: datetime) -> str:
    """Where the case's health care stands since `since` (the incident that opened a clinical window): "attended"
    when a health referral sent after it was attended (or closed after being attended), "open" while one waits,
    "" when none was sent or every one was declined or cancelled. The case page's banner follows it."""
    statuses = set(
        Referral.objects.filter(case=case, service_type=ServiceType.HEALTH, sent_at__gte=since).values_list(
            "status", flat=True
        )
    )
    attended = Referral.objects.filter(
        case=case, service_type=ServiceType.HEALTH, sent_at__gte=since, events__status=Referral.Status.ATTENDED
    ).exists()
    if attended:
        return "attended"
    if statuses & set(OPEN_STATUSES):
        return "open"
    return ""


def with_urgency(referrals: QuerySet[Referral], now: datetime | None = None) -> QuerySet[Referral]:
    """Overdue and urgent first, finished last, with `overdue` annotated (`ReferralQuerySet.with_urgency`)."""
    return cast(ReferralQuerySet, referrals).with_urgency(now)


def inbox(referrals: QuerySet[Referral], *, finished: bool = False) -> QuerySet[Referral]:
    """The focal point's inbox: open referrals (or the finished ones), overdue and urgent first. With the sending
    organisation (of the case or the report) for the audited read (`services.referral_inbox_read`)."""
    chosen = referrals.exclude(status__in=OPEN_STATUSES) if finished else referrals.filter(status__in=OPEN_STATUSES)
    return with_urgency(chosen).select_related("service__organization", "case__organization", "report__organization")


def referrals_of_case(case: CaseRecord) -> QuerySet[Referral]:
    """A case's referrals for its sender's side, overdue and urgent first (for `referrals/_case_referrals.html`)."""
    return with_urgency(Referral.objects.filter(case=case)).select_related("service__organization", "focal_point")


def referrals_of_report(report: Report) -> QuerySet[Referral]:
    """A safe-channel report's referrals, as `referrals_of_case`."""
    return with_urgency(Referral.objects.filter(report=report)).select_related("service__organization", "focal_point")


# A referral not finished yet (still open, or attended and not closed by the sender): what a transfer cancels.
UNFINISHED = (*OPEN_STATUSES, Referral.Status.ATTENDED)


def unfinished_referrals_of_case(case: CaseRecord) -> QuerySet[Referral]:
    """The referrals a transfer of the case would cancel (the transfer page says so before it is proposed)."""
    return referrals_of_case(case).filter(status__in=UNFINISHED)


@dataclass(frozen=True)
class CancelledReferral:
    """One line of what was open when her case was transferred (`CaseTransfer.open_referrals`), in words."""

    type_label: str
    service: str
    organization: str
    status_label: str
    sent_on: str


def cancelled_by_transfer(items: list[dict[str, str]]) -> list[CancelledReferral]:
    """The plain values a transfer kept (codes) with their labels in the page's language."""
    types, statuses = dict(ServiceType.choices), dict(Referral.Status.choices)
    return [
        CancelledReferral(
            type_label=str(types.get(item.get("type", ""), item.get("type", ""))),
            service=item.get("service", ""),
            organization=item.get("organization", ""),
            status_label=str(statuses.get(item.get("status", ""), item.get("status", ""))),
            sent_on=item.get("sent_on", ""),
        )
        for item in items
    ]
