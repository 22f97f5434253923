"""A small network world for the networks' tests: places, directory organisations with locations, a member
organisation with a coordinator, and referrals sent from one of its cases through the referrals app's services."""

from __future__ import annotations

from datetime import timedelta

from django.utils import timezone

from amparo.accounts.models import Membership, User
from amparo.accounts.models import Organization as MemberOrganization
from amparo.accounts.roles import Role
from amparo.directory.models import Location, Organization, Place, Service
from amparo.referrals.models import Referral, ReferralEvent


def places() -> dict[str, Place]:
    co = Place.objects.create(pcode="CO", name="Colombia", level=0, latitude=4.6, longitude=-74.3)
    ns = Place.objects.create(pcode="CO54", name="Norte de Santander", level=1, parent=co, latitude=8, longitude=-72.9)
    guajira = Place.objects.create(pcode="CO44", name="La Guajira", level=1, parent=co, latitude=11.3, longitude=-72.5)
    return {
        "CO": co,
        "CO54": ns,
        "CO44": guajira,
        "CO54001": Place.objects.create(
            pcode="CO54001", name="Cúcuta", level=2, parent=ns, zone="border", latitude=7.89, longitude=-72.5
        ),
        "CO54874": Place.objects.create(
            pcode="CO54874",
            name="Villa del Rosario",
            level=2,
            parent=ns,
            zone="border",
            latitude=7.83,
            longitude=-72.47,
        ),
        "CO54810": Place.objects.create(
            pcode="CO54810", name="Tibú", level=2, parent=ns, zone="rural", latitude=8.6, longitude=-72.7
        ),
        "CO44430": Place.objects.create(
            pcode="CO44430", name="Maicao", level=2, parent=guajira, zone="border", latitude=11.4, longitude=-72.2
        ),
    }


def organization(name: str, kind: str, place: Place) -> Organization:
    org = Organization.objects.create(name=name, kind=kind)
    Location.objects.create(
        organization=org, name=name, place=place, latitude=place.latitude, longitude=place.longitude
    )
    return org


def coordinator(member: MemberOrganization, email: str = "coord@example.org") -> User:
    user = User.objects.create_user(username=email, email=email, password="x" * 16)
    Membership.objects.create(user=user, organization=member, role=Role.COORDINATOR)
    return user


def send_referrals(
    member: MemberOrganization, service: Service, outcomes: list[str], *, days_to_attention: list[float] | None = None
) -> list[Referral]:
    """Referrals of one case of `member` to `service`, each moved to its outcome by a receiving user; the attended
    ones dated `days_to_attention` after sending."""
    from amparo.cases import services as case_services
    from amparo.referrals import services as referral_services

    worker = User.objects.filter(email=f"w{member.pk}@example.org").first()
    if worker is None:
        worker = User.objects.create_user(username=f"w{member.pk}@example.org", email=f"w{member.pk}@example.org")
        Membership.objects.create(user=worker, organization=member, role=Role.CASEWORKER)
    receiver = User.objects.create_user(username=f"r{service.pk}@example.org", email=f"r{service.pk}@example.org")
    case = case_services.case_open(
        actor=worker, organization=member, intake=case_services.Intake(full_name="Nombre", consents=["services"])
    )
    case_services.consent_record(actor=worker, case=case, kind="share_other", method="verbal")
    steps = {
        "sent": [],
        "received": ["received"],
        "accepted": ["received", "accepted"],
        "attended": ["received", "accepted", "attended"],
        "declined": ["received", "declined"],
    }
    days = list(days_to_attention or [])
    made = []
    for outcome in outcomes:
        referral = referral_services.referral_send(
            actor=worker, case=case, service=service, focal_point=None, service_type="other",
            shared_fields=["age_band"], priority="normal", reason="",
        )  # fmt: skip
        for status in steps[outcome]:
            referral_services.referral_transition(
                actor=receiver, referral=referral, to_status=status, sender=False, receiver=True,
                decline_reason="not_eligible" if status == "declined" else "",
            )  # fmt: skip
        if outcome == "attended" and days:
            attended = ReferralEvent.objects.get(referral=referral, status="attended")
            attended.at = referral.sent_at + timedelta(days=days.pop(0))
            attended.save()
        made.append(referral)
    return made


def today() -> object:
    return timezone.localdate()
