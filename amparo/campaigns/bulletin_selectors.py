"""Reads of the bulletin and the library: who reads what (see bulletin_models), and what a text may not carry."""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date

from django.db.models import Q, QuerySet
from django.utils import timezone

from amparo.accounts.models import Membership, Organization, User
from amparo.directory.models import Place

from .bulletin_models import Audience, BulletinPost, LibraryDocument


@dataclass(frozen=True)
class Coverage:
    """Where an organisation works: the countries it covers whole, and the (country, department) pairs."""

    countries: frozenset[str]
    departments: frozenset[tuple[str, str]]

    @property
    def any_country(self) -> frozenset[str]:
        return self.countries | {country for country, _admin1 in self.departments}


def place_codes(place: Place) -> tuple[str, str]:
    """(country P-code, department P-code or "") of a place, by its parents (at most two steps)."""
    chain = [place]
    while chain[-1].parent_id is not None and len(chain) < 4:
        parent = chain[-1].parent
        assert parent is not None
        chain.append(parent)
    country = chain[-1]
    admin1 = next((p for p in chain if p.level == Place.Level.ADMIN1), None)
    return country.pcode, admin1.pcode if admin1 is not None else ""


def _coverage_of(areas: Iterable[Place]) -> Coverage:
    countries: set[str] = set()
    departments: set[tuple[str, str]] = set()
    for area in areas:
        country, admin1 = place_codes(area)
        if admin1:
            departments.add((country, admin1))
        else:
            countries.add(country)
    return Coverage(frozenset(countries), frozenset(departments))


def coverage(organizations: Iterable[Organization]) -> Coverage:
    return _coverage_of(
        Place.objects.filter(member_organizations__in=list(organizations)).select_related("parent__parent")
    )


def _audience_q(organizations: list[Organization]) -> Q:
    where = coverage(organizations)
    q = Q(audience=Audience.REGION) | Q(organization__in=organizations)
    if where.any_country:
        q |= Q(audience=Audience.COUNTRY, country__in=where.any_country)
    if where.countries:
        q |= Q(audience=Audience.AREA, country__in=where.countries)
    for country, admin1 in where.departments:
        q |= Q(audience=Audience.AREA, country=country, admin1=admin1)
    return q


def reader_organizations(user: User) -> list[Organization]:
    """The organisations through which a person reads the bulletin: her active memberships (all of them for a
    platform administrator)."""
    if user.is_superuser:
        return list(Organization.objects.all())
    return list(Organization.objects.filter(memberships__user=user, memberships__active=True).distinct())


def posts_for(user: User, *, today: date | None = None, kind: str = "") -> QuerySet[BulletinPost]:
    """The posts she may read, not withdrawn and not expired, newest first."""
    organizations = reader_organizations(user)
    if not organizations:
        return BulletinPost.objects.none()
    found = BulletinPost.objects.filter(_audience_q(organizations)).filter(
        withdrawn_at__isnull=True, expires_on__gte=today or timezone.localdate()
    )
    if kind:
        found = found.filter(kind=kind)
    return found.select_related("organization", "place", "place__parent").order_by("-created_at", "-pk")


def documents_for(
    user: User, *, language: str = "", kind: str = "", withdrawn: bool = False
) -> QuerySet[LibraryDocument]:
    """The documents she may read; withdrawn ones only when asked (a link to one still opens it, saying so)."""
    organizations = reader_organizations(user)
    if not organizations:
        return LibraryDocument.objects.none()
    found = LibraryDocument.objects.filter(_audience_q(organizations))
    if not withdrawn:
        found = found.filter(withdrawn_at__isnull=True)
    if language:
        found = found.filter(language=language)
    if kind:
        found = found.filter(kind=kind)
    return found.select_related("organization").prefetch_related("versions").order_by("title", "pk")


def readers(item: BulletinPost | LibraryDocument) -> QuerySet[User]:
    """The staff who read a post or a document: the active members of the organisations in its audience."""
    through = Organization.areas.through
    areas: dict[int, list[Place]] = {}
    for link in through.objects.select_related("place__parent__parent"):
        areas.setdefault(link.organization_id, []).append(link.place)
    reached = [pk for pk, found in areas.items() if _reaches(item, _coverage_of(found))]
    if item.audience == Audience.REGION:
        reached = list(Organization.objects.values_list("pk", flat=True))
    return User.objects.filter(
        is_active=True,
        pk__in=Membership.objects.filter(active=True, organization_id__in=[*reached, item.organization_id]).values(
            "user_id"
        ),
    )


def _reaches(item: BulletinPost | LibraryDocument, where: Coverage) -> bool:
    if item.audience == Audience.REGION:
        return True
    if item.audience == Audience.COUNTRY:
        return item.country in where.any_country
    return item.country in where.countries or (item.country, item.admin1) in where.departments


# --- What a text may not carry --------------------------------------------------------------------------------------
# Hand-written patterns: no library recognises "a person's phone number" in free Spanish text; these catch the
# usual shapes (seven or more digits with spaces, dots, dashes or brackets between them, with or without +), and
# Amparo's own case codes (C-XXXX-XXXX, N-XXXXXX). Dates (2026-12-04, 04/12/2026) are let through.

_DIGITS = re.compile(r"\+?\(?\d(?:[\s().\-]{0,2}\d){6,}")
_DATE = re.compile(r"^\d{4}-\d{1,2}-\d{1,2}$|^\d{1,2}[/.\-]\d{1,2}[/.\-]\d{2,4}$")
_CASE_CODE = re.compile(r"\b[CN]-[A-Z2-9]{4}-?[A-Z2-9]{2,4}\b", re.IGNORECASE)


def survivor_data_found(text: str) -> list[str]:
    """What in the text looks like a phone number or a case code (empty: nothing found)."""
    found = [m.group(0).strip() for m in _DIGITS.finditer(text) if not _DATE.match(m.group(0).strip())]
    found += [m.group(0) for m in _CASE_CODE.finditer(text)]
    return found
