"""Reads of the campaigns: the materials a campaign offers, and its reach (visits of its short links by day and by
material). Reach counts visits, not people: the same person scanning twice counts twice, and nothing says who."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from datetime import date
from uuid import UUID

from django.db import connection
from django.db.models import QuerySet, Sum
from django.urls import reverse
from django.utils import translation

from amparo.accounts.models import Organization
from amparo.directory.models import Service, ServiceAtLocation
from amparo.pathways.models import Pathway

from . import visits
from .models import LANGUAGE_CHOICES, Campaign, LinkDay, Material, ShortLink


def campaigns_of(organizations: QuerySet[Organization]) -> QuerySet[Campaign]:
    return Campaign.objects.filter(organization__in=organizations).select_related("organization")


@dataclass(frozen=True)
class Target:
    kind: str
    key: str
    label: str
    exists: bool = True


def targets(campaign: Campaign) -> list[Target]:
    """What the campaign points to, pathways first, each with its materials (see materials.content_for)."""
    found = [Target(ShortLink.Kind.PATHWAY, p.slug, str(p)) for p in campaign.pathways.order_by("position", "slug")]
    found += [
        Target(ShortLink.Kind.SERVICE, str(s.uuid), f"{s.service.name} ({s.place.name})")
        for s in campaign.services.select_related("service", "place").order_by("service__name", "pk")
    ]
    return found


def language_label(code: str) -> str:
    return str(dict(LANGUAGE_CHOICES).get(code, code))


@dataclass(frozen=True)
class Reach:
    total: int
    by_day: list[tuple[date, int]]
    by_material: list[tuple[str, int]]
    by_link: list[tuple[ShortLink, int]]
    first_day: date | None
    last_day: date | None


def reach(campaign: Campaign, since: date | None = None, until: date | None = None) -> Reach:
    """Visits of the campaign's short links: per day (days without visits are left out), per material and per link,
    counted by the database (three GROUP BYs over the day counters), plus the visits still waiting in the shared
    cache for the next flush (visits.pending), so the page is exact between flushes."""
    days = LinkDay.objects.filter(link__campaign=campaign)
    if since:
        days = days.filter(day__gte=since)
    if until:
        days = days.filter(day__lte=until)
    links = list(ShortLink.objects.filter(campaign=campaign).order_by("kind", "target_key", "language", "material"))
    per_day = Counter(dict(days.values("day").annotate(n=Sum("visits")).values_list("day", "n")))
    per_material = Counter(
        dict(days.values("link__material").annotate(n=Sum("visits")).values_list("link__material", "n"))
    )
    per_link = Counter(dict(days.values_list("link").annotate(n=Sum("visits")).values_list("link", "n")))
    material_of = {link.pk: link.material for link in links}
    for (link_id, day), count in visits.pending(material_of).items():
        if (since and day < since) or (until and day > until):
            continue
        per_day[day] += count
        per_material[material_of[link_id]] += count
        per_link[link_id] += count
    labels = dict(Material.choices)
    by_day = sorted((day, n) for day, n in per_day.items() if n)
    by_material = [
        (str(labels.get(material, material)), n)
        for material, n in sorted(per_material.items(), key=lambda item: (-item[1], item[0]))
        if n
    ]
    return Reach(
        total=sum(n for _day, n in by_day),
        by_day=by_day,
        by_material=by_material,
        by_link=[(link, per_link.get(link.pk, 0)) for link in links],
        first_day=by_day[0][0] if by_day else None,
        last_day=by_day[-1][0] if by_day else None,
    )


@dataclass(frozen=True)
class LinkTarget:
    """What the redirect of a short link needs: the link, and its target's state now (None once deleted)."""

    id: int
    kind: str
    target_key: str
    language: str
    place_code: str
    pathway_slug: str | None
    pathway_published: bool | None
    service_uuid: str | None
    service_status: str | None


