"""A small world for the statistics tests: places in two countries, organisations, and consented cases written
straight with the ORM (what the statistics read; the services that write them are tested in their apps)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

from django.utils import timezone

from amparo.accounts.models import Organization
from amparo.cases.models import Case, Consent, Incident
from amparo.directory.models import Place
from amparo.insights.models import DataSharingAgreement


@dataclass
class Places:
    cucuta: Place  # CO, border
    bogota: Place  # CO, urban
    rural: Place  # CO, rural
    quito: Place  # EC, urban


def places() -> Places:
    def country(code: str, name: str) -> Place:
        return Place.objects.get_or_create(
            pcode=code, defaults={"name": name, "level": 0, "latitude": 0, "longitude": 0}
        )[0]

    def child(parent: Place, code: str, name: str, level: int, zone: str = "") -> Place:
        return Place.objects.get_or_create(
            pcode=code,
            defaults={"name": name, "level": level, "parent": parent, "zone": zone, "latitude": 0, "longitude": 0},
        )[0]

    co, ec = country("CO", "Colombia"), country("EC", "Ecuador")
    nds = child(co, "CO54", "Norte de Santander", 1)
    dc = child(co, "CO11", "Bogotá D.C.", 1)
    pichincha = child(ec, "EC17", "Pichincha", 1)
    return Places(
        cucuta=child(nds, "CO54001", "Cúcuta", 2, "border"),
        bogota=child(dc, "CO11001", "Bogotá", 2, "urban"),
        rural=child(nds, "CO54820", "Toledo", 2, "rural"),
        quito=child(pichincha, "EC1701", "Quito", 2, "urban"),
    )


def at(day: date) -> datetime:
    return timezone.make_aware(datetime.combine(day, time(12)))


def person(
    organization: Organization,
    place: Place,
    *,
    on: date,
    gbv_type: str = "rape",
    gender: str = "trans_woman",
    nationality: str = "VE",
    status: str = "irregular",
    age: str = "26-40",
    perpetrators: tuple[str, ...] = ("client",),
    consent: bool = True,
) -> Case:
    case = Case.objects.create(
        organization=organization,
        gender_identity=gender,
        nationality=nationality,
        migratory_status=status,
        age_band=age,
        place=place,
    )
    if consent:
        Consent.objects.create(case=case, kind="statistics", method="verbal")
    Incident.objects.create(
        case=case,
        occurred_at=at(on),
        first_reported_at=at(on),
        place=place,
        gbv_type=gbv_type,
        perpetrator_types=list(perpetrators),
    )
    return case


def people(organization: Organization, place: Place, n: int, *, on: date, **kwargs: object) -> list[Case]:
    return [person(organization, place, on=on, **kwargs) for _ in range(n)]  # type: ignore[arg-type]


def agreement(organization: Organization, scope: str, country: str = "", since: date | None = None) -> object:
    return DataSharingAgreement.objects.create(
        organization=organization,
        scope=scope,
        country=country,
        since=since or date(2020, 1, 1),
        document_reference="Convenio 2026-01 (archivo de la coordinación)",
    )


def days_ago(n: int) -> date:
    return timezone.localdate() - timedelta(days=n)
