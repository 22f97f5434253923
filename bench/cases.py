"""Case-management benchmark (part of `make bench`): the case list and the case page with 100,000 cases, over real
HTTP against gunicorn with one sync worker, on SQLite and on PostgreSQL.

The database (var/bench/cases.sqlite3, PostgreSQL `amparo_bench_cases`) holds BENCH_CASES cases (default 100,000)
across 10 organisations, each case with two consents, an incident, a risk assessment and an action, identifying
fields encrypted as in production. It is built once and reused (BENCH_CASES_REBUILD=1 rebuilds it).
Timed as a coordinator (sees every case of her organisation: ~10,000) and as a caseworker (her assigned cases):
p50/p95 server time (Server-Timing) of list pages and case pages. Writes var/bench/cases.json.
"""

from __future__ import annotations

import http.client
import json
import os
import random
import re
import subprocess
import sys
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

from run import (
    BENCH_VAR,
    DB_LABEL,
    PG_URL,
    PYTHON,
    ROOT,
    django_env,
    drop_database,
    http_server,
    log,
    manage,
    summary,
)

CASES = int(os.environ.get("BENCH_CASES", "100000"))
REQUESTS = int(os.environ.get("BENCH_CASE_REQUESTS", "200"))
DATABASES = [d.strip() for d in os.environ.get("BENCH_DATABASES", "sqlite,postgresql").split(",") if d.strip()]
PG_DB = "amparo_bench_cases"
BUDGET_NOTE = "no DESIGN.md budget; the issue asks for the figures"

BUILD = """
import json, random, sys
from datetime import timedelta
from django.contrib.auth import BACKEND_SESSION_KEY, HASH_SESSION_KEY, SESSION_KEY
from django.contrib.sessions.backends.db import SessionStore
from django.db import transaction
from django.utils import timezone
from django_otp import DEVICE_ID_SESSION_KEY
from django_otp.plugins.otp_totp.models import TOTPDevice
from amparo.accounts.models import Membership, Organization, User
from amparo.cases.models import ActionItem, Case, Consent, Incident, RiskAssessment
from amparo.directory.models import Place

total = int(sys.argv[-1])
rng = random.Random(7)
co = Place.objects.create(pcode="CO", name="Colombia", level=0, latitude=4.6, longitude=-74.1)
ns = Place.objects.create(pcode="CO54", name="Norte de Santander", level=1, parent=co, latitude=7.9, longitude=-72.5)
places = [Place.objects.create(pcode=f"CO54{i:03d}", name=f"Municipio {i}", level=2, parent=ns, latitude=7.9,
          longitude=-72.5, zone=rng.choice(["border", "urban", "rural"])) for i in range(1, 41)]
orgs = [Organization.objects.create(name=f"Org {i}") for i in range(10)]
workers = []
for org in orgs:
    org_workers = []
    for role, n in (("coordinator", 1), ("caseworker", 20)):
        for j in range(n):
            email = f"{role}{j}@{org.pk}.bench.invalid"
            user = User(username=email, email=email)
            user.set_unusable_password()
            user.save()
            Membership.objects.create(user=user, organization=org, role=role)
            TOTPDevice.objects.create(user=user, name="bench", confirmed=True)
            if role == "caseworker":
                org_workers.append(user)
    workers.append(org_workers)
now = timezone.now()
batch = 2000
for start in range(0, total, batch):
    with transaction.atomic():
        cases = []
        for i in range(start, min(start + batch, total)):
            k = i % len(orgs)
            cases.append(Case(organization=orgs[k], status=rng.choice(["open"] * 4 + ["closed"]),
                opened_at=now - timedelta(days=rng.randint(0, 1500), minutes=rng.randint(0, 1440)),
                full_name=f"Nombre {i}", contact=f"+57 000 {i:07d}", narrative="Relato sintético. " * 10,
                age_band=rng.choice(["18-25", "26-40", "41-60"]),
                gender_identity=rng.choice(["trans_woman", "cis_woman"]),
                nationality=rng.choice(["CO", "VE", "EC"]), migratory_status="irregular", place=rng.choice(places)))
        Case.objects.bulk_create(cases)
        through = Case.caseworkers.through
        first = orgs[0].pk
        through.objects.bulk_create([through(case_id=c.pk, user_id=rng.choice(workers[c.organization_id - first]).pk)
                                     for c in cases])
        Consent.objects.bulk_create([Consent(case=c, kind=kind, method="verbal") for c in cases
                                     for kind in ("services", "statistics")])
        Incident.objects.bulk_create([Incident(case=c, occurred_at=c.opened_at - timedelta(days=2),
            first_reported_at=c.opened_at, place=c.place, gbv_type="sexual_assault", context_tags=["sex_work"],
            perpetrator_types=["client"], elimination_answers={"sexual_contact": True},
            description="Descripción sintética.") for c in cases])
        RiskAssessment.objects.bulk_create([RiskAssessment(case=c, persecution="no", level="low",
            safety_plan="Plan sintético.") for c in cases])
        ActionItem.objects.bulk_create([ActionItem(case=c, description="Acompañar a la cita.",
            due_on=(c.opened_at + timedelta(days=14)).date()) for c in cases])
    print(f"{min(start + batch, total)} cases", file=sys.stderr)
print(json.dumps({"orgs": [o.pk for o in orgs]}))
"""

