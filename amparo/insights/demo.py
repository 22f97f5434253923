"""Demo statistics (load_demo step 90): enough synthetic, consented records in three organisations and two
countries, with data-sharing agreements, for the dashboards to show cells above the thresholds. Written in bulk
(synthetic counts, no names, no narratives): a few seconds. Idempotent."""

from __future__ import annotations

import random
from datetime import timedelta

from django.db import transaction
from django.utils import timezone

from amparo.accounts.models import Organization, User
from amparo.cases.models import Case, Consent, Incident, TraffickingAlert
from amparo.cases.vocab import PerpetratorType
from amparo.core.registry import DemoRun
from amparo.directory.models import Place, Service
from amparo.referrals.models import Referral, ReferralEvent
from amparo.vocab import GBVType

from .models import DataSharingAgreement

# organisation, its country, municipalities (P-codes) it works in, people, agreements
ORGANISATIONS = (
    ("Red Violeta (demo)", "CO", ("CO54001", "CO54874", "CO54810", "CO11001", "CO54720"), 260, ("country", "region")),
    ("Colectiva Frontera (demo)", "CO", ("CO44430", "CO44001", "CO44847", "CO81001", "CO81736"), 200,
     ("country", "region")),
    ("Casa Trans Quito (demo)", "EC", ("EC1701", "EC0401"), 120, ("region",)),
)  # fmt: skip
GENDERS = (("trans_woman", 45), ("cis_woman", 40), ("non_binary", 8), ("trans_man", 3), ("not_said", 4))
NATIONALITIES = (("VE", 55), ("CO", 35), ("EC", 10))
STATUSES = (("irregular", 40), ("regular", 20), ("in_process", 15), ("national", 20), ("asylum_seeker", 5))
AGES = (("18-25", 35), ("26-40", 45), ("41-60", 15), ("unknown", 5))
GBV = ((GBVType.RAPE, 25), (GBVType.SEXUAL_ASSAULT, 20), (GBVType.PHYSICAL_ASSAULT, 25),
       (GBVType.PSYCHOLOGICAL, 15), (GBVType.DENIAL, 10), (GBVType.NON_GBV, 5))  # fmt: skip
AGGRESSORS = ((PerpetratorType.CLIENT, 30), (PerpetratorType.POLICE, 15), (PerpetratorType.ORGANISED_CRIME, 15),
              (PerpetratorType.EXPLOITER, 10), (PerpetratorType.INTIMATE_PARTNER, 15),
              (PerpetratorType.MIGRATION_OFFICIAL, 5), (PerpetratorType.STRANGER, 10))  # fmt: skip


def _pick(rng: random.Random, weighted: tuple[tuple[str, int], ...]) -> str:
    return str(rng.choices([v for v, _w in weighted], weights=[w for _v, w in weighted])[0])


@transaction.atomic
def load_demo_statistics() -> int:
    if Organization.objects.filter(name="Colectiva Frontera (demo)", cases__isnull=False).exists():
        return 0
    rng = random.Random(90)  # noqa: S311 - synthetic demo data, the same every time
    now = timezone.now()
    service = Service.objects.order_by("pk").first()
    recorder = User.objects.filter(email="coordinadora@demo.example.org").first()
    made = 0
    for name, country, pcodes, n, scopes in ORGANISATIONS:
        organization, _created = Organization.objects.get_or_create(name=name)
        places = list(Place.objects.filter(pcode__in=pcodes, level=Place.Level.ADMIN2))
        if not places:
            places = list(Place.objects.filter(level=Place.Level.ADMIN2, pcode__startswith=country)[:3])
        if not places:
            continue
        for scope in scopes:
            DataSharingAgreement.objects.get_or_create(
                organization=organization, scope=scope, country=country if scope == "country" else "",
                defaults={"since": (now - timedelta(days=730)).date(), "recorded_by": recorder,
                          "document_reference": f"Convenio de datos {scope} (demo)"},
            )  # fmt: skip
        cases = Case.objects.bulk_create(
            Case(
                organization=organization,
                gender_identity=_pick(rng, GENDERS),
                nationality=_pick(rng, NATIONALITIES) if country == "CO" else rng.choice(("VE", "EC", "CO", "VE")),
                migratory_status=_pick(rng, STATUSES),
                age_band=_pick(rng, AGES),
                place=rng.choice(places),
                opened_at=now - timedelta(days=rng.randint(1, 360)),
            )
            for _ in range(n)
        )
        Consent.objects.bulk_create(
            Consent(case=case, kind=kind, method="verbal")
            for case in cases
            for kind in (("services", "statistics") if rng.random() < 0.9 else ("services",))
        )
        incidents = []
        for case in cases:
            occurred = case.opened_at - timedelta(days=rng.randint(0, 20))
            aggressors = [_pick(rng, AGGRESSORS)]
            if rng.random() < 0.2:
                aggressors.append(_pick(rng, AGGRESSORS))
            incidents.append(
                Incident(
                    case=case,
                    occurred_at=occurred,
                    first_reported_at=case.opened_at,
                    place=case.place,
                    gbv_type=_pick(rng, GBV),
                    perpetrator_types=sorted(set(aggressors)),
                )
            )
        Incident.objects.bulk_create(incidents)
        if service is not None:
            referrals = Referral.objects.bulk_create(
                Referral(case=case, service=service, service_type=rng.choice(("health", "psychosocial", "legal",
                         "protection")), respond_by=case.opened_at + timedelta(days=14), sent_at=case.opened_at,
                         status=rng.choice(("attended", "attended", "attended", "accepted", "declined", "sent")))
                for case in cases if rng.random() < 0.7
            )  # fmt: skip
            ReferralEvent.objects.bulk_create(
                ReferralEvent(referral=r, status="attended", at=r.sent_at + timedelta(days=rng.choice((0, 1, 2, 3, 5,
                              6, 9, 12, 20, 40)), hours=2))
                for r in referrals if r.status == "attended"
            )  # fmt: skip
        TraffickingAlert.objects.bulk_create(
            TraffickingAlert(place=rng.choice(places), gbv_type=_pick(rng, GBV), indicators=["deception", "coercion"],
                             raised_on=(now - timedelta(days=rng.randint(1, 360))).date(), statistics_consented=True,
                             reporting_organization=organization)
            for _ in range(n // 6)
        )  # fmt: skip
        made += n
    return made


def load_demo_insights(run: DemoRun) -> None:
    """load_demo's step: synthetic statistics for the dashboards, the first time."""
    made = load_demo_statistics()
    if made:
        run.say(f"Demo statistics: {made} synthetic consented cases in three organisations, with agreements.")
