"""A world for the community-led monitoring's tests: a demo service in Cúcuta, its member organisation (coordinator,
analyst, caseworker), a focal point acting for it, another organisation that referred a case there (its
coordinator), and a third organisation that has nothing to do with it."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta

from django.utils import timezone

from amparo.accounts.models import Membership, Organization, User
from amparo.accounts.roles import Role
from amparo.campaigns import feedback_selectors as selectors
from amparo.campaigns.feedback_models import ServiceFeedback
from amparo.campaigns.feedback_services import Answers, feedback_submit
from amparo.directory.models import FocalPoint, Sensitisation, ServiceAtLocation

GOOD = Answers(attended=True, respected=True, id_asked=False, turned_away=False, charged=False)
TURNED_AWAY = Answers(attended=False, respected=False, turned_away=True, for_trans=True)
ID_ASKED = Answers(attended=True, id_asked=True)


def user(email: str, org: Organization, role: str) -> User:
    found = User.objects.create_user(username=email, email=email, password="x" * 16)
    Membership.objects.create(user=found, organization=org, role=role)
    return found


@dataclass
class World:
    sal: ServiceAtLocation
    org: Organization
    coordinator: User
    analyst: User
    caseworker: User
    focal: User
    referring_coordinator: User
    outsider: User


def make_world(*, referral: bool = True) -> World:
    sal = (
        ServiceAtLocation.objects.filter(place__pcode="CO54001", service__status="active")
        .exclude(service__types__code__in=selectors.COMPLAINT_TYPES)
        .select_related("service__organization")
        .order_by("pk")
        .first()
    )
    assert sal is not None
    org = Organization.objects.create(name="Servicio (prueba)", directory_organization=sal.service.organization)
    referring = Organization.objects.create(name="Red que remite (prueba)")
    outsider_org = Organization.objects.create(name="Red lejana (prueba)")
    focal_user = user("focal@example.org", org, Role.FOCAL_POINT)
    focal = FocalPoint.objects.create(
        entity=sal.service.organization, display_name="Punto Focal", user=focal_user, managed_by=org,
        grant=FocalPoint.Grant.APPROVED,
    )  # fmt: skip
    focal.services.add(sal.service)
    Sensitisation.objects.create(
        focal_point=focal, trained_on=timezone.localdate() - timedelta(days=30),
        expires_on=timezone.localdate() + timedelta(days=300), trainer_name="Formadora",
    )  # fmt: skip
    world = World(
        sal=sal,
        org=org,
        coordinator=user("coordinadora@example.org", org, Role.COORDINATOR),
        analyst=user("analista@example.org", org, Role.ANALYST),
        caseworker=user("gestora@example.org", org, Role.CASEWORKER),
        focal=focal_user,
        referring_coordinator=user("coordinadora@remite.example.org", referring, Role.COORDINATOR),
        outsider=user("coordinadora@lejos.example.org", outsider_org, Role.COORDINATOR),
    )
    if referral:
        refer_from(referring, world)
    return world


def refer_from(organization: Organization, world: World) -> None:
    """A case of `organization` referred to the world's service (with her consent to share)."""
    from amparo.cases import services as case_services
    from amparo.referrals import services as referral_services

    actor = user("gestora@remite.example.org", organization, Role.CASEWORKER)
    case = case_services.case_open(
        actor=actor, organization=organization, intake=case_services.Intake(full_name="Nombre", consents=["services"])
    )
    case_services.consent_record(actor=actor, case=case, kind="share_other", method="verbal")
    referral_services.referral_send(
        actor=actor, case=case, service=world.sal.service, focal_point=None, service_type="other",
        shared_fields=["age_band"], priority="normal", reason="",
    )  # fmt: skip


def last_month() -> date:
    return selectors.add_months(selectors.month_start(timezone.localdate()), -1)


def answer(world: World, answers: Answers, n: int = 1, month: date | None = None) -> list[ServiceFeedback]:
    return [
        feedback_submit(service_at_location=world.sal, visit_month=month or last_month(), answers=answers)
        for _ in range(n)
    ]