SESSIONS = """
import json
from django.contrib.auth import BACKEND_SESSION_KEY, HASH_SESSION_KEY, SESSION_KEY
from django.contrib.sessions.backends.db import SessionStore
from django_otp import DEVICE_ID_SESSION_KEY
from django_otp.plugins.otp_totp.models import TOTPDevice
from amparo.accounts.models import User
from amparo.cases.models import Case

def session_for(user):
    store = SessionStore()
    store[SESSION_KEY] = str(user.pk)
    store[BACKEND_SESSION_KEY] = "django.contrib.auth.backends.ModelBackend"
    store[HASH_SESSION_KEY] = user.get_session_auth_hash()
    store[DEVICE_ID_SESSION_KEY] = TOTPDevice.objects.get(user=user).persistent_id
    store.set_expiry(3600)
    store.save()
    return store.session_key

coordinator = User.objects.filter(email__startswith="coordinator0@").order_by("pk").first()
caseworker = User.objects.filter(email__startswith="caseworker0@").order_by("pk").first()
org = coordinator.memberships.get().organization
mine = list(Case.objects.filter(organization=org).order_by("?").values_list("uuid", flat=True)[:400])
hers = list(Case.objects.filter(caseworkers=caseworker).values_list("uuid", flat=True)[:200])
print(json.dumps({"coordinator": session_for(coordinator), "caseworker": session_for(caseworker),
                  "org_cases": [str(u) for u in mine], "her_cases": [str(u) for u in hers],
                  "org_total": Case.objects.filter(organization=org).count(),
                  "her_total": Case.objects.filter(caseworkers=caseworker).count()}))
"""


def cases_env(vendor: str) -> dict[str, str]:
    url = f"sqlite:///{BENCH_VAR / 'cases.sqlite3'}" if vendor == "sqlite" else f"{PG_URL}/{PG_DB}"
    return django_env(url)


def shell(env: dict[str, str], code: str, *args: str) -> dict[str, Any]:
    done = subprocess.run(
        [PYTHON, "manage.py", "shell", "-c", code.replace("sys.argv[-1]", repr(args[0]) if args else "0")],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
    )
    if done.returncode != 0:
        sys.stderr.write(done.stderr[-4000:])
        raise SystemExit("bench/cases.py: the Django shell step failed")
    result: dict[str, Any] = json.loads(done.stdout.strip().splitlines()[-1])
    return result


