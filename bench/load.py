"""`make bench-load` (and the end of `make bench`): public visitors against the production stack over HTTPS.

LOAD_USERS concurrent visitors (default 200) for LOAD_SECONDS (default 60, counted after all have arrived) browse
like survivors and outreach workers on a phone: the home page, searches with the real queries of
bench/search_devset.json, pathway pages, service pages and the safe channel's form (GET; the channel's POSTs need a
proof of work and are rate-limited by design, so a flood of them measures the limits, not the pages). Each visitor
waits LOAD_WAIT_MIN..LOAD_WAIT_MAX seconds (default 1..4) between pages, as a person reading does. Locust drives
them as a library (gevent, FastHttpUser), verifying the stack's self-signed certificate.

The stack is scripts/prod-stack.sh's (var/prod, https://localhost:8443 unless AMPARO_PROD_* say otherwise): when it
is not running, this script starts it and stops it at the end; with no pages to visit it loads the demo data
(`manage.py load_demo`).
Printed: requests, errors, median, p95, p99 per page kind, and what else used the machine's CPU (the load
generator runs on the same cores). Figures go to var/bench/load.json. LOAD_STRICT=1: exit 1 on any error.
"""

from __future__ import annotations

import json
import os
import random
import re
import subprocess
import sys
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import gevent
import gevent.ssl

# Locust patches the standard library for gevent when imported: nothing above opens a socket or imports ssl.
import locust
from locust import FastHttpUser, between, task
from locust.env import Environment

ROOT = Path(__file__).resolve().parent.parent
STATE = Path(os.environ.get("AMPARO_PROD_DIR", ROOT / "var" / "prod"))
HOST = os.environ.get("AMPARO_PROD_HOST", "localhost")
PORT = os.environ.get("AMPARO_PROD_HTTPS_PORT", "8443")
BASE = f"https://{HOST}:{PORT}"
USERS = int(os.environ.get("LOAD_USERS", "200"))
SECONDS = float(os.environ.get("LOAD_SECONDS", "60"))
SPAWN_RATE = float(os.environ.get("LOAD_SPAWN_RATE", "40"))
WAIT = (float(os.environ.get("LOAD_WAIT_MIN", "1")), float(os.environ.get("LOAD_WAIT_MAX", "4")))
SCRIPT = ROOT / "scripts" / "prod-stack.sh"


def log(message: str) -> None:
    print(f"[load {time.strftime('%H:%M:%S')}] {message}", file=sys.stderr, flush=True)


def stack(*args: str, check: bool = True) -> subprocess.CompletedProcess[str]:
    return subprocess.run([str(SCRIPT), *args], cwd=ROOT, capture_output=True, text=True, check=check)


def manage(*args: str) -> str:
    app_env = dict(line.split("=", 1) for line in stack("env").stdout.splitlines() if "=" in line)
    python = os.environ.get("AMPARO_PYTHON", str(ROOT / ".venv" / "bin" / "python"))
    done = subprocess.run(
        [python, "manage.py", *args], cwd=ROOT, env={**os.environ, **app_env}, capture_output=True, text=True
    )
    if done.returncode:
        raise SystemExit(f"manage.py {' '.join(args)} failed:\n{done.stderr[-2000:]}")
    return done.stdout


def ssl_context() -> gevent.ssl.SSLContext:
    return gevent.ssl.create_default_context(cafile=str(STATE / "tls" / "cert.pem"))


# --- What the visitors read ---------------------------------------------------------------------------------


def search_queries() -> list[tuple[str, str]]:
    queries: list[tuple[str, str]] = []
    for name in ("search_devset.json", "search_devset_b.json"):
        path = ROOT / "bench" / name
        if path.exists():
            queries += [(q["lang"], q["query"]) for q in json.loads(path.read_text())["queries"]]
    return queries or [("es", "albergue"), ("es", "abogada"), ("es", "prueba de vih")]


def discover_pages() -> tuple[list[str], list[str]]:
    """Pathway and service pages, found the way a visitor finds them: from the pages' own links."""
    import httpx

    context = ssl_context()
    pathways: set[str] = set()
    services: set[str] = set()
    with httpx.Client(base_url=BASE, verify=context, timeout=30) as client:
        for lang in ("es", "pt", "en"):
            home = client.get(f"/{lang}/").text
            pathways |= set(re.findall(rf'href="(/{lang}/routes/[a-z0-9-]+/)"', home))
            for query in ("salud", "abogada", "albergue", "vih", "saude", "legal", "violencia"):
                page = client.get(f"/{lang}/services/", params={"q": query}).text
                services |= set(re.findall(rf'href="(/{lang}/services/[0-9a-f-]{{36}}/)"', page))
    return sorted(pathways), sorted(services)


QUERIES = search_queries()
PATHWAYS: list[str] = []
SERVICES: list[str] = []


class Visitor(FastHttpUser):
    """A public visitor: no cookie is ever sent (the public pages set none), the language from the URL."""

    host = BASE
    wait_time = between(*WAIT)
    insecure = False
    ssl_context_factory = staticmethod(ssl_context)
    default_headers = {"Accept-Language": "es", "User-Agent": "amparo-bench-load"}

    def _get(self, path: str, name: str, params: dict[str, str] | None = None) -> None:
        with self.client.get(path, params=params, name=name, catch_response=True) as response:
            if response.status_code != 200:
                response.failure(f"HTTP {response.status_code}")
            elif "set-cookie" in {k.lower() for k in response.headers}:
                response.failure("a public page set a cookie")

    @task(2)
    def home(self) -> None:
        self._get(random.choice(["/es/", "/pt/", "/en/"]), "home")

    @task(5)
    def search(self) -> None:
        lang, query = random.choice(QUERIES)
        self._get(f"/{lang}/services/", "search", {"q": query})

    @task(3)
    def pathway(self) -> None:
        if PATHWAYS:
            self._get(random.choice(PATHWAYS), "pathway")

    @task(4)
    def service(self) -> None:
        if SERVICES:
            self._get(random.choice(SERVICES), "service")

    @task(2)
    def channel_form(self) -> None:
        self._get(f"/{random.choice(['es', 'pt', 'en'])}/channel/report/", "channel form")


