"""Fixtures for case-management tests: places, two organisations and their staff (2FA devices ready)."""

from __future__ import annotations

from dataclasses import dataclass

import pytest

from amparo.accounts.models import Organization, User
from amparo.accounts.roles import Role
from amparo.cases import services
from amparo.cases.models import Case
from amparo.directory.models import Place
from amparo.safechannel.tests.conftest import _isolated, make_staff, place, world  # noqa: F401 - fixtures


@dataclass
class CaseWorld:
    places: dict[str, Place]
    org: Organization
    other: Organization
    staff: dict[str, User]


@pytest.fixture
def case_world(db: None) -> CaseWorld:
    co = place("CO", "Colombia", Place.Level.COUNTRY, None, 4.6, -74.1)
    ns = place("CO54", "Norte de Santander", Place.Level.ADMIN1, co, 7.9, -72.5)
    cucuta = place("CO54001", "Cúcuta", Place.Level.ADMIN2, ns, 7.89, -72.5)
    cucuta.zone = Place.Zone.BORDER
    cucuta.save()
    org = Organization.objects.create(name="Red Violeta (cases test)")
    org.areas.add(ns)
    other = Organization.objects.create(name="Otra (cases test)")
    other.areas.add(ns)
    staff = {
        "coordinator": make_staff("coord@cases.example.org", org, Role.COORDINATOR, with_key=False),
        "caseworker": make_staff("gestora@cases.example.org", org, Role.CASEWORKER, with_key=False),
        "caseworker2": make_staff("gestora2@cases.example.org", org, Role.CASEWORKER, with_key=False),
        "lawyer": make_staff("abogada@cases.example.org", org, Role.LEGAL_ADVISOR, with_key=False),
        "focal": make_staff("focal@cases.example.org", org, Role.FOCAL_POINT, with_key=False),
        "monitor": make_staff("monitora@cases.example.org", org, Role.MONITOR, with_key=False),
        "outsider": make_staff("gestora@otra.example.org", other, Role.CASEWORKER, with_key=False),
        "outsider_coord": make_staff("coord@otra.example.org", other, Role.COORDINATOR, with_key=False),
    }
    return CaseWorld({p.pcode: p for p in (co, ns, cucuta)}, org, other, staff)


def open_case(cw: CaseWorld, *, consents: tuple[str, ...] = ("services",), by: str = "caseworker") -> Case:
    intake = services.Intake(
        full_name="Valentina Secreta-Rubí",
        contact="+57 300 555 0142, martes por la tarde",
        document="PPT 99887766",
        address="Calle Oculta 12-34",
        narrative="Relato-Turquesa-7731 de lo ocurrido.",
        age_band="26-40",
        gender_identity="trans_woman",
        nationality="VE",
        migratory_status="irregular",
        place=cw.places["CO54001"],
        consents=list(consents),
    )
    return services.case_open(actor=cw.staff[by], organization=cw.org, intake=intake)
