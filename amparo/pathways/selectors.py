"""Reads for pathways: the published list, and a pathway resolved for a place into the nearest services."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from django.db.models import Prefetch, Q, QuerySet
from django.utils import timezone

from amparo.directory.models import Place
from amparo.directory.selectors import Hit, SearchCriteria, Understanding, attach_public_focal_points, search_services

from .models import Helpline, Pathway, PathwayStep

SERVICES_PER_STEP = 3
CANDIDATES_PER_STEP = 12


@dataclass
class ResolvedStep:
    step: PathwayStep
    hits: list[Hit]
    helplines: list[Helpline]


@dataclass
class ResolvedPathway:
    pathway: Pathway
    place: Place | None
    steps: list[ResolvedStep]
    helplines: list[Helpline]


def published_pathways(country: str | None = None) -> QuerySet[Pathway]:
    qs = Pathway.objects.filter(published=True)
    if country:
        qs = qs.filter(country=country)
    return qs


def pathway_by_slug(slug: str) -> Pathway | None:
    return (
        published_pathways()
        .prefetch_related(
            "helplines",
            Prefetch(
                "steps",
                queryset=PathwayStep.objects.prefetch_related("service_types", "helplines").order_by("position"),
            ),
        )
        .filter(slug=slug)
        .first()
    )


def _place_codes(place: Place | None) -> set[str]:
    codes: set[str] = set()
    while place is not None:
        codes.add(place.pcode)
        place = place.parent
    return codes


def helpline_applies(helpline: Helpline, place: Place | None, country: str) -> bool:
    """National lines apply everywhere in their country; local lines only inside their place."""
    if helpline.scope == country:
        return True
    return helpline.scope in _place_codes(place)


def resolve_pathway(pathway: Pathway, place: Place | None, *, at: datetime | None = None) -> ResolvedPathway:
    """Each step with the nearest services of its types (open ones first), each service with its sensitised focal
    points (`service.public_focal_points`), and the helplines that apply there."""
    at = at or timezone.now()
    steps = []
    for step in pathway.steps.all():
        codes = tuple(t.code for t in step.service_types.all())
        hits: list[Hit] = []
        if place is not None and codes:
            found = search_services(SearchCriteria(needs=codes, place=place, page_size=CANDIDATES_PER_STEP, at=at)).hits
            hits = sorted(found, key=lambda h: (not h.is_open, h.distance_km or 0.0))[:SERVICES_PER_STEP]
        lines = [h for h in step.helplines.all() if helpline_applies(h, place, pathway.country)]
        steps.append(ResolvedStep(step=step, hits=hits, helplines=lines))
    helplines = [h for h in pathway.helplines.all() if helpline_applies(h, place, pathway.country)]
    # The sensitised focal points of every service shown, in one query for the whole pathway.
    attach_public_focal_points(hit.sal.service for step in steps for hit in step.hits)
    return ResolvedPathway(pathway=pathway, place=place, steps=steps, helplines=helplines)


def helplines_for(place: Place | None, country: str = "CO") -> QuerySet[Helpline]:
    codes = _place_codes(place) | {country}
    return Helpline.objects.filter(Q(scope__in=codes))


@dataclass
class UrgentHelp:
    kind: str  # emergency | crisis | child | protection | clock (directory.understanding.URGENCY_ORDER)
    helplines: list[Helpline]
    pathway: Pathway | None


@dataclass
class SearchGuidance:
    """What the search page puts above the results: what is urgent first, the pathways the query points to, and
    when nothing of the text was understood, every pathway and the helplines (never a blank page)."""

    urgent: list[UrgentHelp]
    pathways: list[Pathway]
    fallback_pathways: list[Pathway]
    fallback_helplines: list[Helpline]


MAX_SUGGESTED_PATHWAYS = 3


def search_guidance(understanding: Understanding, place: Place | None) -> SearchGuidance:
    """Resolve the urgency and pathway slugs the search understood into published pathways and the helplines that
    apply where she is (a local line only inside its place)."""
    slugs = {u.pathway for u in understanding.urgent if u.pathway} | set(understanding.pathways)
    # Most searches name no urgency and no pathway: then no query at all.
    by_slug = {p.slug: p for p in published_pathways().filter(slug__in=slugs)} if slugs else {}
    codes = {code for u in understanding.urgent for code in u.helplines}
    lines = {h.code: h for h in Helpline.objects.filter(code__in=codes)} if codes else {}
    urgent = []
    for item in understanding.urgent:
        pathway = by_slug.get(item.pathway or "")
        country = pathway.country if pathway else "CO"
        applying = [lines[c] for c in item.helplines if c in lines and helpline_applies(lines[c], place, country)]
        urgent.append(UrgentHelp(kind=item.kind, helplines=applying, pathway=pathway))
    suggested = [by_slug[s] for s in understanding.pathways if s in by_slug][:MAX_SUGGESTED_PATHWAYS]
    fallback = understanding.had_text and not understanding.understood
    return SearchGuidance(
        urgent=urgent,
        pathways=suggested,
        fallback_pathways=list(published_pathways()) if fallback else [],
        fallback_helplines=list(helplines_for(place)) if fallback else [],
    )
