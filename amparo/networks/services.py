"""Writes of the networks: recording, changing and ending ties, each in one transaction with its audit entry; and
the audit entries of reading a network (its referral flows are counts, but who looked at them is recorded)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Q
from django.utils.translation import gettext as _

from amparo.audit.services import audit_record
from amparo.directory.models import FocalPoint, Organization, Place

from .models import Tie, TieKind


@dataclass(frozen=True)
class TieData:
    kind: str
    from_key: str
    to_key: str
    place: Place
    starts_on: date
    ends_on: date | None


def parse_actor(key: str) -> tuple[int | None, int | None]:
    """(organisation id, focal point id) of an actor key ("o<pk>" or "f<pk>") that exists; ValidationError else."""
    key = (key or "").strip()
    if len(key) > 1 and key[1:].isdigit():
        pk = int(key[1:])
        if key[0] == "o" and Organization.objects.filter(pk=pk).exists():
            return pk, None
        if key[0] == "f" and FocalPoint.objects.filter(pk=pk).exists():
            return None, pk
    raise ValidationError(_("We do not know this actor: choose one from the list."), code="unknown_actor")


def check_tie(data: TieData, *, exclude: Tie | None = None) -> tuple[tuple[int | None, int | None], ...]:
    """Every rule a tie keeps, with a message that says which: a known kind, two known and different actors (a
    focal point is already tied to her own organisation), a period that ends after it starts, and no other tie of
    the same kind between the same two actors in an overlapping period."""
    if data.kind not in TieKind.values:
        raise ValidationError(_("Choose a kind of tie from the list."), code="kind")
    sides = (parse_actor(data.from_key), parse_actor(data.to_key))
    if data.from_key == data.to_key:
        raise ValidationError(_("A tie joins two different actors: choose another one on one side."), code="self")
    focal = [fp for _org, fp in sides if fp is not None]
    orgs = [org for org, _fp in sides if org is not None]
    if len(focal) == 1 and len(orgs) == 1 and FocalPoint.objects.filter(pk=focal[0], entity_id=orgs[0]).exists():
        raise ValidationError(
            _("This focal point works at that organisation: a tie joins two different actors."), code="self"
        )
    if data.ends_on is not None and data.ends_on < data.starts_on:
        raise ValidationError(_("The tie cannot end before it starts."), code="period")
    (a_org, a_fp), (b_org, b_fp) = sides
    one_way = Q(from_organization=a_org, from_focal_point=a_fp, to_organization=b_org, to_focal_point=b_fp)
    other_way = Q(from_organization=b_org, from_focal_point=b_fp, to_organization=a_org, to_focal_point=a_fp)
    overlapping = Tie.objects.filter(one_way | other_way, kind=data.kind).filter(
        Q(ends_on__isnull=True) | Q(ends_on__gte=data.starts_on)
    )
    if data.ends_on is not None:
        overlapping = overlapping.filter(starts_on__lte=data.ends_on)
    if exclude is not None:
        overlapping = overlapping.exclude(pk=exclude.pk)
    clash = overlapping.order_by("starts_on").first()
    if clash is not None:
        raise ValidationError(
            _(
                "These two actors already have a tie of this kind from %(start)s to %(end)s: change that one, or "
                "choose a period that does not overlap it."
            )
            % {
                "start": clash.starts_on.isoformat(),
                "end": clash.ends_on.isoformat() if clash.ends_on else _("today (still going on)"),
            },
            code="overlap",
        )
    return sides


def _apply(tie: Tie, data: TieData, sides: tuple[tuple[int | None, int | None], ...]) -> None:
    (tie.from_organization_id, tie.from_focal_point_id), (tie.to_organization_id, tie.to_focal_point_id) = sides
    tie.kind = data.kind
    tie.place = data.place
    tie.starts_on = data.starts_on
    tie.ends_on = data.ends_on


def _detail(tie: Tie) -> dict[str, Any]:
    return {"kind": tie.kind, "from": tie.from_key, "to": tie.to_key, "place": tie.place.pcode}


@transaction.atomic
def tie_add(*, actor: Any, organization: Any, data: TieData) -> Tie:
    """Record a tie on behalf of a member organisation (None: a platform administrator)."""
    sides = check_tie(data)
    tie = Tie(recorded_by=actor, recorded_for=organization)
    _apply(tie, data, sides)
    tie.save()
    audit_record(actor=actor, action="network.tie.add", obj=tie, organization=organization, detail=_detail(tie))
    return tie


@transaction.atomic
def tie_change(*, actor: Any, tie: Tie, data: TieData) -> Tie:
    tie = Tie.objects.select_for_update().get(pk=tie.pk)
    sides = check_tie(data, exclude=tie)
    _apply(tie, data, sides)
    tie.save()
    audit_record(actor=actor, action="network.tie.change", obj=tie, organization=tie.recorded_for, detail=_detail(tie))
    return tie


@transaction.atomic
def tie_end(*, actor: Any, tie: Tie, ends_on: date) -> Tie:
    """End a tie on a day (not before it started); the tie stays in the record, for the periods it covered."""
    tie = Tie.objects.select_for_update().select_related("place").get(pk=tie.pk)
    if ends_on < tie.starts_on:
        raise ValidationError(_("The tie cannot end before it starts."), code="period")
    tie.ends_on = ends_on
    tie.save(update_fields=["ends_on", "updated_at"])
    audit_record(actor=actor, action="network.tie.end", obj=tie, organization=tie.recorded_for, detail=_detail(tie))
    return tie


@transaction.atomic
def network_read(*, actor: Any, place: Place, what: str, actors: int, flows: int) -> None:
    """Audit the reading of a network (the page, or an export): the place, what, and how many actors and referral
    pairs it showed; no name, no count of referrals."""
    audit_record(
        actor=actor,
        action="network.export" if what != "page" else "network.read",
        object_type="directory.place",
        object_id=place.pcode,
        detail={"what": what, "actors": actors, "referral_pairs": flows},
    )