def ensure_database(vendor: str, env: dict[str, str]) -> None:
    marker = BENCH_VAR / f"cases-{vendor}.built"
    rebuild = os.environ.get("BENCH_CASES_REBUILD") == "1"
    if marker.exists() and marker.read_text() == str(CASES) and not rebuild:
        try:
            manage(env, "migrate", "--noinput", "-v0", quiet=True)
            return
        except subprocess.CalledProcessError:
            log(f"{DB_LABEL[vendor]}: the cached case database does not migrate; building it again")
    log(f"{DB_LABEL[vendor]}: building {CASES} cases (once; reused afterwards)")
    drop_database(vendor, BENCH_VAR / "cases.sqlite3", PG_DB)
    manage(env, "migrate", "--noinput", "-v0")
    shell(env, BUILD.replace("int(sys.argv[-1])", str(CASES)))
    if vendor == "postgresql":
        subprocess.run(["psql", f"{PG_URL}/{PG_DB}", "-qc", "ANALYZE"], check=True, capture_output=True)
    marker.write_text(str(CASES))


def get(port: int, path: str, session: str) -> tuple[int, float, int]:
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=120)
    try:
        conn.request("GET", path, headers={"Cookie": f"sessionid={session}", "Accept-Encoding": "gzip"})
        response = conn.getresponse()
        body = response.read()
        match = re.search(r"app;dur=([0-9.]+)", response.getheader("Server-Timing", ""))
        return response.status, float(match.group(1)) if match else float("nan"), len(body)
    finally:
        conn.close()


def timed(port: int, paths: list[str], session: str) -> dict[str, float]:
    for path in paths[:5]:  # warm-up
        get(port, path, session)
    values = []
    for path in paths:
        status, ms, _size = get(port, path, session)
        if status != 200:
            raise SystemExit(f"{path} answered {status}")
        values.append(ms)
    return summary(values)


def bench(vendor: str) -> dict[str, Any]:
    env = cases_env(vendor)
    ensure_database(vendor, env)
    world = shell(env, SESSIONS)
    rng = random.Random(11)
    with http_server(env, f"cases-{vendor}") as port:
        pages = max(1, world["org_total"] // 50)
        coordinator_lists = [
            f"/staff/cases/?status=open&page={rng.randint(1, min(pages, 40))}" for _ in range(REQUESTS)
        ]
        caseworker_lists = ["/staff/cases/?status=open"] * (REQUESTS // 2)
        coordinator_pages = [f"/staff/cases/{rng.choice(world['org_cases'])}/" for _ in range(REQUESTS)]
        caseworker_pages = [f"/staff/cases/{rng.choice(world['her_cases'])}/" for _ in range(REQUESTS // 2)]
        return {
            "cases": CASES,
            "coordinator_sees": world["org_total"],
            "caseworker_sees": world["her_total"],
            "list_coordinator_ms": timed(port, coordinator_lists, world["coordinator"]),
            "list_caseworker_ms": timed(port, caseworker_lists, world["caseworker"]),
            "page_coordinator_ms": timed(port, coordinator_pages, world["coordinator"]),
            "page_caseworker_ms": timed(port, caseworker_pages, world["caseworker"]),
        }


def main() -> int:
    BENCH_VAR.mkdir(parents=True, exist_ok=True)
    (BENCH_VAR / "static").mkdir(parents=True, exist_ok=True)
    results: dict[str, Any] = {"started_at": datetime.now(UTC).isoformat(timespec="seconds"), "note": BUDGET_NOTE}
    for vendor in DATABASES:
        results[vendor] = bench(vendor)
    (BENCH_VAR / "cases.json").write_text(json.dumps(results, indent=2))
    print(f"\nCase management with {CASES:,} cases (gunicorn, 1 sync worker; server time p50/p95 ms)")
    print(f"{'':<12}{'list (coord.)':>16}{'list (worker)':>16}{'page (coord.)':>16}{'page (worker)':>16}")
    for vendor in DATABASES:
        r = results[vendor]
        cells = [
            f"{r[k]['p50']:.1f}/{r[k]['p95']:.1f}"
            for k in ("list_coordinator_ms", "list_caseworker_ms", "page_coordinator_ms", "page_caseworker_ms")
        ]
        print(f"{DB_LABEL[vendor]:<12}" + "".join(f"{c:>16}" for c in cells))
    print("Figures: var/bench/cases.json")
    return 0


if __name__ == "__main__":
    sys.exit(main())
