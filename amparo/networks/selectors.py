"""Reads of the networks: the actors, ties and referral flows of a place and period (docs/networks.md).

What leaves here is plain data (`Network`), with no model instances, so that `analysis.py` and `drawing.py` stay
pure. Referral flows are counts per (sending organisation, receiving entity): no case, no report, no person.

`network_for` (and the referral flows it reads) is analysis: its queries run on `analytics_db()`, the read replica
when DATABASE_REPLICA_URL configures one (docs/architecture.md, "Scale"). The reads of the pages that edit ties
(`actor_choices`, `ties_recorded`...) stay on default, so that what was just recorded is what is shown. Functions
that return a query set leave it unbound: the caller that evaluates it picks the database.
"""

from __future__ import annotations

import statistics
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date, timedelta

from django.db.models import Count, F, Min, OuterRef, Q, QuerySet, Subquery
from django.db.models.functions import Coalesce
from django.utils import timezone

from amparo.accounts.models import Organization as MemberOrganization
from amparo.core.db_router import analytics_db
from amparo.core.disclosure import ORGANISATION_THRESHOLD
from amparo.directory.models import FocalPoint, Location, Organization, Place
from amparo.referrals.models import Referral, ReferralEvent

from .models import Tie, actor_key

# The default period of a network page: the last twelve months.
DEFAULT_PERIOD_DAYS = 365
MAX_PLACE_CODE = 16
# Disclosure control (DESIGN rule 6, issue 15 item 6): a referral count of a pair (or of an actor's declines) under
# the organisation threshold of amparo/core/disclosure.py is shown as "fewer than 5". One count per cell, no
# margins to protect, so the threshold is all this needs of that module.
DISCLOSURE_MIN = ORGANISATION_THRESHOLD


def shown_count(n: int) -> int | None:
    """The count as it may be shown: itself when 0 or at least DISCLOSURE_MIN, else None ("fewer than 5")."""
    return n if n == 0 or n >= DISCLOSURE_MIN else None


@dataclass(frozen=True)
class Actor:
    key: str  # "o<pk>" organisation, "f<pk>" focal point, "m<pk>" member organisation outside the directory
    label: str
    kind: str  # OrganizationKind code, or "focal-point"
    department: str  # P-code of its department ("" unknown)
    located_here: bool  # has a location inside the place (else: drawn in because a tie reaches it)
    entity_key: str = ""  # for a focal point: its organisation's key


@dataclass(frozen=True)
class TieRow:
    uuid: str
    from_key: str
    to_key: str
    kind: str
    starts_on: date
    ends_on: date | None
    place: str


@dataclass
class Flow:
    """Referrals from one organisation to one entity in the period (counts only)."""

    sender: str
    receiver: str
    sent: int = 0
    accepted: int = 0
    attended: int = 0
    declined: dict[str, int] = field(default_factory=dict)
    days_to_attention: list[float] = field(default_factory=list)

    @property
    def median_days(self) -> float | None:
        return round(statistics.median(self.days_to_attention), 1) if self.days_to_attention else None


@dataclass
class Network:
    place: Place
    start: date
    end: date
    actors: dict[str, Actor]
    ties: list[TieRow]
    flows: list[Flow]
    department_names: dict[str, str]
    department_points: dict[str, tuple[float, float]]  # P-code -> (latitude, longitude)


def place_by_code(code: str) -> Place | None:
    code = code.strip().upper()
    if not code or len(code) > MAX_PLACE_CODE or not code.isalnum():
        return None
    return Place.objects.select_related("parent").filter(pcode=code).first()


def places_for_choice() -> QuerySet[Place]:
    return Place.objects.select_related("parent").order_by("pcode")


def default_period(today: date | None = None) -> tuple[date, date]:
    today = today or timezone.localdate()
    return today - timedelta(days=DEFAULT_PERIOD_DAYS), today


def place_subtree(place: Place) -> QuerySet[Place]:
    """The place and every place under it (a country's departments and municipalities)."""
    return Place.objects.filter(Q(pk=place.pk) | Q(parent=place) | Q(parent__parent=place))


