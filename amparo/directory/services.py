"""Writes to the directory. Each function is one transaction."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import date
from functools import cache
from typing import Any

from django.db import connection, transaction
from django.db.models import F
from django.utils import timezone, translation

from amparo.audit.services import audit_record

from .hours import WEEK_COLUMNS, week_masks, week_slots
from .models import FocalPoint, Location, Place, SearchTerm, Service, ServiceAtLocation, ServiceType
from .taxonomy import INCLUSION_FACT_CODES, INCLUSION_FACTS, SERVICE_TYPE_BY_CODE, SERVICE_TYPES, fact_mask, type_mask
from .text import normalize
from .vocabulary import vocabulary_changed

_INDEX_LANGUAGES = ("es", "en", "pt")


@cache
def _type_terms(code: str) -> str:
    """Names of a service type in every language plus its keywords, folded for the search index."""
    info = SERVICE_TYPE_BY_CODE[code]
    names = []
    for language in _INDEX_LANGUAGES:
        with translation.override(language):
            names.append(str(info.name))
    return normalize(" ".join([*names, info.keywords]))


def build_search_text(service: Service, type_codes: Iterable[str], place_names: Iterable[str]) -> str:
    parts = [service.name, service.description, service.organization.name, service.eligibility]
    parts += [_type_terms(code) for code in type_codes]
    parts += [fact.keywords for fact in INCLUSION_FACTS if getattr(service, fact.code)]
    parts += list(place_names)
    # A leading and trailing space lets the portable path match word prefixes with LIKE ' word%'.
    return " " + normalize(" ".join(p for p in parts if p)) + " "


def ensure_service_types() -> None:
    """Create the taxonomy rows (idempotent); the codes themselves live in taxonomy.py."""
    for position, info in enumerate(SERVICE_TYPES):
        ServiceType.objects.update_or_create(code=info.code, defaults={"position": position})


@transaction.atomic
def services_reindex(service_ids: Iterable[int] | None = None, *, batch_size: int = 2000) -> int:
    """Recompute the search text of the given services (all when None) and extend the typo vocabulary."""
    qs = Service.objects.select_related("organization").prefetch_related("types", "at_locations__place__parent")
    if service_ids is not None:
        qs = qs.filter(pk__in=list(service_ids))
    lineages = place_lineages()
    changed: list[Service] = []
    sals_to_update: list[ServiceAtLocation] = []
    summaries: dict[str, WordSummary] = {}
    count = 0
    for service in qs.iterator(chunk_size=batch_size):
        places = {
            name
            for sal in service.at_locations.all()
            for name in (sal.place.name, sal.place.parent.name if sal.place.parent else "")
        }
        codes = [t.code for t in service.types.all()]
        text = build_search_text(service, codes, places)
        masks = search_masks(service, codes)
        for sal in service.at_locations.all():
            copied = (*masks, *lineages.get(sal.place_id, (None, None)))
            if sal_copied_fields(sal) != copied:
                sal.active, sal.type_mask, sal.fact_mask, sal.admin1_id, sal.country_id = copied
                sals_to_update.append(sal)
        summarize_words(
            summaries, text, ((sal.type_mask, sal.fact_mask, sal.open_24h) for sal in service.at_locations.all())
        )
        if text != service.search_text:
            service.search_text = text
            changed.append(service)
        if len(changed) >= batch_size:
            Service.objects.bulk_update(changed, ["search_text"])
            count += len(changed)
            changed = []
    if changed:
        Service.objects.bulk_update(changed, ["search_text"])
        count += len(changed)
    ServiceAtLocation.objects.bulk_update(
        sals_to_update, ["active", "type_mask", "fact_mask", "admin1", "country"], batch_size=batch_size
    )
    sal_ids = ServiceAtLocation.objects.all()
    if service_ids is not None:
        sal_ids = sal_ids.filter(service_id__in=list(service_ids))
    week_refresh(sal_ids.values_list("pk", flat=True))
    vocabulary_extend(summaries)
    if sals_to_update:
        vocabulary_changed()  # the search's cached type and fact combinations (selectors._mask_combinations)
    return count


def search_masks(service: Service, type_codes: Iterable[str]) -> tuple[bool, int, int]:
    """(active, type mask, fact mask) of a service, as copied onto its service-at-location rows."""
    facts = [code for code in INCLUSION_FACT_CODES if getattr(service, code)]
    return service.status == Service.Status.ACTIVE, type_mask(type_codes), fact_mask(facts)


def sal_copied_fields(sal: ServiceAtLocation) -> tuple[bool, int, int, int | None, int | None]:
    """What services_reindex copies onto a service-at-location row: the service's masks, the place's lineage."""
    return sal.active, sal.type_mask, sal.fact_mask, sal.admin1_id, sal.country_id


def place_lineages() -> dict[int, tuple[int | None, int | None]]:
    """(department id, country id) of every place (Place.lineage), in one query."""
    places = Place.objects.in_bulk()
    for place in places.values():  # link the parents already loaded, so lineage() makes no query
        if place.parent_id is not None:
            place.parent = places[place.parent_id]
    return {pk: place.lineage() for pk, place in places.items()}


@transaction.atomic
def week_refresh(sal_ids: Iterable[int]) -> None:
    """Rebuild the week bits of service-at-location rows from their opening hours (writing only those changed)."""
    sals = list(ServiceAtLocation.objects.filter(pk__in=list(sal_ids)).prefetch_related("hours"))
    changed = []
    for sal in sals:
        week = week_slots(((h.weekday, h.opens_at, h.closes_at) for h in sal.hours.all()), open_24h=sal.open_24h)
        masks = week_masks(week)
        if masks != tuple(getattr(sal, column) for column in WEEK_COLUMNS):
            for column, mask in zip(WEEK_COLUMNS, masks, strict=True):
                setattr(sal, column, mask)
            changed.append(sal)
    ServiceAtLocation.objects.bulk_update(changed, WEEK_COLUMNS, batch_size=1000)


# What SearchTerm keeps of the rows whose search text holds a word: (type masks, fact masks, any open 24 hours).
WordSummary = tuple[int, int, bool]
VOCABULARY_WORD_MAX = 64  # SearchTerm.word's length


def vocabulary_words(text: str) -> set[str]:
    """The words of a search text that the vocabulary keeps: three characters or more and not all digits (too
    short or a number, a word is never corrected), cut to 64 characters (a query word starting a longer word
    also starts its cut)."""
    return {w[:VOCABULARY_WORD_MAX] for w in text.split() if len(w) >= 3 and not w.isdigit()}


def summarize_words(summaries: dict[str, WordSummary], text: str, rows: Iterable[tuple[int, int, bool]]) -> None:
    """Fold service-at-location rows (type mask, fact mask, open 24 hours) sharing a search text into the
    summaries of that text's words."""
    types = facts = 0
    open_24h = False
    for row_types, row_facts, row_open_24h in rows:
        types, facts, open_24h = types | row_types, facts | row_facts, open_24h or row_open_24h
    for word in vocabulary_words(text):
        old_types, old_facts, old_open_24h = summaries.get(word, (0, 0, False))
        summaries[word] = (old_types | types, old_facts | facts, old_open_24h or open_24h)


