"""Situation-report benchmark (issue 16, "Measured": a situation report PDF under 30 s). Not part of `make bench` yet.

    .venv/bin/python bench/insights_report.py                  # small: 5,000 cases, SQLite and PostgreSQL
    BENCH_REPORT_CASES=100000 .venv/bin/python bench/insights_report.py
    BENCH_DATABASES=postgresql BENCH_REPORT_REBUILD=1 .venv/bin/python bench/insights_report.py

A database of its own (var/bench/insights_report.sqlite3, PostgreSQL `amparo_bench_insights_report`) holds the demo
places and BENCH_REPORT_CASES cases (default 5,000) over 10 organisations and 12 months, nine in ten with the
statistics consent. It is built once and reused for the same size (BENCH_REPORT_REBUILD=1 rebuilds it).
Each run builds, in process and through the same code as the background task (`report_services.report_build`),
a report of one organisation, of Colombia and of the region over 12 months, BENCH_REPORT_RUNS times each (default
3), and prints the seconds of each build (tables from the statistics layer, HTML, PDF) against the 30 s budget.
Writes var/bench/insights_report.json.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

from run import BENCH_VAR, DB_LABEL, PG_URL, PYTHON, ROOT, django_env, drop_database, ensure_postgres, log, manage

CASES = int(os.environ.get("BENCH_REPORT_CASES", "5000"))
RUNS = int(os.environ.get("BENCH_REPORT_RUNS", "3"))
DATABASES = [d.strip() for d in os.environ.get("BENCH_DATABASES", "sqlite,postgresql").split(",") if d.strip()]
REBUILD = os.environ.get("BENCH_REPORT_REBUILD") == "1"
SQLITE_FILE = BENCH_VAR / "insights_report.sqlite3"
PG_DB = "amparo_bench_insights_report"
BUDGET_SECONDS = 30.0
ORGANISATIONS = 10


def database_url(vendor: str) -> str:
    return f"sqlite:///{SQLITE_FILE}" if vendor == "sqlite" else f"{PG_URL}/{PG_DB}"


def build(total: int) -> dict[str, Any]:
    """Inside Django: the places, the organisations and `total` cases (a marker row says which size is there)."""
    import random
    from datetime import date, time, timedelta

    from django.db import transaction
    from django.utils import timezone

    from amparo.accounts.models import Organization
    from amparo.cases.models import Case, Consent, Incident
    from amparo.directory.demo import places_load
    from amparo.directory.models import Place
    from amparo.insights.models import DataSharingAgreement

    marker = f"bench-insights-report-{total}-with-incidents"
    if Organization.objects.filter(name=marker).exists():
        return {"built": False}
    rng = random.Random(16)
    places_load()
    municipalities = list(Place.objects.filter(level=Place.Level.ADMIN2))
    organisations = [Organization.objects.create(name=f"Bench report org {i}") for i in range(ORGANISATIONS)]
    genders = ["trans_woman", "cis_woman", "non_binary", "trans_man", "other", "not_said"]
    gbv_types = ["rape", "sexual_assault", "physical_assault", "psychological_emotional_abuse"]
    aggressors = ["client", "police", "organised_crime", "intimate_partner", "stranger"]
    first = date(2025, 1, 1)
    tz = timezone.get_current_timezone()
    made = 0
    while made < total:
        batch = min(5000, total - made)
        with transaction.atomic():
            cases = Case.objects.bulk_create(
                [
                    Case(
                        organization=rng.choice(organisations),
                        place=rng.choice(municipalities),
                        gender_identity=rng.choices(genders, weights=[5, 8, 1, 1, 1, 1])[0],
                        opened_at=timezone.make_aware(
                            datetime.combine(first + timedelta(days=rng.randrange(365)), time(12)), tz
                        ),
                    )
                    for _ in range(batch)
                ]
            )
            Consent.objects.bulk_create(
                [Consent(case=c, kind="statistics", method="verbal") for c in cases if rng.random() < 0.9]
            )
            # One incident each, where and when the case was opened (the statistics layer counts a person with her
            # latest incident of the period).
            Incident.objects.bulk_create(
                [
                    Incident(case=c, occurred_at=c.opened_at, first_reported_at=c.opened_at, place=c.place,
                             gbv_type=rng.choice(gbv_types), elimination_answers={},
                             perpetrator_types=[rng.choice(aggressors)])
                    for c in cases
                ]
            )  # fmt: skip
        made += batch
    # Every organisation agreed to be counted in national and regional figures.
    for organization in organisations:
        for scope, code in ((DataSharingAgreement.Scope.COUNTRY, "CO"), (DataSharingAgreement.Scope.REGION, "")):
            DataSharingAgreement.objects.create(
                organization=organization, scope=scope, country=code, since=first, document_reference="bench"
            )
    Organization.objects.create(name=marker)
    return {"built": True}


def measure() -> dict[str, Any]:
    """Inside Django: build each report RUNS times through report_build (the task's code) and time it."""
    import time
    from datetime import date

    from amparo.accounts.models import Organization
    from amparo.insights.models import ReportScope, ReportStatus, SituationReport
    from amparo.insights.report_services import ReportRequest, report_build, report_request

    organisation = Organization.objects.filter(name="Bench report org 0").first()
    requests = {
        "organisation": ReportRequest(
            ReportScope.ORGANISATION, date(2025, 1, 1), date(2025, 12, 31), "es", scope_organization=organisation
        ),
        "country_CO": ReportRequest(ReportScope.COUNTRY, date(2025, 1, 1), date(2025, 12, 31), "es", country="CO"),
        "region": ReportRequest(ReportScope.REGION, date(2025, 1, 1), date(2025, 12, 31), "es"),
    }
    results: dict[str, Any] = {}
    for name, request in requests.items():
        times, sizes = [], []
        for _ in range(RUNS):
            report = report_request(actor=None, organization=organisation, request=request)
            started = time.perf_counter()
            built = report_build(report.pk)
            times.append(time.perf_counter() - started)
            assert built is not None and built.status == ReportStatus.BUILT, built and built.failure
            sizes.append(built.pdf_bytes)
        results[name] = {"seconds": [round(t, 3) for t in times], "max_s": round(max(times), 3), "pdf_bytes": sizes[-1]}
    SituationReport.objects.all().delete()
    return results


def child(step: str, *args: str) -> None:
    import django

    django.setup()
    out = build(int(args[0])) if step == "build" else measure()
    print(json.dumps(out))


def run(vendor: str) -> dict[str, Any]:
    env = django_env(database_url(vendor))
    if REBUILD:
        drop_database(vendor, SQLITE_FILE, PG_DB)
    elif vendor == "postgresql":
        ensure_postgres()
        import psycopg

        with psycopg.connect(f"{PG_URL}/postgres", autocommit=True) as conn:
            if conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", [PG_DB]).fetchone() is None:
                conn.execute(f'CREATE DATABASE "{PG_DB}"')
    manage(env, "migrate", "--noinput", "-v0", quiet=True)

    def step(*args: str) -> dict[str, Any]:
        done = subprocess.run(
            [PYTHON, __file__, "--child", *args], cwd=ROOT, env=env, capture_output=True, text=True, check=False
        )
        if done.returncode != 0:
            sys.stderr.write(done.stderr)
            raise SystemExit(f"bench/insights_report.py {' '.join(args)} failed on {vendor}")
        result: dict[str, Any] = json.loads(done.stdout.strip().splitlines()[-1])
        return result

    log(f"{DB_LABEL[vendor]}: {CASES:,} cases (built once, reused)")
    step("build", str(CASES))
    return step("measure")


def main() -> None:
    if len(sys.argv) > 1 and sys.argv[1] == "--child":
        child(*sys.argv[2:])
        return
    BENCH_VAR.mkdir(parents=True, exist_ok=True)
    results: dict[str, Any] = {"cases": CASES, "runs": RUNS, "budget_s": BUDGET_SECONDS}
    for vendor in DATABASES:
        results[vendor] = run(vendor)
        for name, figures in results[vendor].items():
            verdict = "within" if figures["max_s"] < BUDGET_SECONDS else "OVER"
            print(
                f"situation report, {DB_LABEL[vendor]}, {name}: {figures['max_s']:.2f} s max of {RUNS} "
                f"({', '.join(f'{s:.2f}' for s in figures['seconds'])}), PDF {figures['pdf_bytes'] / 1024:.0f} KB, "
                f"{verdict} the {BUDGET_SECONDS:.0f} s budget, {CASES:,} cases"
            )
    results["at"] = datetime.now(UTC).isoformat(timespec="seconds")
    (BENCH_VAR / "insights_report.json").write_text(json.dumps(results, indent=2))


if __name__ == "__main__":
    main()
