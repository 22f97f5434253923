"""Surveys benchmark (part of `make bench`): the risk characterisation over many submissions, and an import.

1. BENCH_SURVEY_SUBMISSIONS synthetic submissions (default 1,000,000) of each of two forms, written with
   bulk_create into a database of their own (var/bench/surveys.sqlite3, PostgreSQL `amparo_bench_surveys`), built
   once and reused: the shipped risk-characterisation instrument (the form analysts read: about thirty
   indicators, a few hundred counts per group), its answers made by the demo's generator and extracted by the
   receiving path (`apply_extracted`) from 20,000 distinct interviews, copied with new ids and dates; and the
   surveys' small test form (four indicators), as a floor. Timed in-process: the selector (one SQL query +
   disclosure control, `read_characterisation`) and the whole page (Django's test client: view, access,
   template), p50/p95 over BENCH_SURVEY_RUNS runs (default 7). Budget (DESIGN.md): under 3 s on PostgreSQL, for
   the instrument.
2. An import of BENCH_SURVEY_IMPORT_ROWS rows (default 100,000) from a Kobo-style CSV (`;`, `group/question`
   headers, `_uuid`), into an empty form, in a process of its own: wall time, rows per second and the peak memory
   of that process (resource.getrusage ru_maxrss).

BENCH_DATABASES (default "postgresql"; "sqlite,postgresql" for both), BENCH_PG_URL as for bench/run.py,
BENCH_SURVEYS_REBUILD=1 rebuilds the submissions. Writes var/bench/surveys.json.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

from run import BENCH_VAR, DB_LABEL, PG_URL, PYTHON, ROOT, django_env, drop_database, log, manage, summary

SUBMISSIONS = int(os.environ.get("BENCH_SURVEY_SUBMISSIONS", "1000000"))
IMPORT_ROWS = int(os.environ.get("BENCH_SURVEY_IMPORT_ROWS", "100000"))
RUNS = int(os.environ.get("BENCH_SURVEY_RUNS", "7"))
DATABASES = [d.strip() for d in os.environ.get("BENCH_DATABASES", "postgresql").split(",") if d.strip()]
PG_DB = "amparo_bench_surveys"
BUDGET_S = 3.0
BUILD_MARK = f"{SUBMISSIONS} small form and instrument, with analysis bits"


def database_url(vendor: str) -> str:
    if vendor == "sqlite":
        return f"sqlite:///{BENCH_VAR / 'surveys.sqlite3'}"
    return f"{PG_URL}/{PG_DB}"


def worker(step: str, vendor: str, *args: str) -> dict[str, Any]:
    env = django_env(database_url(vendor))
    done = subprocess.run(
        [PYTHON, str(Path(__file__).resolve()), "--worker", step, *args], cwd=ROOT, env=env, capture_output=True,
        text=True,
    )  # fmt: skip
    if done.returncode != 0:
        sys.stderr.write(done.stderr[-4000:])
        raise SystemExit(f"bench/surveys.py: the {step} step failed on {vendor}")
    result: dict[str, Any] = json.loads(done.stdout.strip().splitlines()[-1])
    return result


# --- Inside Django (python bench/surveys.py --worker STEP) --------------------------------------------------------


def _setup() -> None:
    import django

    sys.path.insert(0, str(ROOT))
    django.setup()


def _org_and_form(name: str, form_id: str) -> tuple[Any, Any, Any]:
    from amparo.accounts.models import Membership, Organization, User
    from amparo.accounts.roles import Role
    from amparo.surveys.tests.factories import make_form

    org = Organization.objects.create(name=name)
    user = User.objects.create_user(
        username=f"analyst@{form_id}.bench.invalid", email=f"analyst@{form_id}.bench.invalid"
    )
    Membership.objects.create(user=user, organization=org, role=Role.ANALYST)
    return org, user, make_form(org, user, form_id=form_id)


def step_build(total: int) -> dict[str, Any]:
    small = _build_small(total)
    instrument = _build_instrument(total)
    return {"small_form": small, "instrument": instrument}


TEMPLATES = 20_000  # distinct synthetic interviews of the instrument, copied to make up the total


def _build_instrument(total: int, organization: Any = None) -> dict[str, Any]:
    """`total` submissions of the shipped instrument, of `organization` (default: this bench's own; bench/insights.py
    passes one of its organisations, whose first member publishes the form)."""
    import random
    import uuid as uuidlib
    from datetime import timedelta

    from django.db import connection, transaction
    from django.utils import timezone

    from amparo.surveys.codebook import WORD_FIELDS
    from amparo.surveys.demo import instance_for, publish_instrument, synthetic_interviews
    from amparo.surveys.extract import parse_instance
    from amparo.surveys.models import Form, Submission
    from amparo.surveys.services import apply_extracted

    existing = Form.objects.filter(form_id="amparo_risk_characterisation").first()
    if existing is not None and existing.submissions.count() == total:
        return {"built": False, "submissions": total, "build_s": None}
    started = time.perf_counter()
    org = organization if organization is not None else _instrument_organization()
    user = org.memberships.first().user
    version = publish_instrument(org, user)
    templates = []
    today = timezone.localdate()
    for instance_id, answers in synthetic_interviews(min(TEMPLATES, total), today, seed=16):
        submission = Submission(raw_instance="<data/>")
        apply_extracted(submission, version, parse_instance(instance_for(version, answers, instance_id)))
        templates.append(submission)
    rng = random.Random(16)
    batch = 5000
    first_day = today - timedelta(days=700)
    for start in range(0, total, batch):
        rows = []
        for i in range(start, min(start + batch, total)):
            t = templates[i % len(templates)]
            rows.append(
                Submission(
                    form=version.form,
                    version=version,
                    organization=org,
                    instance_id=f"uuid:{uuidlib.uuid4()}",
                    source="openrosa",
                    raw_instance="<data/>",  # not read by analysis: a small stand-in keeps the build quick
                    answers=t.answers,
                    municipality_pcode=t.municipality_pcode,
                    zone_type=t.zone_type,
                    gender_identity=t.gender_identity,
                    nationality=t.nationality,
                    migratory_status=t.migratory_status,
                    age_band=t.age_band,
                    interview_date=first_day + timedelta(days=rng.randint(0, 700)),
                    statistics_consent=t.statistics_consent,
                    analysis_size=t.analysis_size,
                    **{field: getattr(t, field) for field in WORD_FIELDS},
                )
            )
        with transaction.atomic():
            Submission.objects.bulk_create(rows)
        if start % 100_000 == 0:
            print(f"instrument: {start + len(rows)} submissions", file=sys.stderr, flush=True)
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("ANALYZE")
    return {"built": True, "submissions": total, "build_s": round(time.perf_counter() - started, 1)}


def _instrument_organization() -> Any:
    from amparo.accounts.models import Organization

    org = Organization.objects.filter(name="Red de Caracterización (bench)").first()
    if org is None:
        org, _user, _version = _org_and_form("Red de Caracterización (bench)", "bench_instrument_owner")
    return org


def _build_small(total: int) -> dict[str, Any]:
    import random
    import uuid as uuidlib
    from datetime import date, timedelta

    from django.db import connection, transaction

    from amparo.surveys.analysis_store import fill_analysis
    from amparo.surveys.models import Form, Submission

    existing = Form.objects.filter(form_id="bench_characterisation").first()
    if existing is not None and existing.submissions.count() == total:
        return {"built": False, "submissions": total, "build_s": None}
    rng = random.Random(14)
    _org, _user, version = _org_and_form("Red de Análisis (bench)", "bench_characterisation")
    form = version.form
    zones = ["border", "urban", "rural"]
    genders = ["trans_woman", "cis_woman", "non_binary", "trans_man", "not_said"]
    statuses = ["national", "regular", "irregular", "in_process", "refugee"]
    nationalities = ["CO", "VE", "EC", "PE", "HT", "CU"]
    ages = ["18-25", "26-40", "41-60", "61+"]
    municipalities = [f"CO54{i:03d}" for i in range(1, 41)]
    violence = ["clients", "police", "armed_groups"]
    started = time.perf_counter()
    raw = "<data/>"  # the encrypted instance is not read by analysis: a small stand-in keeps the build quick
    batch = 5000
    first_day = date(2025, 1, 1)
    for start in range(0, total, batch):
        rows = []
        for _ in range(start, min(start + batch, total)):
            picked = [v for v in violence if rng.random() < 0.35]
            age = rng.randint(18, 70)
            rows.append(
                Submission(
                    form=form,
                    version=version,
                    organization=form.organization,
                    instance_id=f"uuid:{uuidlib.uuid4()}",
                    source="import",
                    raw_instance=raw,
                    answers={
                        "consent": "yes",
                        "stats": "yes",
                        "municipality": rng.choice(municipalities),
                        "gender": rng.choice(["trans_woman", "cis_woman", "not_said"]),
                        "age": age,
                        "violence": picked,
                        "score": float(len(picked)),
                    },
                    municipality_pcode=rng.choice(municipalities),
                    zone_type=rng.choice(zones),
                    gender_identity=rng.choices(genders, weights=[30, 50, 8, 4, 8])[0],
                    nationality=rng.choices(nationalities, weights=[50, 40, 5, 3, 1, 1])[0],
                    migratory_status=rng.choice(statuses),
                    age_band=rng.choice(ages),
                    interview_date=first_day + timedelta(days=rng.randint(0, 700)),
                    statistics_consent=rng.random() < 0.93,
                )
            )
        for row in rows:
            fill_analysis(row, form.codebook)  # as the receiving path does
        with transaction.atomic():
            Submission.objects.bulk_create(rows)
        if start % 100_000 == 0:
            print(f"{start + len(rows)} submissions", file=sys.stderr, flush=True)
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("ANALYZE")
    return {"built": True, "submissions": total, "build_s": round(time.perf_counter() - started, 1)}


FORMS = {  # what is timed: form id and the analyst who reads it
    "instrument": ("amparo_risk_characterisation", "analyst@bench_instrument_owner.bench.invalid"),
    "small_form": ("bench_characterisation", "analyst@bench_characterisation.bench.invalid"),
}


def step_time(runs: int) -> dict[str, Any]:
    return {name: _time_form(form_id, email, runs) for name, (form_id, email) in FORMS.items()}


def _time_form(form_id: str, email: str, runs: int) -> dict[str, Any]:
    from django.contrib.auth import BACKEND_SESSION_KEY, HASH_SESSION_KEY, SESSION_KEY
    from django.contrib.sessions.backends.db import SessionStore
    from django.test import Client
    from django.urls import reverse
    from django_otp import DEVICE_ID_SESSION_KEY
    from django_otp.plugins.otp_totp.models import TOTPDevice

    from amparo.accounts.models import User
    from amparo.surveys.analysis import read_characterisation
    from amparo.surveys.models import Form
    from amparo.surveys.selectors import Filters, indicators_for_form

    form = Form.objects.get(form_id=form_id)
    user = User.objects.get(email=email)
    indicators = indicators_for_form(form, "es")
    selector = []
    for _ in range(runs + 1):
        started = time.perf_counter()
        reading = read_characterisation(actor=user, form=form, filters=Filters(), language="es")
        selector.append(time.perf_counter() - started)
    store = SessionStore()
    store[SESSION_KEY] = str(user.pk)
    store[BACKEND_SESSION_KEY] = "django.contrib.auth.backends.ModelBackend"
    store[HASH_SESSION_KEY] = user.get_session_auth_hash()
    device, _created = TOTPDevice.objects.get_or_create(user=user, name="bench", defaults={"confirmed": True})
    store[DEVICE_ID_SESSION_KEY] = device.persistent_id
    store.save()
    client = Client(HTTP_HOST="localhost")
    client.cookies["sessionid"] = store.session_key or ""
    url = reverse("surveys:characterisation", args=[form.uuid])
    page = []
    size = 0
    for _ in range(runs + 1):
        started = time.perf_counter()
        response = client.get(url)
        page.append(time.perf_counter() - started)
        if response.status_code != 200:
            raise SystemExit(f"the page answered {response.status_code}")
        size = len(response.content)
    return {
        "indicators": len(indicators),
        "counts_per_group": sum(len(i.categories) + (i.kind == "select_multiple") for i in indicators),
        "selector_s": summary(selector[1:]),  # the first run warms the caches
        "page_s": summary(page[1:]),
        "page_bytes": size,
        "respondents": reading.page.respondents,
        "hidden_cells": sum(t.hidden for t in reading.page.tables),
    }


def step_import(rows: int) -> dict[str, Any]:
    import random
    import resource
    import uuid as uuidlib

    from amparo.surveys.imports import import_file

    rng = random.Random(5)
    _org, user, version = _org_and_form(f"Red de Importación {uuidlib.uuid4().hex[:6]} (bench)", "bench_import")
    header = (
        "start;end;consent;about/stats;about/municipality;about/gender;about/age;about/violence;"
        "about/violence/clients;about/violence/police;about/violence/armed_groups;about/comment;today;"
        "_id;_uuid;_submission_time;_validation_status;_notes;_status;_submitted_by;__version__;_tags;_index"
    )
    path = BENCH_VAR / "surveys-import.csv"
    with path.open("w", encoding="utf-8") as out:
        out.write(header + "\n")
        for i in range(rows):
            picked = [v for v in ("clients", "police", "armed_groups") if rng.random() < 0.35]
            flags = ";".join("1" if v in picked else "0" for v in ("clients", "police", "armed_groups"))
            out.write(
                f"2026-11-20T10:00:00;2026-11-20T10:20:00;yes;yes;{rng.choice(['CO54001', 'CO11001'])};"
                f"{rng.choice(['trans_woman', 'cis_woman', 'not_said'])};{rng.randint(18, 70)};{' '.join(picked)};"
                f"{flags};Texto libre de la entrevista {i};2026-11-{rng.randint(1, 28):02d};{i};{uuidlib.uuid4()};"
                f"2026-11-21T10:00:00;;;submitted_via_web;;vBench;;{i + 1}\n"
            )
    usage = resource.getrusage(resource.RUSAGE_SELF)
    before, cpu_before = usage.ru_maxrss, usage.ru_utime + usage.ru_stime
    started = time.perf_counter()
    with path.open("rb") as data:
        report = import_file(version=version, filename=path.name, data=data, mode="all", user=user)
    elapsed = time.perf_counter() - started
    usage = resource.getrusage(resource.RUSAGE_SELF)
    peak, cpu = usage.ru_maxrss, usage.ru_utime + usage.ru_stime - cpu_before
    path.unlink()
    if report.file_error or report.problem_count:
        raise SystemExit(f"import failed: {report.file_error or report.problems[:3]}")
    return {
        "rows": rows,
        "imported": report.imported,
        "seconds": round(elapsed, 1),
        "rows_per_s": round(rows / elapsed),
        "cpu_s": round(cpu, 1),  # this process's CPU (the database server's is not in it): wall time on a busy
        # machine is mostly waiting
        "peak_rss_mb": round(peak / 1024, 1),
        "rss_before_mb": round(before / 1024, 1),
        "mode": "check then store (two passes over the file)",
    }


def run_worker(argv: list[str]) -> None:
    _setup()
    step = argv[0]
    if step == "build":
        result = step_build(int(argv[1]))
    elif step == "time":
        result = step_time(int(argv[1]))
    else:
        result = step_import(int(argv[1]))
    print(json.dumps(result))


# --- The bench ---------------------------------------------------------------------------------------------------


def bench(vendor: str) -> dict[str, Any]:
    env = django_env(database_url(vendor))
    marker = BENCH_VAR / f"surveys-{vendor}.built"
    if os.environ.get("BENCH_SURVEYS_REBUILD") == "1" or not marker.exists() or marker.read_text() != BUILD_MARK:
        log(f"{DB_LABEL[vendor]}: building {SUBMISSIONS:,} survey submissions (once; reused afterwards)")
        drop_database(vendor, BENCH_VAR / "surveys.sqlite3", PG_DB)
        manage(env, "migrate", "--noinput", "-v0")
        build = worker("build", vendor, str(SUBMISSIONS))
        marker.write_text(BUILD_MARK)
    else:
        manage(env, "migrate", "--noinput", "-v0", quiet=True)
        build = {"built": False, "submissions": SUBMISSIONS, "build_s": None}
    log(f"{DB_LABEL[vendor]}: timing the characterisation ({RUNS} runs)")
    timing = worker("time", vendor, str(RUNS))
    log(f"{DB_LABEL[vendor]}: importing {IMPORT_ROWS:,} rows of a Kobo-style CSV")
    imported = worker("import", vendor, str(IMPORT_ROWS))
    return {"build": build, "characterisation": timing, "import": imported}


def main() -> int:
    if len(sys.argv) > 1 and sys.argv[1] == "--worker":
        run_worker(sys.argv[2:])
        return 0
    BENCH_VAR.mkdir(parents=True, exist_ok=True)
    results: dict[str, Any] = {"started_at": datetime.now(UTC).isoformat(timespec="seconds")}
    for vendor in DATABASES:
        results[vendor] = bench(vendor)
    (BENCH_VAR / "surveys.json").write_text(json.dumps(results, indent=2))
    print(f"\nSurveys: risk characterisation over {SUBMISSIONS:,} submissions (seconds, p50/p95, in-process)")
    for vendor in DATABASES:
        for name, r in results[vendor]["characterisation"].items():
            verdict = "PASS" if r["page_s"]["p95"] < BUDGET_S else "FAIL"
            print(
                f"{DB_LABEL[vendor]:<12} {name:<11} ({r['indicators']} indicators, {r['counts_per_group']} counts a "
                f"group) selector {r['selector_s']['p50']:.2f}/{r['selector_s']['p95']:.2f}  "
                f"page {r['page_s']['p50']:.2f}/{r['page_s']['p95']:.2f}  budget {BUDGET_S:.0f} s: "
                f"{verdict if vendor == 'postgresql' and name == 'instrument' else 'n/a'}"
            )
        i = results[vendor]["import"]
        print(
            f"{'':<12} import of {i['rows']:,} Kobo CSV rows: {i['seconds']} s ({i['rows_per_s']:,} rows/s), "
            f"{i['cpu_s']} s of CPU in the importing process, peak memory {i['peak_rss_mb']} MB"
        )
    print("Figures: var/bench/surveys.json")
    return 0


if __name__ == "__main__":
    sys.exit(main())