def _link_sql() -> str:
    """Table names from the models' _meta; the code is a parameter."""
    tables = {
        "link": ShortLink._meta.db_table,
        "pathway": Pathway._meta.db_table,
        "sal": ServiceAtLocation._meta.db_table,
        "service": Service._meta.db_table,
    }
    sql = (
        "SELECT l.id, l.kind, l.target_key, l.language, l.place_code, p.slug, p.published, s.uuid, v.status "
        "FROM {link} l LEFT JOIN {pathway} p ON p.id = l.pathway_id "
        "LEFT JOIN {sal} s ON s.id = l.service_id LEFT JOIN {service} v ON v.id = s.service_id "
        "WHERE l.code = %s"
    )
    return sql.format(**tables)


def link_by_code(code: str) -> LinkTarget | None:
    """A short link and its target's state in ONE query, written in SQL: the redirect must cost about what a static
    page does, and building this join through the ORM took longer than running it (bench/campaigns.py)."""
    with connection.cursor() as cursor:
        cursor.execute(_link_sql(), [code])
        row = cursor.fetchone()
    if row is None:
        return None
    service_uuid = str(row[7]).replace("-", "") if row[7] is not None else None
    return LinkTarget(
        id=row[0],
        kind=row[1],
        target_key=row[2],
        language=row[3],
        place_code=row[4],
        pathway_slug=row[5],
        pathway_published=bool(row[6]) if row[6] is not None else None,
        service_uuid=str(UUID(service_uuid)) if service_uuid else None,
        service_status=row[8],
    )


def target_path(link: LinkTarget) -> str:
    """Where a short link lands, in its language: the pathway (resolved for the campaign's place) or the service's
    page while they are published; else the pathways list or the finder, never a 404: a card in a wallet outlives
    the pathway or service it was printed for. Reads nothing more than `link_by_code` did."""
    query = f"?place={link.place_code}" if link.place_code else ""
    with translation.override(link.language):
        if link.kind == ShortLink.Kind.PATHWAY:
            if link.pathway_slug and link.pathway_published:
                return reverse("pathways:detail", args=[link.pathway_slug]) + query
            return reverse("pathways:home") + query
        if link.service_uuid and link.service_status == Service.Status.ACTIVE:
            return reverse("directory:service", args=[link.service_uuid])
        return reverse("directory:search") + query


# --- The redirect's memory of its links -----------------------------------------------------------------------------
# A short link's code -> (link number, where it lands), kept in this process for LINK_MEMO_SECONDS so that a redirect
# reads nothing from the database (bench/campaigns.py: the read was most of what was left once the visit was counted
# in the cache). Any save or delete of a link, pathway, service or service location clears this process's memory
# (apps.py); another process may send people to the old place for up to a minute (a pathway deleted meanwhile: its
# page's 404, which carries the quick exit and the way back to the pathways). A small dict instead of a library:
# a bounded map with an expiry is all it needs, and the cache framework's local memory would pickle every entry.
LINK_MEMO_SECONDS = 60
LINK_MEMO_SIZE = 4096
_link_memo: dict[str, tuple[float, int, str]] = {}


def link_destination(code: str, now: float | None = None) -> tuple[int, str] | None:
    """(link number, target path) of a short code, from this process's memory or one query; None when unknown."""
    import time

    moment = time.monotonic() if now is None else now
    found = _link_memo.get(code)
    if found is not None and found[0] > moment:
        return found[1], found[2]
    link = link_by_code(code)
    if link is None:
        return None
    if len(_link_memo) >= LINK_MEMO_SIZE:
        _link_memo.clear()
    path = target_path(link)
    _link_memo[code] = (moment + LINK_MEMO_SECONDS, link.id, path)
    return link.id, path


def forget_link_destinations(**_kwargs: object) -> None:
    """Signal receiver: a link, pathway or service changed; this process looks them up again."""
    _link_memo.clear()