def vocabulary_extend(summaries: Mapping[str, WordSummary]) -> None:
    """Add words to the vocabulary and widen their summaries (SearchTerm): summaries are only ever widened, so a
    row is never left out of a search because another transaction wrote a narrower one."""
    SearchTerm.objects.bulk_create(
        [SearchTerm(word=w) for w in sorted(summaries)], ignore_conflicts=True, batch_size=2000
    )
    words_by_summary: dict[WordSummary, list[str]] = {}
    for word, summary in summaries.items():
        if summary != (0, 0, False):
            words_by_summary.setdefault(summary, []).append(word)
    for (types, facts, open_24h), words in words_by_summary.items():
        widen: dict[str, Any] = {"type_masks": F("type_masks").bitor(types), "fact_masks": F("fact_masks").bitor(facts)}
        if open_24h:
            widen["any_open_24h"] = True
        words.sort()
        for start in range(0, len(words), 500):
            SearchTerm.objects.filter(word__in=words[start : start + 500]).update(**widen)
    vocabulary_changed()


@transaction.atomic
def location_sync(location: Location) -> None:
    """Copy a location's place and coordinates onto its service-at-location rows and reindex their services."""
    sals = list(location.service_at_locations.all())
    admin1_id, country_id = location.place.lineage()
    for sal in sals:
        sal.place_id = location.place_id
        sal.admin1_id, sal.country_id = admin1_id, country_id
        sal.latitude = location.latitude
        sal.longitude = location.longitude
    ServiceAtLocation.objects.bulk_update(sals, ["place", "admin1", "country", "latitude", "longitude"])
    services_reindex({sal.service_id for sal in sals})


@transaction.atomic
def services_mark_verified(service_ids: Iterable[int], *, on: date | None = None) -> int:
    """Record that the services and every one of their inclusion facts were confirmed on a date (today)."""
    day = on or timezone.localdate()
    services = list(Service.objects.filter(pk__in=list(service_ids)))
    for service in services:
        service.last_verified_on = day
        service.facts_verified_on = {code: day.isoformat() for code in INCLUSION_FACT_CODES}
    Service.objects.bulk_update(services, ["last_verified_on", "facts_verified_on"])
    return len(services)


