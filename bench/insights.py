"""Insights benchmark (issue 16, "Measured"; part of `make bench`): the statistics dashboards, the disclosure
control's cost and a situation report, on PostgreSQL, at the issue's sizes.

A database of its own (PostgreSQL `amparo_bench_insights`), built once and reused while its marker row says the same
sizes (BENCH_INSIGHTS_REBUILD=1 drops and rebuilds it), holds:
- the demo places; 10 organisations, each with a regional data-sharing agreement, 8 with a national one (CO);
- BENCH_INSIGHTS_CASES cases (default 100,000) opened over the last 15 months, 4 in 5 in Colombia, each with one
  incident (a quarter with an earlier second one: a person counts once, with her latest), GBV type, aggressors,
  the survivor's facets (gender identity, nationality, migratory status, age band), a pseudonymous name encrypted
  by the model field itself (Fernet), the statistics consent for about 90% (2% of those withdrawn), 1% closed as
  duplicates, 0.5% handed over to another organisation; referrals with their events (sent -> received ->
  attended) for about half; trafficking alerts for 5%;
- BENCH_INSIGHTS_REPORTS safe-channel reports (default 100,000): the triage metadata in clear (organisation,
  municipality, risk, dates); the content, the receipt-sealed and the recovery-sealed report key made by the real
  functions (`safechannel.crypto`: a fresh key per report, SecretBox, sealed box to the organisation's recovery key),
  never plaintext. The one shortcut: the receipt lookup is random instead of the Argon2id derivation of a receipt
  (half a second each by design; nobody signs in with these receipts and statistics never read them);
- BENCH_INSIGHTS_SUBMISSIONS submissions (default 1,000,000) of the shipped survey instrument, of the first bench
  organisation, built by bench/surveys.py's `_build_instrument` (interviews extracted by the receiving path, copied).

Timed in process, through the same code as production, with BENCH_INSIGHTS_RUNS runs (default 5) after a warm-up:
1. the staff dashboard page (Django's test client, a signed-in user with a verified TOTP device: an analyst of the
   first organisation and a monitor of the second, so the trafficking-alert tables are built too) for the
   organisation, national (CO) and regional scopes, default period (12 months): p50/p95 against 3 s; the
   warm-up's query count and slowest queries are kept (an execute wrapper);
2. the disclosure-control ratio, regional scope, same period: the main case table (people by GBV type x zone type,
   consented, each person once with her latest incident) built by the statistics layer (its query, the grid, and
   `Page.protect/finish`) against one hand-written GROUP BY of the same rows without disclosure control (checked to
   give the same counts); also the layer's query alone, and the whole `dashboard_tables` with and without
   `Page.protect/finish`, for what each part costs. Budget: layer / raw within 1.5x;
3. a situation report PDF through `report_services.report_build` (the background task's code) of the region, of
   Colombia and of one organisation, last 12 whole months, BENCH_INSIGHTS_REPORT_RUNS times each (default 2),
   against 30 s (the budget is stated for the region; the others are printed alongside).

Every figure carries the load average at the time (os.getloadavg(): the machine is shared). Prints a summary with
PASS/FAIL per budget and writes var/bench/insights.json. Quick run: BENCH_INSIGHTS_CASES=10000
BENCH_INSIGHTS_REPORTS=10000 BENCH_INSIGHTS_SUBMISSIONS=100000 (its own marker: switching sizes rebuilds).
BENCH_PG_URL as for bench/run.py; BENCH_STRICT=1 exits 1 when a budget fails.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

from run import BENCH_VAR, PG_URL, PYTHON, ROOT, django_env, drop_database, ensure_postgres, log, manage, summary

CASES = int(os.environ.get("BENCH_INSIGHTS_CASES", "100000"))
REPORTS = int(os.environ.get("BENCH_INSIGHTS_REPORTS", "100000"))
SUBMISSIONS = int(os.environ.get("BENCH_INSIGHTS_SUBMISSIONS", "1000000"))
RUNS = int(os.environ.get("BENCH_INSIGHTS_RUNS", "5"))
REPORT_RUNS = int(os.environ.get("BENCH_INSIGHTS_REPORT_RUNS", "2"))
REBUILD = os.environ.get("BENCH_INSIGHTS_REBUILD") == "1"
STRICT = os.environ.get("BENCH_STRICT") == "1"
PG_DB = "amparo_bench_insights"
DASHBOARD_BUDGET_S = 3.0
RATIO_BUDGET = 1.5
REPORT_BUDGET_S = 30.0
ORGANISATIONS = 10
NATIONAL = 8  # organisations with a national (CO) agreement; all have a regional one
MARKER = f"bench-insights {CASES} cases {REPORTS} reports {SUBMISSIONS} submissions"
ANALYST = "analyst@insights.bench.invalid"
BATCH = 5000


def load() -> float:
    return round(os.getloadavg()[0], 2)


# --- Inside Django (python bench/insights.py --worker STEP) --------------------------------------------------------


def _setup() -> None:
    import django

    sys.path.insert(0, str(ROOT))
    django.setup()


def _organisations() -> list[Any]:
    from amparo.accounts.models import Organization

    return list(Organization.objects.filter(name__startswith="Bench insights org ").order_by("pk"))


def step_marker() -> dict[str, Any]:
    from amparo.accounts.models import Organization

    return {"built": Organization.objects.filter(name=MARKER).exists()}


def step_mark() -> dict[str, Any]:
    from django.db import connection

    from amparo.accounts.models import Organization

    with connection.cursor() as cursor:
        # What autovacuum does in a running database: statistics, and the visibility map that index-only scans
        # need (a freshly bulk-loaded table has none yet).
        cursor.execute("VACUUM (ANALYZE)")
    Organization.objects.create(name=MARKER)
    return {"marked": MARKER}


def _weighted(rng: Any, pairs: tuple[tuple[str, int], ...]) -> str:
    return str(rng.choices([v for v, _w in pairs], weights=[w for _v, w in pairs])[0])


def step_cases(total: int) -> dict[str, Any]:
    """Places, organisations, agreements, the analyst; cases with incidents, consents, referrals and alerts."""
    import random

    from django.db import transaction
    from django.utils import timezone

    from amparo.accounts.models import Membership, Organization, User
    from amparo.accounts.roles import Role
    from amparo.cases.models import Case, CaseTransfer, Consent, Incident, TraffickingAlert
    from amparo.directory.demo import places_load
    from amparo.directory.models import Organization as DirectoryOrganization
    from amparo.directory.models import Place, Service
    from amparo.insights.models import DataSharingAgreement
    from amparo.referrals.models import Referral, ReferralEvent, ServiceType

    started = time.perf_counter()
    rng = random.Random(16)
    places_load()
    municipalities = list(Place.objects.filter(level=Place.Level.ADMIN2).order_by("pcode"))
    colombian = [p for p in municipalities if p.pcode.startswith("CO")]
    elsewhere = [p for p in municipalities if not p.pcode.startswith("CO")]
    organisations = [Organization.objects.create(name=f"Bench insights org {i}") for i in range(ORGANISATIONS)]
    analyst = User.objects.create_user(username=ANALYST, email=ANALYST)
    Membership.objects.create(user=analyst, organization=organisations[0], role=Role.ANALYST)
    Membership.objects.create(user=analyst, organization=organisations[1], role=Role.MONITOR)
    now = timezone.now()
    since = (now - timedelta(days=800)).date()
    for index, organisation in enumerate(organisations):
        DataSharingAgreement.objects.create(organization=organisation, scope="region", country="", since=since,
                                            document_reference="bench", recorded_by=analyst)  # fmt: skip
        if index < NATIONAL:
            DataSharingAgreement.objects.create(
                organization=organisation, scope="country", country="CO", since=since, document_reference="bench",
                recorded_by=analyst,
            )  # fmt: skip
    provider = DirectoryOrganization.objects.create(name="Bench insights services")
    service = Service.objects.create(organization=provider, name="Bench insights service")
    genders = (("trans_woman", 45), ("cis_woman", 40), ("non_binary", 8), ("trans_man", 3), ("not_said", 4))
    nationalities = (("VE", 50), ("CO", 35), ("EC", 8), ("PE", 4), ("HT", 2), ("", 1))
    statuses = (("irregular", 40), ("regular", 20), ("in_process", 15), ("national", 20), ("asylum_seeker", 5))
    ages = (("18-25", 35), ("26-40", 45), ("41-60", 15), ("unknown", 5))
    gbv = (("rape", 25), ("sexual_assault", 20), ("physical_assault", 25), ("psychological_emotional_abuse", 15),
           ("denial_of_resources_opportunities_or_services", 10), ("non_gbv", 5))  # fmt: skip
    aggressors = (("client", 30), ("police", 15), ("organised_crime", 15), ("exploiter", 10),
                  ("intimate_partner", 15), ("migration_official", 5), ("stranger", 10))  # fmt: skip
    types = [t for t, _label in ServiceType.choices]
    counts = {"cases": 0, "incidents": 0, "consents": 0, "referrals": 0, "events": 0, "alerts": 0, "transfers": 0}
    made = 0
    while made < total:
        size = min(BATCH, total - made)
        with transaction.atomic():
            cases = Case.objects.bulk_create(
                [
                    Case(
                        organization=rng.choice(organisations),
                        full_name=f"Persona {made + k}",  # encrypted by EncryptedTextField (Fernet), as in the app
                        gender_identity=_weighted(rng, genders),
                        nationality=_weighted(rng, nationalities),
                        migratory_status=_weighted(rng, statuses),
                        age_band=_weighted(rng, ages),
                        place=rng.choice(colombian if rng.random() < 0.8 else elsewhere),
                        opened_at=now - timedelta(days=rng.randint(0, 455), minutes=rng.randint(0, 1440)),
                        closed_as=Case.ClosedAs.DUPLICATE if rng.random() < 0.01 else "",
                    )
                    for k in range(size)
                ]
            )
            consents = []
            for case in cases:
                if rng.random() < 0.9:
                    withdrawn = now if rng.random() < 0.02 else None
                    consents.append(Consent(case=case, kind="statistics", method="verbal", withdrawn_at=withdrawn))
                consents.append(Consent(case=case, kind="services", method="verbal"))
            Consent.objects.bulk_create(consents)
            consented = {c.case_id for c in consents if c.kind == "statistics" and c.withdrawn_at is None}
            incidents = []
            for case in cases:
                kinds = [_weighted(rng, aggressors)] + ([_weighted(rng, aggressors)] if rng.random() < 0.2 else [])
                occurred = case.opened_at - timedelta(days=rng.randint(0, 20))
                incidents.append(
                    Incident(case=case, occurred_at=occurred, first_reported_at=case.opened_at, place=case.place,
                             gbv_type=_weighted(rng, gbv), perpetrator_types=sorted(set(kinds)),
                             elimination_answers={}, description="Relato sintético (bench)")
                )  # fmt: skip
                if rng.random() < 0.25:  # an earlier incident: she counts once, with the latest of the period
                    incidents.append(
                        Incident(case=case, occurred_at=occurred - timedelta(days=rng.randint(10, 200)),
                                 first_reported_at=case.opened_at, place=rng.choice(municipalities),
                                 gbv_type=_weighted(rng, gbv), perpetrator_types=[_weighted(rng, aggressors)],
                                 elimination_answers={})
                    )  # fmt: skip
            Incident.objects.bulk_create(incidents)
            referrals = []
            for case in cases:
                if rng.random() < 0.5:
                    sent = case.opened_at + timedelta(hours=rng.randint(1, 72))
                    status = rng.choice(("attended", "attended", "attended", "accepted", "received", "declined",
                                         "sent", "closed"))  # fmt: skip
                    referrals.append(
                        Referral(case=case, service=service, service_type=rng.choice(types),
                                 respond_by=sent + timedelta(days=3), sent_at=sent, status=status)
                    )  # fmt: skip
            referrals = Referral.objects.bulk_create(referrals)
            events = []
            for referral in referrals:
                events.append(ReferralEvent(referral=referral, status="sent", at=referral.sent_at))
                if referral.status != "sent":
                    events.append(ReferralEvent(referral=referral, status="received",
                                                at=referral.sent_at + timedelta(hours=rng.randint(1, 30))))  # fmt: skip
                if referral.status in ("attended", "closed"):
                    days = rng.choice((0, 1, 1, 2, 3, 5, 6, 9, 12, 20, 40))
                    events.append(ReferralEvent(referral=referral, status="attended",
                                                at=referral.sent_at + timedelta(days=days, hours=2)))  # fmt: skip
            ReferralEvent.objects.bulk_create(events)
            alerts = [
                TraffickingAlert(place=case.place, gbv_type=_weighted(rng, gbv), indicators=["deception", "coercion"],
                                 raised_on=timezone.localtime(case.opened_at).date(),
                                 statistics_consented=case.pk in consented,
                                 reporting_organization=case.organization)
                for case in cases
                if rng.random() < 0.05
            ]  # fmt: skip
            TraffickingAlert.objects.bulk_create(alerts)
            transfers = [
                CaseTransfer(case=case, from_organization=case.organization,
                             to_organization=organisations[(organisations.index(case.organization) + 1) % 10],
                             consent_method="verbal", status=CaseTransfer.Status.ACCEPTED, decided_at=now)
                for case in cases
                if rng.random() < 0.005
            ]  # fmt: skip
            CaseTransfer.objects.bulk_create(transfers)
        made += size
        for key, n in (("cases", len(cases)), ("incidents", len(incidents)), ("consents", len(consents)),
                       ("referrals", len(referrals)), ("events", len(events)), ("alerts", len(alerts)),
                       ("transfers", len(transfers))):  # fmt: skip
            counts[key] += n
        if made % 20_000 == 0 or made == total:
            print(f"cases: {made}", file=sys.stderr, flush=True)
    return {**counts, "build_s": round(time.perf_counter() - started, 1)}


def step_reports(total: int) -> dict[str, Any]:
    """Safe-channel reports: triage metadata in clear, everything else encrypted with the real functions."""
    import random
    import secrets

    from django.db import transaction
    from django.utils import timezone

    from amparo.directory.models import Place
    from amparo.safechannel import crypto
    from amparo.safechannel.models import ChannelSettings, Report
    from amparo.safechannel.services import FIRST_RESPONSE_HOURS, _seal_json

    started = time.perf_counter()
    rng = random.Random(17)
    organisations = _organisations()
    recovery = {}
    for organisation in organisations:
        keys = crypto.new_keypair()  # the private half is dropped: the coordinator would keep it offline
        ChannelSettings.objects.create(organization=organisation, recovery_public_key=keys.public)
        recovery[organisation.pk] = keys.public
    municipalities = list(Place.objects.filter(level=Place.Level.ADMIN2).order_by("pcode"))
    colombian = [p for p in municipalities if p.pcode.startswith("CO")]
    elsewhere = [p for p in municipalities if not p.pcode.startswith("CO")]
    now = timezone.now()
    statuses = [s for s, _label in Report.Status.choices]
    made = 0
    while made < total:
        rows = []
        for _ in range(min(BATCH, total - made)):
            organisation = rng.choice(organisations)
            key = crypto.new_key()
            risk = rng.choices((0, 1, 2, 3), weights=(55, 15, 20, 10))[0]
            created = now - timedelta(days=rng.randint(0, 455), minutes=rng.randint(0, 1440))
            content = {"what_happened": "Relato sintético (bench)", "happened": ["physical_assault"],
                       "gbv_type": "physical_assault", "persecuted": "yes" if risk & 2 else "no",
                       "state_agent": "yes" if risk & 1 else "no", "wants": [], "contact_how": "",
                       "contact_details": "", "safe_times": "", "language": "es"}  # fmt: skip
            rows.append(
                Report(
                    organization=organisation,
                    place=rng.choice(colombian if rng.random() < 0.8 else elsewhere),
                    risk=risk,
                    status=rng.choice(statuses),
                    receipt_lookup=secrets.token_hex(32),  # not derived from a receipt: see the docstring
                    receipt_sealed_key=crypto.encrypt(crypto.new_key(), key),
                    recovery_sealed_key=crypto.seal(recovery[organisation.pk], key),
                    content=_seal_json(key, content),
                    created_at=created,
                    last_activity_at=created,
                    due_at=created + timedelta(hours=FIRST_RESPONSE_HOURS[risk > 0]),
                    expires_at=created + timedelta(days=90),
                )
            )
        with transaction.atomic():
            Report.objects.bulk_create(rows)
        made += len(rows)
        if made % 20_000 == 0 or made == total:
            print(f"reports: {made}", file=sys.stderr, flush=True)
    return {"reports": made, "build_s": round(time.perf_counter() - started, 1)}


def step_submissions(total: int) -> dict[str, Any]:
    from surveys import _build_instrument

    return _build_instrument(total, organization=_organisations()[0])


def _client() -> Any:
    from django.contrib.auth import BACKEND_SESSION_KEY, HASH_SESSION_KEY, SESSION_KEY
    from django.contrib.sessions.backends.db import SessionStore
    from django.test import Client
    from django_otp import DEVICE_ID_SESSION_KEY
    from django_otp.plugins.otp_totp.models import TOTPDevice

    from amparo.accounts.models import User

    user = User.objects.get(email=ANALYST)
    store = SessionStore()
    store[SESSION_KEY] = str(user.pk)
    store[BACKEND_SESSION_KEY] = "django.contrib.auth.backends.ModelBackend"
    store[HASH_SESSION_KEY] = user.get_session_auth_hash()
    device, _created = TOTPDevice.objects.get_or_create(user=user, name="bench", defaults={"confirmed": True})
    store[DEVICE_ID_SESSION_KEY] = device.persistent_id
    store.save()
    client = Client(HTTP_HOST="localhost")
    client.cookies["sessionid"] = store.session_key or ""
    return client


class _Queries:
    """Every query of the connection with its seconds (an execute wrapper: it survives the connection being closed
    at the end of each request, which empties CaptureQueriesContext's log)."""

    def __init__(self) -> None:
        self.seen: list[tuple[float, str]] = []

    def __call__(self, execute: Any, sql: str, params: Any, many: bool, context: Any) -> Any:
        started = time.perf_counter()
        try:
            return execute(sql, params, many, context)
        finally:
            self.seen.append((time.perf_counter() - started, sql))

    def slowest(self, n: int = 4) -> list[dict[str, Any]]:
        return [{"s": round(s, 3), "sql": sql[:300]} for s, sql in sorted(self.seen, reverse=True)[:n]]


def step_dashboards(runs: int) -> dict[str, Any]:
    from django.db import connection
    from django.urls import reverse

    client = _client()
    url = reverse("insights:dashboard")
    views = {
        "organisation": f"organisation:{_organisations()[0].uuid}",
        "national_CO": "country:CO",
        "regional": "region",
    }
    results: dict[str, Any] = {}
    for name, scope in views.items():
        captured = _Queries()
        with connection.execute_wrapper(captured):
            started = time.perf_counter()
            response = client.get(url, {"scope": scope})
            warm = time.perf_counter() - started
        if response.status_code != 200:
            raise SystemExit(f"the {name} dashboard answered {response.status_code}")
        times, loads = [], []
        for _ in range(runs):
            loads.append(load())
            started = time.perf_counter()
            response = client.get(url, {"scope": scope})
            times.append(time.perf_counter() - started)
        results[name] = {
            "page_s": summary(times),
            "runs_s": [round(t, 3) for t in times],
            "warm_up_s": round(warm, 3),
            "queries": len(captured.seen),
            "query_s": round(sum(s for s, _sql in captured.seen), 3),
            "slowest_queries": captured.slowest(),
            "page_bytes": len(response.content),
            "load": max(loads),
        }
        print(f"{name}: p50 {results[name]['page_s']['p50']:.2f} s", file=sys.stderr, flush=True)
    return results


RAW_SQL = """
WITH latest AS (
    SELECT DISTINCT ON (i.case_id) i.case_id, i.gbv_type, i.place_id
    FROM {incident} i
    JOIN {case} c ON c.id = i.case_id
    WHERE c.organization_id = ANY(%(organisations)s)
      AND (i.occurred_at AT TIME ZONE %(tz)s)::date BETWEEN %(start)s AND %(end)s
      AND c.closed_as <> 'duplicate'
      AND EXISTS (SELECT 1 FROM {consent} s
                  WHERE s.case_id = c.id AND s.kind = 'statistics' AND s.withdrawn_at IS NULL)
      AND NOT EXISTS (SELECT 1 FROM {transfer} t WHERE t.case_id = c.id AND t.status = 'accepted')
    ORDER BY i.case_id, i.occurred_at DESC, i.id DESC
)
SELECT l.gbv_type, p.zone, count(*) FROM latest l LEFT JOIN {place} p ON p.id = l.place_id GROUP BY 1, 2
"""


def step_ratio(runs: int) -> dict[str, Any]:
    """The main case table through the statistics layer (with disclosure control) against a raw GROUP BY."""
    from django.conf import settings
    from django.db import connection
    from django.db.models import F

    from amparo.cases.models import Case, CaseTransfer, Consent, Incident
    from amparo.directory.models import Place
    from amparo.insights import page as page_module
    from amparo.insights import statistics as st
    from amparo.insights.dashboard_forms import default_period
    from amparo.vocab import GBVType

    scope = st.Scope("region")
    start, end = default_period()
    gbv = st._choices(GBVType.choices)
    zones = st._zone_categories()
    threshold = st.threshold_for(scope)
    sql = RAW_SQL.format(incident=Incident._meta.db_table, case=Case._meta.db_table, consent=Consent._meta.db_table,
                         transfer=CaseTransfer._meta.db_table, place=Place._meta.db_table)  # fmt: skip

    def raw() -> list[list[int]]:
        organisations = st.organisations_in_scope(scope, start, end)
        with connection.cursor() as cursor:
            cursor.execute(sql, {"organisations": organisations, "tz": settings.TIME_ZONE, "start": start, "end": end})
            rows = cursor.fetchall()
        return st._cross(({"r": r, "c": c, "n": n} for r, c, n in rows), gbv, zones)

    def layer_query() -> list[list[int]]:
        return st._cross(st._grouped(st.counted_incidents(scope, start, end), F("gbv_type"), F("place__zone")),
                         gbv, zones)  # fmt: skip

    def layer() -> Any:
        b = st._builder(scope, start, end, threshold)
        b.add(
            st._Spec(key="cases.gbv_type_by_zone", title="", description="", rows=st.Dimension("gbv_type", ""),
                     columns=st.Dimension("zone_type", ""), row_categories=gbv, column_categories=zones,
                     counts=layer_query(), sources=("cases",), unit="people", row_margin="cases:gbv_type",
                     column_margin="cases:zone_type", total_key="cases")
        )  # fmt: skip
        return b.tables()[0]

    expected = raw()
    if layer_query() != expected:
        raise SystemExit(f"the raw GROUP BY and the statistics layer count differently: {expected} vs {layer_query()}")
    table = layer()
    timed: dict[str, list[float]] = {"raw": [], "layer_query": [], "layer": []}
    loads = []
    for _ in range(runs):  # interleaved, so the load of the moment weighs on all three alike
        loads.append(load())
        for name, fn in (("raw", raw), ("layer_query", layer_query), ("layer", layer)):
            started = time.perf_counter()
            fn()
            timed[name].append(time.perf_counter() - started)

    def dashboard() -> None:
        st.dashboard_tables(scope=scope, start=start, end=end, language="es", include_alerts=True)

    protect, finish = page_module.Page.protect, page_module.Page.finish

    def unprotected(self: Any, counts: Any, **kwargs: Any) -> int:
        from amparo.core.disclosure import ProtectedTable

        grid = [list(map(int, row)) for row in counts]
        shown = ProtectedTable(cells=tuple(tuple(r) for r in grid), row_totals=tuple(sum(r) for r in grid),
                               column_totals=tuple(sum(c) for c in zip(*grid, strict=True)) if grid else (),
                               total=sum(map(sum, grid)), primary=0, complementary=0)  # fmt: skip
        self.entries.append(page_module.Entry(grid, True, True, {}, shown))
        return len(self.entries) - 1

    whole: dict[str, list[float]] = {"with": [], "without": []}
    dashboard()  # warm-up
    for _ in range(max(2, runs // 2)):
        loads.append(load())
        started = time.perf_counter()
        dashboard()
        whole["with"].append(time.perf_counter() - started)
        page_module.Page.protect, page_module.Page.finish = unprotected, lambda self: None  # type: ignore[method-assign]
        try:
            started = time.perf_counter()
            dashboard()
            whole["without"].append(time.perf_counter() - started)
        finally:
            page_module.Page.protect, page_module.Page.finish = protect, finish  # type: ignore[method-assign]
    with connection.cursor() as cursor:
        cursor.execute(
            "EXPLAIN (ANALYZE, FORMAT TEXT) " + sql,
            {"organisations": st.organisations_in_scope(scope, start, end), "tz": settings.TIME_ZONE, "start": start,
             "end": end},
        )  # fmt: skip
        raw_plan = [row[0] for row in cursor.fetchall()]
        qs = (
            st.counted_incidents(scope, start, end)
            .annotate(r=F("gbv_type"), c=F("place__zone"))
            .values("r", "c")
            .annotate(n=st.Count("pk"))
            .order_by()
        )
        layer_sql, params = qs.query.sql_with_params()
        cursor.execute("EXPLAIN (ANALYZE, FORMAT TEXT) " + layer_sql, params)
        layer_plan = [row[0] for row in cursor.fetchall()]
    return {
        "table": "cases.gbv_type_by_zone",
        "scope": "region",
        "period": [start.isoformat(), end.isoformat()],
        "people": sum(map(sum, expected)),
        "hidden_cells": table.protected.hidden,
        "raw_s": summary(timed["raw"]),
        "layer_query_s": summary(timed["layer_query"]),
        "layer_s": summary(timed["layer"]),
        "ratio": summary(timed["layer"])["p50"] / summary(timed["raw"])["p50"],
        "dashboard_with_disclosure_s": summary(whole["with"]),
        "dashboard_without_disclosure_s": summary(whole["without"]),
        "raw_plan": raw_plan,
        "layer_plan": layer_plan,
        "load": max(loads),
    }


def step_reports_pdf(runs: int) -> dict[str, Any]:
    """Situation reports through report_build (the background task's code), the last 12 whole months."""
    from django.utils import timezone

    from amparo.insights.models import ReportScope, ReportStatus, SituationReport
    from amparo.insights.report_services import ReportRequest, report_build, report_request

    organisation = _organisations()[0]
    first_of_month = timezone.localdate().replace(day=1)
    end = first_of_month - timedelta(days=1)
    year, month = (end.year, end.month - 11) if end.month == 12 else (end.year - 1, end.month + 1)
    start = date(year, month, 1)
    requests = {
        "region": ReportRequest(ReportScope.REGION, start, end, "es"),
        "national_CO": ReportRequest(ReportScope.COUNTRY, start, end, "es", country="CO"),
        "organisation": ReportRequest(ReportScope.ORGANISATION, start, end, "es", scope_organization=organisation),
    }
    results: dict[str, Any] = {}
    for name, request in requests.items():
        times, loads, size = [], [], 0
        for _ in range(runs):
            report = report_request(actor=None, organization=organisation, request=request)
            loads.append(load())
            started = time.perf_counter()
            built = report_build(report.pk)
            times.append(time.perf_counter() - started)
            if built is None or built.status != ReportStatus.BUILT:
                raise SystemExit(f"the {name} report failed: {built and built.failure}")
            size = built.pdf_bytes
        results[name] = {"seconds": [round(t, 2) for t in times], "max_s": round(max(times), 2), "pdf_bytes": size,
                         "period": [start.isoformat(), end.isoformat()], "load": max(loads)}  # fmt: skip
        print(f"report {name}: {max(times):.1f} s", file=sys.stderr, flush=True)
    SituationReport.objects.all().delete()
    return results


STEPS = {
    "marker": lambda _n: step_marker(),
    "mark": lambda _n: step_mark(),
    "cases": step_cases,
    "reports": step_reports,
    "submissions": step_submissions,
    "dashboards": step_dashboards,
    "ratio": step_ratio,
    "pdf": step_reports_pdf,
}


def run_worker(argv: list[str]) -> None:
    _setup()
    result = STEPS[argv[0]](int(argv[1]) if len(argv) > 1 else 0)
    print(json.dumps(result, default=str))


# --- The bench ---------------------------------------------------------------------------------------------------


def worker(env: dict[str, str], step: str, *args: str) -> dict[str, Any]:
    done = subprocess.run(
        [PYTHON, str(Path(__file__).resolve()), "--worker", step, *args],
        cwd=ROOT,
        env=env,
        stdout=subprocess.PIPE,
        text=True,
    )  # fmt: skip  (stderr passes through: progress)
    if done.returncode != 0:
        raise SystemExit(f"bench/insights.py: the {step} step failed")
    result: dict[str, Any] = json.loads(done.stdout.strip().splitlines()[-1])
    return result


def prepare(env: dict[str, str]) -> dict[str, Any]:
    ensure_postgres()
    import psycopg

    with psycopg.connect(f"{PG_URL}/postgres", autocommit=True) as conn:
        exists = conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", [PG_DB]).fetchone() is not None
    if exists and not REBUILD:
        manage(env, "migrate", "--noinput", "-v0", quiet=True)
        if worker(env, "marker")["built"]:
            return {"built": False}
    log(f"PostgreSQL: building {CASES:,} cases, {REPORTS:,} reports, {SUBMISSIONS:,} submissions (once; reused)")
    started = time.perf_counter()
    drop_database("postgresql", None, PG_DB)
    manage(env, "migrate", "--noinput", "-v0")
    built = {
        "cases": worker(env, "cases", str(CASES)),
        "reports": worker(env, "reports", str(REPORTS)),
        "submissions": worker(env, "submissions", str(SUBMISSIONS)),
    }
    worker(env, "mark")
    return {"built": True, **built, "build_s": round(time.perf_counter() - started, 1), "load_after": load()}


def verdict(ok: bool) -> str:
    return "PASS" if ok else "FAIL"


def main() -> int:
    if len(sys.argv) > 1 and sys.argv[1] == "--worker":
        run_worker(sys.argv[2:])
        return 0
    BENCH_VAR.mkdir(parents=True, exist_ok=True)
    env = django_env(f"{PG_URL}/{PG_DB}")
    results: dict[str, Any] = {
        "started_at": datetime.now(UTC).isoformat(timespec="seconds"),
        "sizes": {"cases": CASES, "reports": REPORTS, "submissions": SUBMISSIONS},
        "runs": RUNS,
        "cpus": os.cpu_count(),
    }
    results["build"] = prepare(env)
    log(f"PostgreSQL: the dashboards, {RUNS} runs each after a warm-up")
    results["dashboards"] = worker(env, "dashboards", str(RUNS))
    log("PostgreSQL: the disclosure-control ratio")
    results["ratio"] = worker(env, "ratio", str(RUNS))
    log(f"PostgreSQL: situation reports, {REPORT_RUNS} builds each")
    results["reports"] = worker(env, "pdf", str(REPORT_RUNS))
    checks = []
    for name, r in results["dashboards"].items():
        p50, p95 = r["page_s"]["p50"], r["page_s"]["p95"]
        checks.append((f"dashboard page, {name} ({r['queries']} queries)", f"{p50:.2f} / {p95:.2f} s",
                       f"p95 < {DASHBOARD_BUDGET_S:.0f} s", p95 < DASHBOARD_BUDGET_S, r["load"]))  # fmt: skip
    ratio = results["ratio"]
    checks.append((
        f"disclosure-controlled table / raw GROUP BY ({ratio['people']:,} people, region)",
        f"{ratio['layer_s']['p50']:.3f} / {ratio['raw_s']['p50']:.3f} s = {ratio['ratio']:.2f}x",
        f"< {RATIO_BUDGET}x", ratio["ratio"] < RATIO_BUDGET, ratio["load"],
    ))  # fmt: skip
    for name, r in results["reports"].items():
        checks.append((f"situation report PDF, {name}, 12 months", f"{r['max_s']:.1f} s max",
                       f"< {REPORT_BUDGET_S:.0f} s", r["max_s"] < REPORT_BUDGET_S, r["load"]))  # fmt: skip
    results["checks"] = [{"check": c, "figure": f, "budget": b, "pass": ok, "load": ld} for c, f, b, ok, ld in checks]
    results["finished_at"] = datetime.now(UTC).isoformat(timespec="seconds")
    (BENCH_VAR / "insights.json").write_text(json.dumps(results, indent=2, default=str))
    print(f"\nInsights on PostgreSQL: {CASES:,} cases, {REPORTS:,} safe-channel reports, {SUBMISSIONS:,} survey "
          f"submissions; {os.cpu_count()} CPUs, load average (1 min) at each figure")  # fmt: skip
    print(f"{'check':<66} {'figure (p50 / p95)':<28} {'budget':<12} {'':<5} load")
    for c, f, b, ok, ld in checks:
        print(f"{c:<66} {f:<28} {b:<12} {verdict(ok):<5} {ld:.2f}")
    print(
        f"{'':<4}the layer's query alone {ratio['layer_query_s']['p50']:.3f} s; the whole dashboard (region) "
        f"{ratio['dashboard_with_disclosure_s']['p50']:.2f} s with disclosure control, "
        f"{ratio['dashboard_without_disclosure_s']['p50']:.2f} s without (Page.protect/finish skipped)"
    )
    print("Figures: var/bench/insights.json")
    failed = [c for c in checks if not c[3]]
    return 1 if failed and STRICT else 0


if __name__ == "__main__":
    sys.exit(main())
