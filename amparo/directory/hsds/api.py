"""Read-only Open Referral HSDS 3.0 API, mounted at /api/hsds/ (docs/hsds.md).

Endpoints and query parameters follow the HSDS OpenAPI document: lists are paginated with the HSDS page shape
(total_items, total_pages, page_number, size, first_page, last_page, empty, contents); list items use the list
shape (no arrays) unless `full=true`; details use the compiled shape. Text search goes through the directory's one
search selector, so it matches exactly as the search page does (active services only). Bad input is a 400 that
names the parameter; an unknown id is a 404.
"""

from __future__ import annotations

import math
import uuid
from collections.abc import Callable, Sequence
from datetime import UTC, datetime
from typing import Any, TypeVar

from django.db.models import Model, QuerySet
from django.http import HttpRequest
from django.urls import reverse
from ninja import Router
from ninja.errors import HttpError

from ..models import Organization, Service, ServiceAtLocation
from ..selectors import matching_queryset
from ..text import normalize
from . import mapping, selectors

router = Router(tags=["hsds"])

PROFILE_URI = "https://amparo.example.org/hsds/"
DEFAULT_PER_PAGE = 50
MAX_PER_PAGE = 200
MAX_PAGE = 100_000

T = TypeVar("T")
M = TypeVar("M", bound=Model)


# --- Parameters ----------------------------------------------------------------------------------------------


def _parse_uuid(value: str, name: str) -> uuid.UUID:
    try:
        return uuid.UUID(value.strip())
    except (ValueError, AttributeError):
        raise HttpError(400, f"{name} must be a UUID") from None


def _check_paging(page: int, per_page: int) -> None:
    if not 1 <= page <= MAX_PAGE:
        raise HttpError(400, f"page must be between 1 and {MAX_PAGE}")
    if not 1 <= per_page <= MAX_PER_PAGE:
        raise HttpError(400, f"per_page must be between 1 and {MAX_PER_PAGE}")


def _aware(value: datetime) -> datetime:
    return value if value.tzinfo is not None else value.replace(tzinfo=UTC)


def _paginate(
    rows: QuerySet[M] | Sequence[T], page: int, per_page: int, build: Callable[[Any], dict[str, Any]]
) -> dict[str, Any]:
    _check_paging(page, per_page)
    offset = (page - 1) * per_page
    if isinstance(rows, QuerySet):
        total = rows.count()
        chunk: list[Any] = list(rows[offset : offset + per_page]) if offset < total else []
    else:
        total = len(rows)
        chunk = list(rows[offset : offset + per_page])
    contents = [build(row) for row in chunk]
    total_pages = math.ceil(total / per_page)
    return {
        "total_items": total,
        "total_pages": total_pages,
        "page_number": page,
        "size": len(contents),
        "first_page": page == 1,
        "last_page": page >= total_pages,
        "empty": not contents,
        "contents": contents,
    }


# --- Filters -------------------------------------------------------------------------------------------------


def _matching_sals(search: str) -> QuerySet[ServiceAtLocation]:
    """Active service-at-location rows that the directory search matches for `search`."""
    return matching_queryset(search)


def _filter_services(
    qs: QuerySet[Service],
    *,
    search: str = "",
    taxonomy_term_id: str = "",
    taxonomy_id: str = "",
    organization_id: str = "",
    modified_after: datetime | None = None,
) -> QuerySet[Service]:
    through = Service.types.through
    if search.strip():
        qs = qs.filter(pk__in=_matching_sals(search).values("service_id"))
    if taxonomy_term_id:
        ref = mapping.term_refs().get(str(_parse_uuid(taxonomy_term_id, "taxonomy_term_id")))
        if ref is None:
            qs = qs.none()
        elif ref.kind == "type":
            qs = qs.filter(pk__in=through.objects.filter(servicetype_id=ref.code).values("service_id"))
        else:  # an inclusion fact: the services where it is true
            qs = qs.filter(**{ref.code: True})
    if taxonomy_id:
        wanted = _parse_uuid(taxonomy_id, "taxonomy_id")
        if wanted == mapping.SERVICE_TYPES_TAXONOMY_ID:
            qs = qs.filter(pk__in=through.objects.values("service_id"))
        elif wanted != mapping.FACTS_TAXONOMY_ID:  # every service carries the fact attributes
            qs = qs.none()
    if organization_id:
        qs = qs.filter(organization__uuid=_parse_uuid(organization_id, "organization_id"))
    if modified_after is not None:
        qs = qs.filter(updated_at__gt=_aware(modified_after))
    return qs


def _one(qs: QuerySet[M], raw_id: str) -> M:
    obj = qs.filter(uuid=_parse_uuid(raw_id, "id")).first()
    if obj is None:
        raise HttpError(404, "Not found")
    return obj


# --- Endpoints -----------------------------------------------------------------------------------------------


@router.get("/", summary="HSDS version and profile")
def root(request: HttpRequest) -> dict[str, Any]:
    return {
        "version": mapping.HSDS_VERSION,
        "profile": PROFILE_URI,
        "openapi_url": request.build_absolute_uri(reverse("api:openapi-json")),
    }


