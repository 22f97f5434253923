"""Fixtures for the referral tests: the demo directory, a member organisation with its staff, a second organisation,
two focal points (of two different services) and a case with a recent incident and consent for health referrals."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta
from typing import Any

import pytest
from django.utils import timezone

from amparo.accounts.models import Membership, Organization, User
from amparo.accounts.roles import Role
from amparo.accounts.tests.http import Browser
from amparo.cases import services as case_services
from amparo.cases.models import Case
from amparo.cases.vocab import ConsentKind
from amparo.directory.models import FocalPoint, Place, Service
from amparo.safechannel.tests.conftest import make_staff, staff_login

CUCUTA = "CO54001"
SURVIVOR_NAME = "Marisol Quintero-Testigo"
SURVIVOR_PHONE = "+57 300 555 0142"


@dataclass
class World:
    red: Organization
    casa: Organization
    staff: dict[str, User]
    hospital: Service  # post-rape care in Cúcuta
    psychology: Service  # mental health in Cúcuta: another service
    focal: FocalPoint  # covers the hospital
    other_focal: FocalPoint  # covers the psychology service only
    case: Case


def service_in(pcode: str, type_code: str) -> Service:
    service = (
        Service.objects.filter(status=Service.Status.ACTIVE, types__code=type_code, at_locations__place__pcode=pcode)
        .order_by("pk")
        .first()
    )
    assert service is not None, (pcode, type_code)
    return service


@pytest.fixture
def world(demo_directory: None) -> World:
    red = Organization.objects.create(name="Red Violeta (test)")
    casa = Organization.objects.create(name="Casa Segura (test)")
    staff = {
        "coordinator": make_staff("coord@red.example.org", red, Role.COORDINATOR, with_key=False),
        "caseworker": make_staff("gestora@red.example.org", red, Role.CASEWORKER, with_key=False),
        "unassigned": make_staff("otra@red.example.org", red, Role.CASEWORKER, with_key=False),
        "focal": make_staff("focal@hospital.example.org", red, Role.FOCAL_POINT, with_key=False),
        "other_focal": make_staff("focal@psico.example.org", red, Role.FOCAL_POINT, with_key=False),
        "casa": make_staff("gestora@casa.example.org", casa, Role.CASEWORKER, with_key=False),
        "casa_coordinator": make_staff("coord@casa.example.org", casa, Role.COORDINATOR, with_key=False),
    }
    hospital = service_in(CUCUTA, "post-rape-care")
    psychology = (
        Service.objects.filter(types__code="mental-health", at_locations__place__pcode=CUCUTA, status="active")
        .exclude(types__code__in=["post-rape-care", "hiv", "sti-care"])
        .exclude(organization=hospital.organization)
        .order_by("pk")
        .first()
    )
    assert psychology is not None
    focal = FocalPoint.objects.create(
        entity=hospital.organization,
        display_name="Doctora Punto Focal",
        user=staff["focal"],
        managed_by=red,
        grant=FocalPoint.Grant.APPROVED,
    )
    focal.services.add(hospital)
    other_focal = FocalPoint.objects.create(
        entity=psychology.organization,
        display_name="Psicóloga Punto Focal",
        user=staff["other_focal"],
        managed_by=red,
        grant=FocalPoint.Grant.APPROVED,
    )
    other_focal.services.add(psychology)
    case = case_services.case_open(
        actor=staff["caseworker"],
        organization=red,
        intake=case_services.Intake(
            full_name=SURVIVOR_NAME,
            contact=SURVIVOR_PHONE,
            age_band="26-40",
            gender_identity="trans_woman",
            place=Place.objects.get(pcode=CUCUTA),
            consents=[ConsentKind.SERVICES, ConsentKind.SHARE_HEALTH],
        ),
    )
    return World(red, casa, staff, hospital, psychology, focal, other_focal, case)


def add_incident(world: World, hours_ago: float) -> None:
    now = timezone.now()
    case_services.incident_record(
        actor=world.staff["caseworker"],
        case=world.case,
        occurred_at=now - timedelta(hours=hours_ago),
        time_known=True,
        first_reported_at=now,
        place=Place.objects.get(pcode=CUCUTA),
        answers={"penetration": True},
        context_tags=["sex_work"],
        perpetrator_types=["client"],
        perpetrator_count=1,
        description="",
    )


def focal_point_for(world: World, email: str, service: Service) -> FocalPoint:
    """Another acting focal point of the member organisation, covering `service` (a colleague of `world.focal` when
    it is the hospital)."""
    user = make_staff(email, world.red, Role.FOCAL_POINT, with_key=False)
    focal = FocalPoint.objects.create(
        entity=service.organization,
        display_name=f"Punto focal {email}",
        user=user,
        managed_by=world.red,
        grant=FocalPoint.Grant.APPROVED,
    )
    focal.services.add(service)
    return focal


def signed_in(live_server: Any, user: User) -> Browser:
    browser = Browser(live_server.url)
    staff_login(browser, user)
    return browser


def membership(user: User) -> Membership:
    return Membership.objects.get(user=user)