@transaction.atomic
def service_verify(*, actor: Any, service: Service, facts: Mapping[str, bool], organization: Any = None) -> Service:
    """Record a verification: the inclusion facts as confirmed by `actor` (a focal point, coordinator or platform
    administrator) become the service's facts, and the service and each fact are dated today. Audited as
    "service.verify" in the same transaction (detail: which facts changed, never identifying data).

    `facts` must give a value for every inclusion fact; `organization` is the member organisation the actor acts
    for (see amparo.access.verification_organization)."""
    unknown, missing = set(facts) - set(INCLUSION_FACT_CODES), set(INCLUSION_FACT_CODES) - set(facts)
    if unknown or missing:
        raise ValueError(f"facts must give exactly the inclusion facts; unknown {unknown}, missing {missing}")
    locked = Service.objects.select_for_update().get(pk=service.pk)
    changed = sorted(code for code in INCLUSION_FACT_CODES if getattr(locked, code) != bool(facts[code]))
    for code in INCLUSION_FACT_CODES:
        setattr(locked, code, bool(facts[code]))
    locked.save(update_fields=[*INCLUSION_FACT_CODES, "updated_at"])
    services_mark_verified([locked.pk])
    services_reindex([locked.pk])  # the facts' keywords are part of the search text
    audit_record(
        actor=actor,
        action="service.verify",
        obj=locked,
        organization=organization,
        detail={"facts_changed": changed, "facts_confirmed": len(INCLUSION_FACT_CODES)},
    )
    locked.refresh_from_db()
    return locked


# Changing any of these on a focal point registered by another organisation asks the entity again: they decide who
# receives referrals for the entity, verifies its services, and what contact is shown on its public pages.
GRANT_FIELDS = frozenset(
    {
        "entity",
        "services",
        "user",
        "managed_by",
        "display_name",
        "publish_name",
        "phone",
        "phone_public",
        "whatsapp",
        "whatsapp_public",
        "email",
        "email_public",
    }
)


class GrantChanged(Exception):
    """The focal point was edited or decided since the approval page was shown."""


def grant_version(focal_point: FocalPoint) -> str:
    return focal_point.updated_at.isoformat()


@transaction.atomic
def focal_point_saved(
    *, actor: Any, focal_point: FocalPoint, created: bool, changed: Iterable[str], self_granted: bool
) -> FocalPoint:
    """After a focal point was registered or edited (the admin calls this once its services are saved): decide its
    grant and audit the change in the same transaction.

    `self_granted` (from amparo.access.grants_itself) says that the actor may grant it alone: a coordinator of
    the entity's own member organisation, or a platform administrator. Otherwise a new focal point, or a change of
    a field in GRANT_FIELDS, leaves it pending until the entity approves (`focal_point_grant_decide`)."""
    changed = set(changed)
    locked = FocalPoint.objects.select_for_update().get(pk=focal_point.pk)
    previous = locked.grant
    if self_granted:
        if created or locked.grant != FocalPoint.Grant.APPROVED or changed & GRANT_FIELDS:
            locked.grant = FocalPoint.Grant.APPROVED
            locked.grant_decided_by, locked.grant_decided_at = actor, timezone.now()
    elif created or changed & GRANT_FIELDS:
        locked.grant = FocalPoint.Grant.PENDING
        locked.grant_decided_by, locked.grant_decided_at = None, None
    locked.save(update_fields=["grant", "grant_decided_by", "grant_decided_at", "updated_at"])
    audit_record(
        actor=actor,
        action="focal_point.register" if created else "focal_point.change",
        obj=locked,
        organization=locked.managed_by,
        detail={
            "entity": str(locked.entity.uuid),
            "fields": sorted(changed),
            "grant": locked.grant,
            "grant_before": "" if created else previous,
        },
    )
    focal_point.grant = locked.grant
    return locked


@transaction.atomic
def focal_point_grant_decide(*, actor: Any, focal_point: FocalPoint, approve: bool, seen_version: str) -> FocalPoint:
    """The entity's coordinator (or a platform administrator) approves or declines a pending focal point. Only the
    version she saw can be decided (`seen_version`, from `grant_version`): an edit made since the page was opened
    must be seen before it is approved. Raises GrantChanged otherwise."""
    locked = FocalPoint.objects.select_for_update().get(pk=focal_point.pk)
    if locked.grant != FocalPoint.Grant.PENDING or grant_version(locked) != seen_version:
        raise GrantChanged
    locked.grant = FocalPoint.Grant.APPROVED if approve else FocalPoint.Grant.DECLINED
    locked.grant_decided_by, locked.grant_decided_at = actor, timezone.now()
    locked.save(update_fields=["grant", "grant_decided_by", "grant_decided_at"])
    audit_record(
        actor=actor,
        action="focal_point.approve" if approve else "focal_point.decline",
        obj=locked,
        organization=locked.managed_by,
        detail={"entity": str(locked.entity.uuid)},
    )
    return locked


def refresh_planner_statistics() -> None:
    """ANALYZE after a bulk load, so the query planner knows the new sizes (both databases understand it)."""
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")