@router.get("/services", summary="Services (HSDS page)")
def services(
    request: HttpRequest,
    search: str = "",
    taxonomy_term_id: str = "",
    taxonomy_id: str = "",
    organization_id: str = "",
    modified_after: datetime | None = None,
    full: bool = False,
    page: int = 1,
    per_page: int = DEFAULT_PER_PAGE,
) -> dict[str, Any]:
    _check_paging(page, per_page)
    qs = _filter_services(
        selectors.services(full=full),
        search=search,
        taxonomy_term_id=taxonomy_term_id,
        taxonomy_id=taxonomy_id,
        organization_id=organization_id,
        modified_after=modified_after,
    )
    return _paginate(qs, page, per_page, lambda s: mapping.service_to_hsds(s, full=full))


@router.get("/services/{id}", summary="One service (compiled HSDS service)")
def service(request: HttpRequest, id: str) -> dict[str, Any]:
    return mapping.service_to_hsds(_one(selectors.services(full=True), id))


@router.get("/organizations", summary="Organizations (HSDS page)")
def organizations(
    request: HttpRequest,
    search: str = "",
    taxonomy_term_id: str = "",
    taxonomy_id: str = "",
    page: int = 1,
    per_page: int = DEFAULT_PER_PAGE,
) -> dict[str, Any]:
    _check_paging(page, per_page)
    qs = selectors.organizations()
    if search.strip() or taxonomy_term_id or taxonomy_id:
        matching = _filter_services(
            Service.objects.all(), search=search, taxonomy_term_id=taxonomy_term_id, taxonomy_id=taxonomy_id
        )
        qs = qs.filter(pk__in=matching.values("organization_id"))
    return _paginate(qs, page, per_page, mapping.organization_to_hsds)


@router.get("/organizations/{id}", summary="One organization, with its services")
def organization(request: HttpRequest, id: str, full_service: bool = False) -> dict[str, Any]:
    org: Organization = _one(selectors.organizations(), id)
    return mapping.organization_to_hsds(
        org,
        services=selectors.services(full=full_service).filter(organization=org),
        full_services=full_service,
    )


@router.get("/taxonomies", summary="Taxonomies (HSDS page)")
def taxonomies(
    request: HttpRequest, search: str = "", page: int = 1, per_page: int = DEFAULT_PER_PAGE
) -> dict[str, Any]:
    rows = mapping.taxonomies()
    if search.strip():
        wanted = normalize(search)
        rows = [t for t in rows if wanted in normalize(f"{t['name']} {t['description']}")]
    return _paginate(rows, page, per_page, lambda t: t)


@router.get("/taxonomies/{id}", summary="One taxonomy")
def taxonomy(request: HttpRequest, id: str) -> dict[str, Any]:
    found = mapping.taxonomy_by_id(_parse_uuid(id, "id"))
    if found is None:
        raise HttpError(404, "Not found")
    return found


@router.get("/taxonomy_terms", summary="Taxonomy terms (HSDS page)")
def taxonomy_terms(
    request: HttpRequest,
    search: str = "",
    taxonomy_id: str = "",
    top_only: bool = False,
    parent_id: str = "",
    page: int = 1,
    per_page: int = DEFAULT_PER_PAGE,
) -> dict[str, Any]:
    rows = mapping.taxonomy_terms()
    if taxonomy_id:
        wanted = str(_parse_uuid(taxonomy_id, "taxonomy_id"))
        rows = [t for t in rows if t["taxonomy_id"] == wanted]
    if parent_id:
        _parse_uuid(parent_id, "parent_id")
        rows = []  # our taxonomies are flat: no term has a parent
    if search.strip():
        wanted = normalize(search)
        rows = [t for t in rows if wanted in normalize(f"{t['code']} {t['name']}")]
    # top_only: every term is a top-level term, so it changes nothing.
    return _paginate(rows, page, per_page, lambda t: t)


@router.get("/taxonomy_terms/{id}", summary="One taxonomy term")
def taxonomy_term(request: HttpRequest, id: str) -> dict[str, Any]:
    wanted = str(_parse_uuid(id, "id"))
    found = next((t for t in mapping.taxonomy_terms(detail=True) if t["id"] == wanted), None)
    if found is None:
        raise HttpError(404, "Not found")
    return found


@router.get("/service_at_locations", summary="Services at locations (HSDS page)")
def service_at_locations(
    request: HttpRequest,
    search: str = "",
    taxonomy_term_id: str = "",
    taxonomy_id: str = "",
    organization_id: str = "",
    modified_after: datetime | None = None,
    full: bool = False,
    page: int = 1,
    per_page: int = DEFAULT_PER_PAGE,
) -> dict[str, Any]:
    _check_paging(page, per_page)
    qs = selectors.service_at_locations(full=full)
    if search.strip():
        qs = qs.filter(pk__in=_matching_sals(search).values("pk"))
    if taxonomy_term_id or taxonomy_id or organization_id or modified_after is not None:
        matching = _filter_services(
            Service.objects.all(),
            taxonomy_term_id=taxonomy_term_id,
            taxonomy_id=taxonomy_id,
            organization_id=organization_id,
            modified_after=modified_after,
        )
        qs = qs.filter(service_id__in=matching.values("pk"))
    return _paginate(
        qs, page, per_page, lambda sal: mapping.service_at_location_to_hsds(sal, full=full, with_service=True)
    )


@router.get("/service_at_locations/{id}", summary="One service at a location (compiled, with its service)")
def service_at_location(request: HttpRequest, id: str) -> dict[str, Any]:
    sal = _one(selectors.service_at_locations(full=True), id)
    return mapping.service_at_location_to_hsds(sal, full=True, with_service=True)
