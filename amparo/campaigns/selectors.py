"""Reads of the campaigns: the materials a campaign offers, and its reach (visits of its short links by day and by
material). Reach counts visits, not people: the same person scanning twice counts twice, and nothing says who."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from django.db.models import QuerySet, Sum
from django.urls import reverse
from django.utils import translation

from amparo.accounts.models import Organization

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
    counted by the database (three GROUP BYs over the day counters)."""
    days = LinkDay.objects.filter(link__campaign=campaign)
    if since:
        days = days.filter(day__gte=since)
    if until:
        days = days.filter(day__lte=until)
    by_day = [(row["day"], row["n"]) for row in days.values("day").annotate(n=Sum("visits")).order_by("day")]
    labels = dict(Material.choices)
    by_material = [
        (str(labels.get(row["link__material"], row["link__material"])), row["n"])
        for row in days.values("link__material").annotate(n=Sum("visits")).order_by("-n", "link__material")
    ]
    per_link = dict(days.values_list("link").annotate(n=Sum("visits")).values_list("link", "n"))
    links = ShortLink.objects.filter(campaign=campaign).order_by("kind", "target_key", "language", "material")
    by_link = [(link, per_link.get(link.pk, 0)) for link in links]
    return Reach(
        total=sum(n for _day, n in by_day),
        by_day=by_day,
        by_material=by_material,
        by_link=by_link,
        first_day=by_day[0][0] if by_day else None,
        last_day=by_day[-1][0] if by_day else None,
    )


def link_by_code(code: str) -> ShortLink | None:
    """A short link with what its redirect needs to know of its target, in ONE query: the pathway's slug and whether
    it is published, the service's status (the foreign keys are empty once the target is deleted)."""
    return (
        ShortLink.objects.filter(code=code)
        .select_related("pathway", "service__service")
        .only(
            "pk",
            "kind",
            "target_key",
            "language",
            "place_code",
            "pathway__slug",
            "pathway__published",
            "service__uuid",
            "service__service__status",
        )
        .first()
    )


def target_path(link: ShortLink) -> str:
    """Where a short link lands, in its language: the pathway (resolved for the campaign's place) or the service's
    page while they are published; else the pathways list or the finder, never a 404: a card in a wallet outlives
    the pathway or service it was printed for. Reads nothing more than `link_by_code` did."""
    query = f"?place={link.place_code}" if link.place_code else ""
    with translation.override(link.language):
        if link.kind == ShortLink.Kind.PATHWAY:
            if link.pathway is not None and link.pathway.published:
                return reverse("pathways:detail", args=[link.pathway.slug]) + query
            return reverse("pathways:home") + query
        if link.service is not None and link.service.service.status == "active":
            return reverse("directory:service", args=[link.service.uuid])
        return reverse("directory:search") + query
