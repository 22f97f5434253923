"""The demo's published figures (load_demo step 95): two publications of the demo NGO for the last six whole months,
the region's and Colombia's, prepared by its coordinator and approved by its analyst (a second person), so the
public page shows figures.

Three demo cases give no figure above the public threshold, so when the demo NGO has few cases that agreed to be
counted, synthetic ones are added first: demographics, municipality, date and the consents only (no name, no
narrative), spread over the months and the zone types, and closed so that they stay out of the open caseload.
Idempotent: nothing happens once the NGO has a publication.
"""

from __future__ import annotations

import random
from datetime import datetime, time, timedelta

from django.db import transaction
from django.utils import timezone

from amparo.accounts.models import Organization, User
from amparo.cases.models import Case, Consent
from amparo.core.registry import DemoRun
from amparo.directory.models import Place
from amparo.vocab import ConsentKind, ConsentMethod

from . import services
from .models import Publication

ORGANIZATION = "Red Violeta (demo)"
PREPARER = "coordinadora@demo.example.org"
REVIEWER = "analista@demo.example.org"
MONTHS = 6
ENOUGH = 100  # consented cases of the NGO in the period above which nothing synthetic is added
PER_MONTH = {"border": 17, "urban": 13, "rural": 3}  # synthetic cases per zone type and month
GENDERS = [("trans_woman", 45), ("cis_woman", 40), ("non_binary", 9), ("trans_man", 3), ("not_said", 3)]
AGES = ["18-25", "26-40", "26-40", "41-60"]
NATIONALITIES = [("CO", "national"), ("VE", "irregular"), ("VE", "regular"), ("VE", "in_process")]


def _period() -> tuple[datetime, datetime]:
    first_of_this_month = timezone.localdate().replace(day=1)
    start = first_of_this_month
    for _ in range(MONTHS):
        start = (start - timedelta(days=1)).replace(day=1)
    zone = timezone.get_current_timezone()
    return datetime.combine(start, time(), zone), datetime.combine(first_of_this_month, time(), zone)


def add_synthetic_cases(organization: Organization, creator: User | None, seed: int = 16) -> int:
    """Synthetic consented cases of the organisation over the last MONTHS whole months; how many were added."""
    start, end = _period()
    counted = (
        Case.objects.filter(
            organization=organization,
            consents__kind=ConsentKind.STATISTICS,
            consents__withdrawn_at__isnull=True,
            opened_at__gte=start,
            opened_at__lt=end,
        )
        .distinct()
        .count()
    )
    if counted >= ENOUGH:
        return 0
    places = {
        zone: Place.objects.filter(level=Place.Level.ADMIN2, zone=zone, pcode__startswith="CO").order_by("pcode")[:3]
        for zone in PER_MONTH
    }
    rng = random.Random(seed)  # noqa: S311 - demo data, not security
    cases = []
    month = start
    while month < end:
        following = (month + timedelta(days=32)).replace(day=1)
        days = (following - month).days
        for zone, n in PER_MONTH.items():
            for _ in range(n):
                if not places[zone]:
                    continue
                nationality, status = rng.choice(NATIONALITIES)
                opened = month + timedelta(days=rng.randrange(days), hours=rng.randrange(8, 18))
                cases.append(
                    Case(
                        organization=organization,
                        opened_at=opened,
                        status=Case.Status.CLOSED,  # closed, so they do not crowd the demo's open caseload
                        closed_at=opened + timedelta(days=30),
                        closed_as=Case.ClosedAs.COMPLETED,
                        age_band=rng.choice(AGES),
                        gender_identity=rng.choices([g for g, _w in GENDERS], [w for _g, w in GENDERS])[0],
                        nationality=nationality,
                        migratory_status=status,
                        place=rng.choice(list(places[zone])),
                        created_by=creator,
                    )
                )
        month = following
    with transaction.atomic():
        Case.objects.bulk_create(cases)
        Consent.objects.bulk_create(
            Consent(case=case, kind=kind, method=ConsentMethod.VERBAL, recorded_by=creator, recorded_at=case.opened_at)
            for case in cases
            for kind in (ConsentKind.SERVICES, ConsentKind.STATISTICS)
        )
    return len(cases)


def load_demo_publication(run: DemoRun) -> None:
    organization = Organization.objects.filter(name=ORGANIZATION).first()
    preparer = User.objects.filter(email=PREPARER).first()
    reviewer = User.objects.filter(email=REVIEWER).first()
    if organization is None or preparer is None or reviewer is None:
        return
    if Publication.objects.filter(organization=organization).exists():
        return
    added = add_synthetic_cases(organization, preparer)
    start, end = _period()
    published = []
    # The region (every organisation with a regional agreement: Colombia and Ecuador in the demo), then Colombia.
    for scope, country in ((Publication.Scope.REGION, ""), (Publication.Scope.COUNTRY, "CO")):
        publication = services.publication_prepare(
            actor=preparer,
            organization=organization,
            scope=scope,
            country=country,
            first_month=start.date(),
            last_month=(end - timedelta(days=1)).date(),
            languages=["es", "en", "pt"],
        )
        published.append(services.publication_review(actor=reviewer, publication=publication, approve=True))
    if added:
        run.say(f"Insights: {added} synthetic cases that agreed to be counted, for {ORGANIZATION}.")
    run.say(f"Insights: regional and national figures prepared by {PREPARER} and approved by {REVIEWER}.")
    region, national = published
    run.say_at_end(
        f"  Published figures: the region /es/figures/{region.uuid}/, Colombia /es/figures/{national.uuid}/ "
        "(list: /es/figures/)"
    )
