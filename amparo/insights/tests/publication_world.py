"""A small world for the publication tests: one organisation with a coordinator who prepares, a second coordinator,
an analyst and a monitor who may review, a caseworker who may not, another organisation, a few places, and helpers
that record consented cases through the cases app's services (so any statistics layer counts them) or build tables
directly with `protect_table`."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from django.utils import timezone

from amparo.accounts.models import Membership, Organization, User
from amparo.accounts.roles import Role
from amparo.cases import services as case_services
from amparo.cases.models import Case
from amparo.core.disclosure import PUBLIC_THRESHOLD, protect_table
from amparo.directory.models import Place
from amparo.insights.models import DataSharingAgreement
from amparo.insights.statistics import Scope
from amparo.insights.tables import Category, Dimension, StatTable


@dataclass
class World:
    org: Organization
    other_org: Organization
    coordinator: User
    second_coordinator: User
    analyst: User
    monitor: User
    caseworker: User
    outsider: User  # a coordinator of the other organisation
    cucuta: Place


def user(email: str, org: Organization, role: str) -> User:
    found = User.objects.create_user(username=email, email=email, password="x" * 16)
    Membership.objects.create(user=found, organization=org, role=role)
    return found


def make_world() -> World:
    country = Place.objects.get_or_create(
        pcode="CO", defaults={"name": "Colombia", "level": Place.Level.COUNTRY, "latitude": 4.6, "longitude": -74.1}
    )[0]
    department = Place.objects.get_or_create(
        pcode="CO54",
        defaults={"name": "Norte de Santander", "level": Place.Level.ADMIN1, "parent": country, "latitude": 7.9,
                  "longitude": -72.5},
    )[0]  # fmt: skip
    cucuta = Place.objects.get_or_create(
        pcode="CO54001",
        defaults={"name": "Cúcuta", "level": Place.Level.ADMIN2, "parent": department, "zone": Place.Zone.BORDER,
                  "latitude": 7.89, "longitude": -72.5},
    )[0]  # fmt: skip
    org = Organization.objects.create(name="Red Violeta (prueba)")
    other = Organization.objects.create(name="Otra Red (prueba)")
    # The organisation agreed to be counted in national and regional figures (without it, none of hers count).
    since = timezone.localdate() - timedelta(days=800)
    for scope, code in ((DataSharingAgreement.Scope.COUNTRY, "CO"), (DataSharingAgreement.Scope.REGION, "")):
        DataSharingAgreement.objects.create(
            organization=org, scope=scope, country=code, since=since, document_reference="Convenio 2024-07"
        )
    return World(
        org=org,
        other_org=other,
        coordinator=user("coordinadora@example.org", org, Role.COORDINATOR),
        second_coordinator=user("coordinadora2@example.org", org, Role.COORDINATOR),
        analyst=user("analista@example.org", org, Role.ANALYST),
        monitor=user("monitora@example.org", org, Role.MONITOR),
        caseworker=user("gestora@example.org", org, Role.CASEWORKER),
        outsider=user("fuera@example.org", other, Role.COORDINATOR),
        cucuta=cucuta,
    )


def last_whole_month() -> tuple[date, date]:
    first_of_this_month = timezone.localdate().replace(day=1)
    end = first_of_this_month - timedelta(days=1)
    return end.replace(day=1), end


def record_consented_cases(world: World, n: int, *, when: datetime | None = None) -> list[Case]:
    """`n` cases of the world's organisation in Cúcuta, opened on `when` (the middle of last month), each with
    consent to statistics and one incident, recorded through the cases app's services."""
    start, _end = last_whole_month()
    when = when or datetime(start.year, start.month, 15, 10, tzinfo=timezone.get_current_timezone())
    cases = []
    for _ in range(n):
        case = case_services.case_open(
            actor=world.coordinator,
            organization=world.org,
            intake=case_services.Intake(
                gender_identity="trans_woman",
                nationality="VE",
                migratory_status="irregular",
                age_band="26-40",
                place=world.cucuta,
                consents=["services", "statistics"],
            ),
        )
        Case.objects.filter(pk=case.pk).update(opened_at=when)
        case_services.incident_record(
            actor=world.coordinator, case=case, occurred_at=when - timedelta(days=1), time_known=True,
            first_reported_at=when, place=world.cucuta, answers={"physical": True}, context_tags=[],
            perpetrator_types=["police"], perpetrator_count=1, description="",
        )  # fmt: skip
        cases.append(case)
    return cases


def fixed_table(counts: list[list[int]], *, language: str = "es", start: date, end: date) -> StatTable:
    """A table of zone type x gender identity built directly with protect_table at the public threshold."""
    labels = {"es": ("Zona", "Identidad de género"), "en": ("Zone", "Gender identity"), "pt": ("Zona", "Identidade")}
    rows, columns = labels.get(language, labels["en"])
    return StatTable(
        key="test.zone_by_gender",
        title=f"Test table ({language})",
        description="People who agreed to be counted.",
        rows=Dimension("zone_type", rows),
        columns=Dimension("gender_identity", columns),
        row_categories=(Category("border", "Border"), Category("urban", "Urban")),
        column_categories=(Category("trans_woman", "Trans woman"), Category("cis_woman", "Cis woman")),
        protected=protect_table(counts, PUBLIC_THRESHOLD),
        threshold=PUBLIC_THRESHOLD,
        period_start=start,
        period_end=end,
        sources=("cases",),
    )


def builder(counts: list[list[int]]) -> Callable[..., list[StatTable]]:
    """A table builder with the signature of `public_tables` that returns one fixed table."""

    def build(*, scope: Scope, start: date, end: date, language: str) -> list[StatTable]:
        return [fixed_table(counts, language=language, start=start, end=end)]

    return build
