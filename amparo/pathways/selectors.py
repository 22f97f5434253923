"""Reads for pathways: the published list, and a pathway resolved for a place into the nearest services."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from django.db.models import Prefetch, Q, QuerySet
from django.utils import timezone

from amparo.directory.models import Place
from amparo.directory.selectors import Hit, SearchCriteria, attach_public_focal_points, search_services

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
