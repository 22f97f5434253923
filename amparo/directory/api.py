"""Directory search over JSON: the same selector and the same validation as the search page."""

from __future__ import annotations

from datetime import date
from uuid import UUID

from django.db.models import prefetch_related_objects
from django.http import HttpRequest
from ninja import Query, Router, Schema
from ninja.errors import HttpError

from .forms import SearchForm
from .selectors import Hit, search_services

router = Router(tags=["directory"])

MAX_API_PAGE_SIZE = 50


class SearchParams(Schema):
    q: str = ""
    need: str = ""
    place: str = ""
    lat: float | None = None
    lon: float | None = None
    fact: list[str] = []
    open_now: bool = False
    page: int = 1
    size: int = 20


class ServiceHit(Schema):
    id: UUID
    service_id: UUID
    name: str
    organization: str
    municipality: str
    municipality_pcode: str
    latitude: float
    longitude: float
    distance_km: float | None
    open_now: bool
    types: list[str]
    facts: dict[str, bool]
    phone: str
    last_verified_on: date | None
    complete: bool  # false: found after relaxing, it meets only part of the query


class Urgent(Schema):
    kind: str  # emergency | crisis | child | protection | clock, most pressing first
    helplines: list[str]  # helpline codes (see the pathways' helplines)
    pathway: str | None


class Understood(Schema):
    used: list[str]  # the query's words the search used (folded, corrected)
    urgent: list[Urgent]
    pathways: list[str]  # pathway slugs the query points to, first the one to show first


class SearchPage(Schema):
    page: int
    has_next: bool
    corrected: dict[str, str]
    understood: Understood
    results: list[ServiceHit]


def _hit(hit: Hit) -> ServiceHit:
    sal, service = hit.sal, hit.sal.service
    return ServiceHit(
        id=sal.uuid,
        service_id=service.uuid,
        name=service.name,
        organization=service.organization.name,
        municipality=sal.place.name,
        municipality_pcode=sal.place.pcode,
        latitude=sal.latitude,
        longitude=sal.longitude,
        distance_km=round(hit.distance_km, 3) if hit.distance_km is not None else None,
        open_now=hit.is_open,
        types=[t.code for t in service.types.all()],
        facts=service.facts(),
        phone=service.phone,
        last_verified_on=service.last_verified_on,
        complete=hit.complete,
    )


@router.get("/search", response=SearchPage, summary="Search services")
def search(request: HttpRequest, params: Query[SearchParams]) -> SearchPage:
    if not 1 <= params.size <= MAX_API_PAGE_SIZE:
        raise HttpError(400, f"size must be between 1 and {MAX_API_PAGE_SIZE}")
    data = params.dict()
    data["open_now"] = "on" if params.open_now else ""
    data = {k: v for k, v in data.items() if v not in (None, "", [])}
    form = SearchForm(data)
    if not form.is_valid():
        raise HttpError(400, form.error_text())
    result = search_services(form.criteria(page_size=params.size))
    prefetch_related_objects([hit.sal.service for hit in result.hits], "types")
    return SearchPage(
        page=result.page,
        has_next=result.has_next,
        corrected=result.corrected,
        understood=Understood(
            used=result.understanding.used,
            urgent=[
                Urgent(kind=u.kind, helplines=list(u.helplines), pathway=u.pathway) for u in result.understanding.urgent
            ],
            pathways=result.understanding.pathways,
        ),
        results=[_hit(h) for h in result.hits],
    )
