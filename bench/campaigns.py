"""Campaigns benchmark (issue 17, "Measured"): pocket-card and poster PDF build time, and short-link redirect
throughput against /healthz over real HTTP.

    .venv/bin/python bench/campaigns.py
    BENCH_DATABASES=postgresql BENCH_CAMPAIGN_RUNS=10 .venv/bin/python bench/campaigns.py

A database of its own per vendor (var/bench/campaigns.sqlite3, PostgreSQL `amparo_bench_campaigns`) holds the demo
directory, the shipped pathways and one campaign (3 languages, every channel). Then:

1. In process: each material (pocket card, discreet card, A4 and A3 posters) is built BENCH_CAMPAIGN_RUNS times
   (default 5) through materials.py, after one warm-up build (WeasyPrint loads its fonts once per process); p50/p95/
   max seconds are printed.
2. Over real HTTP (gunicorn, 1 sync worker, bench/run.py's http_server): BENCH_CAMPAIGN_REQUESTS GETs (default 3000) at
   concurrency 2 of /healthz, then of the campaign's short links (each a 302 that counts the visit), requests per
   second of each and their ratio. The issue asks a redirect to be "as cheap as a static page". Twice: with the
   visits counted in the database (no shared cache: development, `make demo`) and in Redis as in production
   (a private redis-server, CACHE_URL=redis://..., then `flush_link_visits`). Afterwards the day's counters must
   add up to the redirects sent (no visit lost under concurrency).

Writes var/bench/campaigns.json. Exit status 0 (figures, not a gate), unless BENCH_STRICT=1 and the ratio is under
BENCH_CAMPAIGN_MIN_RATIO (default 0.5) or a count is lost.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import threading
import time
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
    ensure_postgres,
    fetch,
    http_server,
    log,
    manage,
    server_kind,
    summary,
)

RUNS = int(os.environ.get("BENCH_CAMPAIGN_RUNS", "5"))
# Each path is asked this many times: 300 (bench/run.py's default) lasted under a second here, too short to compare.
REQUESTS = int(os.environ.get("BENCH_CAMPAIGN_REQUESTS", "3000"))
DATABASES = [d.strip() for d in os.environ.get("BENCH_DATABASES", "sqlite,postgresql").split(",") if d.strip()]
SQLITE_FILE = BENCH_VAR / "campaigns.sqlite3"
PG_DB = "amparo_bench_campaigns"
MIN_RATIO = float(os.environ.get("BENCH_CAMPAIGN_MIN_RATIO", "0.5"))
STRICT = os.environ.get("BENCH_STRICT") == "1"
CAMPAIGN = "Bench campaign"


def database_url(vendor: str) -> str:
    return f"sqlite:///{SQLITE_FILE}" if vendor == "sqlite" else f"{PG_URL}/{PG_DB}"


# --- Inside Django (this file run with an argument) ----------------------------------------------------------------


def _setup_django() -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "amparo.settings")
    import django

    django.setup()


def prepare() -> dict[str, Any]:
    """The demo directory, the pathways and one campaign (made once); its short codes."""
    from datetime import date

    from django.core.management import call_command

    from amparo.accounts.models import Organization
    from amparo.campaigns.models import Campaign, ShortLink
    from amparo.campaigns.services import CampaignInput, campaign_create
    from amparo.directory.demo import build_directory
    from amparo.directory.models import Place
    from amparo.pathways.models import Pathway

    campaign = Campaign.objects.filter(name=CAMPAIGN).first()
    if campaign is None:
        build_directory()
        call_command("load_pathways", verbosity=0)
        organization, _made = Organization.objects.get_or_create(name="Bench campaigns org")
        campaign = campaign_create(
            actor=None,
            organization=organization,
            data=CampaignInput(
                name=CAMPAIGN, objective="bench", starts_on=date(2026, 1, 1), ends_on=None,
                languages=["es", "en", "pt"], channels=["card", "poster", "sms", "whatsapp", "radio"],
                zone_types=[], groups=[], places=list(Place.objects.filter(pcode="CO54001")),
                pathways=list(Pathway.objects.filter(slug__in=["sexual-violence-72h", "sti-hiv-covid"])),
                services=[], sms_segments=2,
            ),
        )  # fmt: skip
    codes = list(ShortLink.objects.filter(campaign=campaign).values_list("code", flat=True))
    return {"codes": codes}


def pdfs() -> dict[str, Any]:
    """Seconds per build of each printed material (pathway content read from the database each time)."""
    from amparo.campaigns import materials
    from amparo.campaigns.models import Campaign

    campaign = Campaign.objects.get(name=CAMPAIGN)
    url = "https://amparo.example.org/r/k7m2x9p"

    def content(discreet: bool) -> materials.Content:
        read = materials.content_for(campaign, "pathway", "sexual-violence-72h", "es")
        return materials.discreet(read) if discreet else read

    builds = {
        "card": lambda: materials.card_pdf(campaign, content(False), url),
        "card_discreet": lambda: materials.card_pdf(campaign, content(True), url),
        "poster_a4": lambda: materials.poster_pdf(campaign, content(False), url, "A4"),
        "poster_a3": lambda: materials.poster_pdf(campaign, content(False), url, "A3"),
    }
    builds["card"]()  # warm-up: WeasyPrint's fonts and the templates are loaded once per process
    results: dict[str, Any] = {}
    for name, build in builds.items():
        seconds, size = [], 0
        for _ in range(RUNS):
            started = time.perf_counter()
            size = len(build())
            seconds.append(time.perf_counter() - started)
        results[name] = {**summary(seconds), "bytes": size}
    return results


def visits() -> dict[str, Any]:
    from django.db.models import Sum

    from amparo.campaigns.models import LinkDay

    return {"visits": LinkDay.objects.filter(link__campaign__name=CAMPAIGN).aggregate(n=Sum("visits"))["n"] or 0}


# --- Outside: orchestration ----------------------------------------------------------------------------------------


def inside(env: dict[str, str], step: str) -> dict[str, Any]:
    done = subprocess.run([PYTHON, __file__, step], cwd=ROOT, env=env, capture_output=True, text=True)
    if done.returncode != 0:
        sys.stderr.write(done.stderr)
        raise SystemExit(f"bench/campaigns.py {step} failed ({done.returncode})")
    result: dict[str, Any] = json.loads(done.stdout.strip().splitlines()[-1])
    return result


def throughput(port: int, paths: list[str], total: int, expect: int, concurrency: int = 2) -> dict[str, float]:
    """Requests per second for `total` GETs cycling over paths, `concurrency` client threads (as bench/run.py's, with
    the expected status: a short link answers 302)."""
    lock = threading.Lock()
    state = {"next": 0, "errors": 0}

    def worker() -> None:
        while True:
            with lock:
                i = state["next"]
                if i >= total:
                    return
                state["next"] = i + 1
            if fetch(port, paths[i % len(paths)]).status != expect:
                with lock:
                    state["errors"] += 1

    threads = [threading.Thread(target=worker) for _ in range(concurrency)]
    started = time.perf_counter()
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    elapsed = time.perf_counter() - started
    return {"requests": total, "seconds": elapsed, "rps": total / elapsed, "errors": state["errors"]}


def ensure_database(vendor: str) -> None:
    if vendor != "postgresql":
        return
    ensure_postgres()
    import psycopg

    with psycopg.connect(f"{PG_URL}/postgres", autocommit=True) as conn:
        if conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", [PG_DB]).fetchone() is None:
            conn.execute(f'CREATE DATABASE "{PG_DB}"')


def bench(vendor: str) -> dict[str, Any]:
    ensure_database(vendor)
    env = django_env(database_url(vendor))
    log(f"{DB_LABEL[vendor]}: migrate and prepare the campaign")
    manage(env, "migrate", "--noinput", quiet=True)
    codes = inside(env, "prepare")["codes"]
    log(f"{DB_LABEL[vendor]}: {RUNS} builds of each PDF")
    pdf = inside(env, "pdfs")
    counting = {"database": _redirects(env, vendor, codes, "database")}
    from amparo.core.tests.redis_server import redis_server

    with redis_server() as redis:
        cache_env = {**env, "CACHE_URL": redis.url}
        counting["cache"] = _redirects(cache_env, vendor, codes, "cache")
    return {"vendor": vendor, "pdf_seconds": pdf, "counting": counting}


def _redirects(env: dict[str, str], vendor: str, codes: list[str], counting: str) -> dict[str, Any]:
    """Throughput of /healthz and of the short links on one server, the visits counted in the database (no shared
    cache) or in Redis (production's CACHE_URL) and then flushed; every redirect must be counted once."""
    before = inside(env, "visits")["visits"]
    with http_server(env, f"campaigns-{vendor}-{counting}") as port:
        for _ in range(20):  # warm-up of both paths
            fetch(port, "/healthz")
            fetch(port, f"/r/{codes[0]}")
        warm = 20
        log(f"{DB_LABEL[vendor]}, counted in the {counting}: {REQUESTS} GETs of /healthz, then of the short links")
        healthz = throughput(port, ["/healthz"], REQUESTS, 200)
        links = throughput(port, [f"/r/{code}" for code in codes], REQUESTS, 302)
    if counting == "cache":
        manage(env, "flush_link_visits", quiet=True)
    counted = inside(env, "visits")["visits"] - before
    return {
        "healthz": healthz,
        "short_links": links,
        "ratio": links["rps"] / healthz["rps"],
        "visits_counted": counted,
        "visits_sent": REQUESTS + warm,
    }


def report(results: list[dict[str, Any]]) -> str:
    lines = [f"Campaigns ({server_kind()}; {RUNS} builds per PDF, {REQUESTS} requests per path, concurrency 2)"]
    for r in results:
        lines.append(f"  {DB_LABEL[r['vendor']]}")
        for name, s in r["pdf_seconds"].items():
            times = f"p50 {s['p50']:.3f} s  p95 {s['p95']:.3f} s  max {s['max']:.3f} s"
            lines.append(f"    {name:<14} {times}  ({s['bytes']:,} bytes)")
        for counting, c in r["counting"].items():
            how = "one INCR in Redis, flushed after" if counting == "cache" else "one UPDATE of the day's row"
            lines.append(f"    visits counted in the {counting} ({how})")
            lines.append(f"      /healthz     {c['healthz']['rps']:.0f} req/s ({c['healthz']['errors']} errors)")
            links = c["short_links"]
            lines.append(f"      /r/<code>    {links['rps']:.0f} req/s ({links['errors']} errors)")
            ok = "ok" if c["ratio"] >= MIN_RATIO else "UNDER"
            lines.append(f"      ratio        {c['ratio']:.2f} of /healthz ({ok}, floor {MIN_RATIO})")
            lost = c["visits_sent"] - c["visits_counted"]
            lines.append(f"      counted      {c['visits_counted']} of {c['visits_sent']} redirects ({lost} lost)")
    return "\n".join(lines)


def main() -> int:
    BENCH_VAR.mkdir(parents=True, exist_ok=True)
    if os.environ.get("BENCH_CAMPAIGN_REBUILD") == "1":
        for vendor in DATABASES:
            drop_database(vendor, SQLITE_FILE, PG_DB)
    results = [bench(vendor) for vendor in DATABASES]
    text = report(results)
    print(text)
    out = BENCH_VAR / "campaigns.json"
    out.write_text(json.dumps({"at": datetime.now(UTC).isoformat(), "results": results}, indent=1))
    log(f"figures in {out}")
    failed = any(
        c["ratio"] < MIN_RATIO or c["visits_counted"] != c["visits_sent"]
        for r in results
        for c in r["counting"].values()
    )
    return 1 if STRICT and failed else 0


if __name__ == "__main__":
    if len(sys.argv) > 1:
        _setup_django()
        step = {"prepare": prepare, "pdfs": pdfs, "visits": visits}[sys.argv[1]]
        print(json.dumps(step()))
        raise SystemExit(0)
    raise SystemExit(main())