# --- The run -------------------------------------------------------------------------------------------------


def busy_processes() -> list[str]:
    """What else used the CPU: the top processes by CPU share since they started, and the load average."""
    out = subprocess.run(
        ["ps", "-eo", "pcpu,etimes,args", "--sort=-pcpu"], capture_output=True, text=True, check=False
    ).stdout
    return [line.strip()[:140] for line in out.splitlines()[1:13] if line.strip()]


def run() -> dict[str, Any]:
    global PATHWAYS, SERVICES
    PATHWAYS, SERVICES = discover_pages()
    if not PATHWAYS or not SERVICES:
        log("no pathway or service pages: loading the demo data (manage.py load_demo)")
        manage("load_demo")
        PATHWAYS, SERVICES = discover_pages()
    log(f"{len(QUERIES)} queries, {len(PATHWAYS)} pathway pages, {len(SERVICES)} service pages")
    if not PATHWAYS or not SERVICES:
        raise SystemExit("no pathway or service pages found: load the demo data (manage.py load_demo)")
    load_before = os.getloadavg()
    others_before = busy_processes()

    environment = Environment(user_classes=[Visitor], host=BASE)
    runner = environment.create_local_runner()
    runner.start(USERS, spawn_rate=SPAWN_RATE)
    log(f"{USERS} visitors arriving at {SPAWN_RATE:g}/s")
    if runner.spawning_greenlet is not None:
        runner.spawning_greenlet.join()
    environment.stats.reset_all()
    log(f"all {USERS} visitors browsing; measuring {SECONDS:g} s")
    started = time.monotonic()
    gevent.sleep(SECONDS)
    measured = time.monotonic() - started
    runner.quit()
    load_after = os.getloadavg()

    pages: dict[str, dict[str, float]] = {}
    for (name, _method), entry in sorted(environment.stats.entries.items()):
        pages[name] = {
            "requests": entry.num_requests,
            "errors": entry.num_failures,
            "median_ms": entry.get_response_time_percentile(0.5),
            "p95_ms": entry.get_response_time_percentile(0.95),
            "p99_ms": entry.get_response_time_percentile(0.99),
            "max_ms": entry.max_response_time,
            "rps": entry.num_requests / measured,
        }
    total = environment.stats.total
    errors = [
        {"page": e.name, "error": str(e.error), "count": e.occurrences} for e in environment.stats.errors.values()
    ]
    return {
        "when": datetime.now(UTC).isoformat(timespec="seconds"),
        "base": BASE,
        "users": USERS,
        "seconds": round(measured, 1),
        "wait_seconds": list(WAIT),
        "locust": locust.__version__,
        "cpus": os.cpu_count(),
        "load_average_before": [round(x, 2) for x in load_before],
        "load_average_after": [round(x, 2) for x in load_after],
        "busy_processes_before": others_before,
        "pages": pages,
        "total": {
            "requests": total.num_requests,
            "errors": total.num_failures,
            "p95_ms": total.get_response_time_percentile(0.95),
            "rps": total.num_requests / measured,
        },
        "errors": errors,
    }


def report(result: dict[str, Any]) -> None:
    print(f"\nLoad: {result['users']} concurrent public visitors for {result['seconds']} s against {result['base']}")
    print(f"(think time {result['wait_seconds'][0]:g}-{result['wait_seconds'][1]:g} s; Locust {result['locust']})\n")
    print(f"{'page':<14}{'requests':>9}{'errors':>8}{'req/s':>8}{'median':>9}{'p95':>8}{'p99':>8}{'max':>8}  (ms)")
    for name, page in result["pages"].items():
        print(
            f"{name:<14}{page['requests']:>9}{page['errors']:>8}{page['rps']:>8.1f}{page['median_ms']:>9.0f}"
            f"{page['p95_ms']:>8.0f}{page['p99_ms']:>8.0f}{page['max_ms']:>8.0f}"
        )
    total = result["total"]
    print(f"{'all':<14}{total['requests']:>9}{total['errors']:>8}{total['rps']:>8.1f}{'':>9}{total['p95_ms']:>8.0f}")
    for error in result["errors"]:
        print(f"  error on {error['page']}: {error['error']} x{error['count']}")
    print(
        f"\n{result['cpus']} CPUs; load average before {result['load_average_before']}, after "
        f"{result['load_average_after']}"
    )
    print("busiest processes before the run (%CPU since start, seconds running, command):")
    for line in result["busy_processes_before"][:8]:
        print(f"  {line}")


def main() -> int:
    started_here = stack("status", check=False).returncode != 0
    if started_here:
        log("starting the production stack (scripts/prod-stack.sh up)")
        stack("up")
    try:
        result = run()
    finally:
        if started_here:
            log("stopping the stack it started")
            stack("down", check=False)
    out = ROOT / "var" / "bench" / "load.json"
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(result, indent=2))
    report(result)
    if os.environ.get("LOAD_STRICT") == "1" and result["total"]["errors"]:
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