def place_ancestors(place: Place) -> list[int]:
    ids: list[int] = []
    parent = place.parent
    while parent is not None and len(ids) < 3:
        ids.append(parent.pk)
        parent = parent.parent
    return ids


def _located(place: Place) -> QuerySet[Organization]:
    return Organization.objects.filter(locations__place__in=place_subtree(place)).values("pk")  # type: ignore[return-value]


def ties_in(place: Place, start: date, end: date) -> QuerySet[Tie]:
    """Ties going on at some time in [start, end] whose scope is the place or under it, or a wider scope (the
    department, the country) with one side located in the place."""
    located = _located(place)
    reaches = (
        Q(from_organization__in=located)
        | Q(to_organization__in=located)
        | Q(from_focal_point__entity__in=located)
        | Q(to_focal_point__entity__in=located)
    )
    scope = Q(place__in=place_subtree(place)) | (Q(place__in=place_ancestors(place)) & reaches)
    return Tie.objects.filter(scope, Q(ends_on__isnull=True) | Q(ends_on__gte=start), starts_on__lte=end)


def _members_in(place: Place) -> QuerySet[MemberOrganization]:
    return MemberOrganization.objects.filter(
        Q(directory_organization__in=_located(place)) | Q(areas__in=place_subtree(place))
    ).values("pk")  # type: ignore[return-value]


def referral_flows(place: Place, start: date, end: date, *, using: str | None = None) -> list[Flow]:
    """Referrals sent in [start, end] to an entity located in the place, or by an organisation of the place, as
    counts per (sender, receiving entity): sent, accepted, attended, declined by coded reason, and the days from
    sending to the first "attended" of each attended one (for the median). Nothing else of a referral is read.
    Read on `using`, by default `analytics_db()`."""
    db = using or analytics_db()
    members = _members_in(place)
    referrals = Referral.objects.filter(
        Q(service__organization__in=_located(place))
        | Q(case__organization__in=members)
        | Q(report__organization__in=members),
        sent_at__date__gte=start,
        sent_at__date__lte=end,
    ).annotate(
        sender=Coalesce(F("case__organization_id"), F("report__organization_id")),
        receiver=F("service__organization_id"),
    )
    referrals = referrals.using(db)
    ever = ReferralEvent.objects.filter(referral=OuterRef("pk"))
    accepted_q = Q(status__in=[Referral.Status.ACCEPTED, Referral.Status.ATTENDED]) | Q(
        events__status=Referral.Status.ACCEPTED
    )
    rows = referrals.values("sender", "receiver").annotate(
        sent=Count("pk", distinct=True),
        accepted=Count("pk", filter=accepted_q, distinct=True),
        attended=Count("pk", filter=Q(events__status=Referral.Status.ATTENDED), distinct=True),
    )
    sender_keys = _sender_keys({row["sender"] for row in rows}, db)
    flows: dict[tuple[str, str], Flow] = {}
    for row in rows:
        key = (sender_keys[row["sender"]], f"o{row['receiver']}")
        flow = flows.setdefault(key, Flow(*key))
        flow.sent += row["sent"]
        flow.accepted += row["accepted"]
        flow.attended += row["attended"]
    declined = (
        referrals.filter(status=Referral.Status.DECLINED)
        .values("sender", "receiver", "decline_reason")
        .annotate(n=Count("pk"))
    )
    for d in declined:
        flow = flows[(sender_keys[d["sender"]], f"o{d['receiver']}")]
        reason = d["decline_reason"] or Referral.DeclineReason.OTHER
        flow.declined[reason] = flow.declined.get(reason, 0) + d["n"]
    first_attended = Subquery(
        ever.filter(status=Referral.Status.ATTENDED).order_by().values("referral").annotate(at=Min("at")).values("at")
    )
    timed = referrals.annotate(attended_at=first_attended).filter(attended_at__isnull=False)
    for sender, receiver, sent_at, attended_at in timed.values_list("sender", "receiver", "sent_at", "attended_at"):
        flow = flows[(sender_keys[sender], f"o{receiver}")]
        flow.days_to_attention.append(max((attended_at - sent_at).total_seconds(), 0) / 86400)
    return sorted(flows.values(), key=lambda f: (-f.sent, f.sender, f.receiver))


