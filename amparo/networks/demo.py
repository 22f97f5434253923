"""Demo data of the networks (load_demo step 80, after the directory, the accounts and the demo cases): ties among
the demo directory's organisations of Cúcuta, Villa del Rosario, Maicao and Bogotá, recorded by Red Violeta, and
referral flows from Red Violeta's demo cases sent and answered through the referrals app's services, so that the
network page of Cúcuta and of the whole region shows clusters, brokers, an isolated actor or two, and one referral
pair above the disclosure threshold next to smaller ones. Everything is fictional and idempotent."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from django.apps import apps
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from amparo.accounts.models import Organization as MemberOrganization
from amparo.accounts.models import User
from amparo.core.registry import DemoRun
from amparo.directory.models import FocalPoint, Organization, Place, Service
from amparo.referrals import services as referral_services
from amparo.referrals.models import Referral, ReferralEvent

from . import services
from .models import Tie, TieKind

K = TieKind
# (kind, from, to, place scope, started months ago, ended months ago or None)
DEMO_TIES: tuple[tuple[str, str, str, str, int, int | None], ...] = (
    (K.REFERRAL_AGREEMENT, "Colectiva de Trabajadoras Sexuales Cúcuta", "E.S.E. Hospital Cúcuta", "CO54001", 20, None),
    (K.INFORMATION_EXCHANGE, "Colectiva de Trabajadoras Sexuales Cúcuta", "Fundación Mujeres Diversas Cúcuta",
     "CO54001", 14, None),
    (K.CASE_CONFERENCE, "Fundación Mujeres Diversas Cúcuta", "Casa Refugio Cúcuta", "CO54001", 10, None),
    (K.REFERRAL_AGREEMENT, "E.S.E. Hospital Cúcuta", "Fiscalía, sala de atención al usuario Cúcuta", "CO54001", 16,
     None),
    (K.JOINT_TRAINING, "Defensoría del Pueblo, regional Norte de Santander",
     "Colectiva de Trabajadoras Sexuales Cúcuta",
     "CO54", 8, None),
    (K.INFORMATION_EXCHANGE, "Punto de Atención al Migrante Cúcuta", "Colectiva de Trabajadoras Sexuales Cúcuta",
     "CO54001", 6, None),
    (K.JOINT_TRAINING, "Colectiva de Trabajadoras Sexuales Villa del Rosario",
     "Colectiva de Trabajadoras Sexuales Cúcuta", "CO54", 9, None),
    (K.REFERRAL_AGREEMENT, "Colectiva de Trabajadoras Sexuales Villa del Rosario", "E.S.E. Hospital Villa del Rosario",
     "CO54874", 12, None),
    (K.INFORMATION_EXCHANGE, "Personería Municipal de Villa del Rosario", "E.S.E. Hospital Villa del Rosario",
     "CO54874", 7, None),
    (K.INFORMATION_EXCHANGE, "Punto de Atención al Migrante Maicao", "Punto de Atención al Migrante Cúcuta", "CO", 11,
     None),
    (K.REFERRAL_AGREEMENT, "Colectiva de Trabajadoras Sexuales Maicao", "Punto de Atención al Migrante Maicao",
     "CO44430", 5, None),
    (K.FUNDING, "Fundación Mujeres Diversas Bogotá", "Fundación Mujeres Diversas Cúcuta", "CO", 18, None),
    (K.CASE_CONFERENCE, "Casa Refugio Cúcuta", "Personería Municipal de Cúcuta", "CO54001", 15, 3),
)  # fmt: skip
# Referrals from Red Violeta's demo cases: (receiving organisation, referral type, outcome per referral).
DEMO_REFERRALS: tuple[tuple[str, str, tuple[str, ...]], ...] = (
    ("E.S.E. Hospital Cúcuta", "health", ("attended",) * 5 + ("declined", "accepted", "received")),
    ("Fundación Mujeres Diversas Cúcuta", "psychosocial", ("attended", "received")),
)


def _organization(name: str) -> Organization | None:
    return Organization.objects.filter(name=f"{name} (demo)").order_by("pk").first()


def load_demo_ties(recorder: User | None, organization: MemberOrganization | None) -> int:
    today = timezone.localdate()
    made = 0
    for kind, a, b, pcode, started, ended in DEMO_TIES:
        first, second, place = _organization(a), _organization(b), Place.objects.filter(pcode=pcode).first()
        if first is None or second is None or place is None:
            continue
        data = services.TieData(
            kind=kind,
            from_key=f"o{first.pk}",
            to_key=f"o{second.pk}",
            place=place,
            starts_on=today - timedelta(days=30 * started),
            ends_on=today - timedelta(days=30 * ended) if ended is not None else None,
        )
        try:
            services.tie_add(actor=recorder, organization=organization, data=data)
        except ValidationError:
            continue
        made += 1
    focal = FocalPoint.objects.filter(user__email="punto.focal@demo.example.org").select_related("entity").first()
    collective = _organization("Colectiva de Trabajadoras Sexuales Cúcuta")
    place = Place.objects.filter(pcode="CO54001").first()
    if focal is not None and collective is not None and place is not None:
        services.tie_add(
            actor=recorder,
            organization=organization,
            data=services.TieData(
                K.CASE_CONFERENCE, f"f{focal.pk}", f"o{collective.pk}", place, today - timedelta(90), None
            ),
        )
        made += 1
    return made


def load_demo_referrals(organization: MemberOrganization) -> int:
    """Referrals from the organisation's demo cases, answered by the demo focal point; dated over the last months
    (the services date them now: the demo moves them back so that the days to attention mean something)."""
    caseworker = User.objects.filter(email="gestora@demo.example.org").first()
    receiver = User.objects.filter(email="punto.focal@demo.example.org").first()
    # The cases by name: networks import nothing of the cases app (they see referrals as counts).
    cases = list(apps.get_model("cases", "Case").objects.filter(organization=organization).order_by("pk"))
    if caseworker is None or receiver is None or not cases:
        return 0
    now = timezone.now()
    made = 0
    for name, service_type, outcomes in DEMO_REFERRALS:
        entity = _organization(name)
        service = (
            Service.objects.filter(organization=entity, status=Service.Status.ACTIVE).order_by("pk").first()
            if entity
            else None
        )
        if service is None:
            continue
        for n, outcome in enumerate(outcomes):
            try:
                referral = referral_services.referral_send(
                    actor=caseworker, case=cases[n % len(cases)], service=service, focal_point=None,
                    service_type=service_type, shared_fields=["age_band"], priority="normal", reason="",
                )  # fmt: skip
                _answer(referral, outcome, receiver)
            except ValidationError:
                continue
            sent_at = now - timedelta(days=12 + 17 * n, hours=3 * n)
            Referral.objects.filter(pk=referral.pk).update(sent_at=sent_at)
            for step, event in enumerate(ReferralEvent.objects.filter(referral=referral).order_by("pk")):
                days = 0 if step == 0 else 0.3 * step if event.status != Referral.Status.ATTENDED else 1 + (n * 7) % 9
                ReferralEvent.objects.filter(pk=event.pk).update(at=sent_at + timedelta(days=days))
            made += 1
    return made


def _answer(referral: Referral, outcome: str, receiver: User) -> None:
    steps: dict[str, tuple[tuple[str, str], ...]] = {
        "received": (("received", ""),),
        "accepted": (("received", ""), ("accepted", "")),
        "attended": (("received", ""), ("accepted", ""), ("attended", "")),
        "declined": (("received", ""), ("declined", Referral.DeclineReason.SERVICE_UNAVAILABLE)),
    }
    for to_status, reason in steps[outcome]:
        referral_services.referral_transition(
            actor=receiver, referral=referral, to_status=to_status, sender=False, receiver=True,
            decline_reason=reason,
        )  # fmt: skip


@transaction.atomic
def load_demo_network(run: DemoRun | Any) -> None:
    """load_demo's step 80: the demo ties and referral flows, the first time."""
    if Tie.objects.exists():
        run.say("The networks already have ties; leaving them as they are.")
        return
    organization = MemberOrganization.objects.filter(name="Red Violeta (demo)").first()
    recorder = User.objects.filter(email="coordinadora@demo.example.org").first()
    ties = load_demo_ties(recorder, organization)
    referrals = load_demo_referrals(organization) if organization is not None else 0
    run.say(f"Demo networks: {ties} ties, {referrals} referrals between organisations (Cúcuta and the region).")
