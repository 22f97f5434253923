"""A small world for the situation reports' tests: the demo places, two organisations with a coordinator and an
analyst each, and cases whose survivors consented to statistics (opened in chosen months and places)."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, time

from django.utils import timezone

from amparo.accounts.models import Membership, Organization, User
from amparo.accounts.roles import Role
from amparo.cases.models import Case, Consent, Incident
from amparo.directory.demo import places_load
from amparo.directory.models import Place
from amparo.insights.models import DataSharingAgreement

PERIOD = (date(2026, 1, 1), date(2026, 6, 30))


@dataclass
class World:
    org: Organization
    other: Organization
    users: dict[str, User] = field(default_factory=dict)


def member(org: Organization, role: str, name: str) -> User:
    user = User.objects.create_user(username=f"{name}@example.org", email=f"{name}@example.org")  # no password: fast
    Membership.objects.create(user=user, organization=org, role=role)
    return user


def build_world() -> World:
    places_load()
    org = Organization.objects.create(name="Red Violeta (prueba)")
    other = Organization.objects.create(name="Otra Red (prueba)")
    # The organisation agreed to be counted in national and regional figures (without it, none of hers count).
    for scope, code in ((DataSharingAgreement.Scope.COUNTRY, "CO"), (DataSharingAgreement.Scope.REGION, "")):
        DataSharingAgreement.objects.create(
            organization=org, scope=scope, country=code, since=date(2024, 1, 1), document_reference="Convenio 2024-07"
        )
    world = World(org, other)
    world.users["coordinator"] = member(org, Role.COORDINATOR, "coord")
    world.users["analyst"] = member(org, Role.ANALYST, "analyst")
    world.users["caseworker"] = member(org, Role.CASEWORKER, "worker")
    world.users["other_coordinator"] = member(other, Role.COORDINATOR, "othercoord")
    return world


def add_cases(
    org: Organization, pcode: str, count: int, month: date, *, gender: str = "trans_woman", consent: bool = True
) -> list[Case]:
    """`count` cases of `org`, living in `pcode`, opened on the 10th of `month`, each with one incident there that
    day (physical assault by a client), with the statistics consent: one person and one incident per case, so the
    tests hold whichever the statistics layer counts."""
    place = Place.objects.get(pcode=pcode)
    opened = timezone.make_aware(datetime.combine(month.replace(day=10), time(12)))
    cases = Case.objects.bulk_create(
        [Case(organization=org, place=place, gender_identity=gender, opened_at=opened) for _ in range(count)]
    )
    Incident.objects.bulk_create(
        [
            Incident(case=c, occurred_at=opened, first_reported_at=opened, place=place, gbv_type="physical_assault",
                     elimination_answers={"physical": True}, perpetrator_types=["client"])
            for c in cases
        ]
    )  # fmt: skip
    if consent:
        Consent.objects.bulk_create([Consent(case=case, kind="statistics", method="verbal") for case in cases])
    return cases