def _sender_keys(member_ids: set[int], db: str) -> dict[int, str]:
    """A sending member organisation is its directory entry when it has one ("o<pk>"), else itself ("m<pk>")."""
    members = MemberOrganization.objects.using(db).filter(pk__in=member_ids)
    linked = dict(members.values_list("pk", "directory_organization_id"))
    return {pk: f"o{linked[pk]}" if linked.get(pk) else f"m{pk}" for pk in member_ids}


def network_for(place: Place, start: date, end: date) -> Network:
    """The actors, ties and referral flows of a place in a period, read on `analytics_db()`."""
    db = analytics_db()
    rows = ties_in(place, start, end).values_list(
        "uuid",
        "from_organization_id",
        "from_focal_point_id",
        "to_organization_id",
        "to_focal_point_id",
        "kind",
        "starts_on",
        "ends_on",
        "place__name",
    )
    rows = rows.using(db)
    ties = [
        TieRow(str(uuid), actor_key(a_org, a_fp), actor_key(b_org, b_fp), kind, starts_on, ends_on, place_name)
        for uuid, a_org, a_fp, b_org, b_fp, kind, starts_on, ends_on, place_name in rows.iterator(chunk_size=5000)
    ]
    flows = referral_flows(place, start, end, using=db)
    located_ids = set(_located(place).using(db).values_list("pk", flat=True))
    wanted_orgs = set(located_ids)
    wanted_focal: set[int] = set()
    member_ids: set[int] = set()
    for a, b in [(t.from_key, t.to_key) for t in ties] + [(f.sender, f.receiver) for f in flows]:
        for key in (a, b):
            if key.startswith("o"):
                wanted_orgs.add(int(key[1:]))
            elif key.startswith("f"):
                wanted_focal.add(int(key[1:]))
            else:
                member_ids.add(int(key[1:]))
    focal = list(
        FocalPoint.objects.using(db).filter(pk__in=wanted_focal).values_list("pk", "display_name", "entity_id")
    )
    wanted_orgs |= {entity for _pk, _name, entity in focal}
    departments = _departments(wanted_orgs, db)
    actors: dict[str, Actor] = {}
    for pk, name, kind in Organization.objects.using(db).filter(pk__in=wanted_orgs).values_list("pk", "name", "kind"):
        actors[f"o{pk}"] = Actor(f"o{pk}", name, kind, departments.get(pk, ""), pk in located_ids)
    for pk, name, entity in focal:
        entity_actor = actors.get(f"o{entity}")
        department = entity_actor.department if entity_actor else ""
        located = entity_actor.located_here if entity_actor else False
        actors[f"f{pk}"] = Actor(f"f{pk}", name, "focal-point", department, located, entity_key=f"o{entity}")
    members = MemberOrganization.objects.using(db).filter(pk__in=member_ids)
    for pk, name, kind, area in members.values_list("pk", "name", "kind", "areas__pcode"):
        if f"m{pk}" not in actors:
            actors[f"m{pk}"] = Actor(f"m{pk}", name, kind, (area or "")[:4], False)
    known = set(actors)
    departments_of = Place.objects.using(db).filter(level=Place.Level.ADMIN1)
    dept_places = departments_of.values_list("pcode", "name", "latitude", "longitude")
    return Network(
        place=place,
        start=start,
        end=end,
        actors=actors,
        ties=[t for t in ties if t.from_key in known and t.to_key in known],
        flows=[f for f in flows if f.sender in known and f.receiver in known],
        department_names={code: name for code, name, _lat, _lon in dept_places},
        department_points={code: (lat, lon) for code, _name, lat, lon in dept_places},
    )


def _departments(organization_ids: set[int], db: str) -> dict[int, str]:
    """Each organisation's department P-code: that of its first location (by pk)."""
    found: dict[int, str] = {}
    rows = (
        Location.objects.using(db)
        .filter(organization_id__in=organization_ids)
        .order_by("organization_id", "pk")
        .values_list("organization_id", "place__level", "place__pcode", "place__parent__pcode")
    )
    for org, level, pcode, parent in rows:
        if org in found:
            continue
        found[org] = pcode if level == Place.Level.ADMIN1 else (parent or "") if level == Place.Level.ADMIN2 else ""
    return found


def declines_by_actor(flows: list[Flow]) -> dict[str, dict[str, int]]:
    """Per receiving actor: how many of the referrals it received were declined, by coded reason."""
    out: dict[str, dict[str, int]] = defaultdict(dict)
    for flow in flows:
        for reason, n in flow.declined.items():
            out[flow.receiver][reason] = out[flow.receiver].get(reason, 0) + n
    return dict(out)


def actor_choices(place: Place | None, limit: int = 3000) -> list[tuple[str, str]]:
    """The actors a tie may join, for a form: organisations located in the place's department (or the place, if it
    is a department or country), and their approved focal points."""
    scope = place
    if place is not None and place.level == Place.Level.ADMIN2 and place.parent is not None:
        scope = place.parent
    organizations = Organization.objects.all()
    if scope is not None:
        organizations = organizations.filter(pk__in=_located(scope))
    organizations = organizations.order_by("name", "pk")[:limit]
    choices = [(f"o{pk}", f"{name}") for pk, name in organizations.values_list("pk", "name")]
    focal = (
        FocalPoint.objects.granted()
        .filter(active=True, entity__in=[int(key[1:]) for key, _l in choices])
        .select_related("entity")
        .order_by("display_name", "pk")
    )
    choices += [(f"f{fp.pk}", f"{fp.display_name} · {fp.entity.name}") for fp in focal]
    return choices


def actor_label(key: str) -> str:
    if key.startswith("o"):
        return Organization.objects.filter(pk=key[1:]).values_list("name", flat=True).first() or key
    if key.startswith("f"):
        row = FocalPoint.objects.filter(pk=key[1:]).values_list("display_name", "entity__name").first()
        return f"{row[0]} · {row[1]}" if row else key
    return key


def ties_recorded(place: Place | None) -> QuerySet[Tie]:
    """Ties for the tie list: of a place's scope (and under it), newest first."""
    ties = Tie.objects.select_related(
        "from_organization", "from_focal_point", "to_organization", "to_focal_point", "place", "recorded_for"
    )
    if place is not None:
        ties = ties.filter(place__in=place_subtree(place))
    return ties.order_by("-starts_on", "-pk")


@dataclass(frozen=True)
class ShownFlow:
    """A referral pair as a page shows it: every figure None ("fewer than 5") when the pair sent fewer than 5, and
    the median only over at least 5 attended referrals."""

    sender: str
    receiver: str
    sent: int | None
    accepted: int | None
    attended: int | None
    median_days: float | None
    acceptance: int | None  # per cent of those sent, when both figures may be shown


def shown_flows(network: Network) -> list[ShownFlow]:
    rows = []
    for flow in network.flows:
        small = shown_count(flow.sent) is None
        accepted = None if small else shown_count(flow.accepted)
        attended = None if small else shown_count(flow.attended)
        median = flow.median_days if attended else None
        acceptance = round(100 * flow.accepted / flow.sent) if accepted is not None and flow.sent else None
        rows.append(
            ShownFlow(
                sender=network.actors[flow.sender].label,
                receiver=network.actors[flow.receiver].label,
                sent=None if small else flow.sent,
                accepted=accepted,
                attended=attended,
                median_days=median,
                acceptance=acceptance,
            )
        )
    return rows


@dataclass(frozen=True)
class ShownDeclines:
    actor: str
    total: int | None  # None: fewer than 5
    reasons: list[tuple[str, int | None]]  # (coded reason's label, count or None: fewer than 5)


def shown_declines(network: Network) -> list[ShownDeclines]:
    """Per receiving actor: how many referrals it declined in the period, and why (coded reasons only)."""
    labels = dict(Referral.DeclineReason.choices)
    out = []
    for key, reasons in sorted(declines_by_actor(network.flows).items(), key=lambda kv: -sum(kv[1].values())):
        total = sum(reasons.values())
        out.append(
            ShownDeclines(
                actor=network.actors[key].label,
                total=shown_count(total),
                reasons=[(str(labels.get(r, r)), shown_count(n)) for r, n in sorted(reasons.items())],
            )
        )
    return out
