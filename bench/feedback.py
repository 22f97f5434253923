"""Community-led monitoring benchmark (part of `make bench`; issue 17, part 3): anonymous feedback submissions
over real HTTP against gunicorn with one sync worker (one core), with the rate limit ON, on SQLite and PostgreSQL.

Two runs per database, each from 2 client threads that share one address (as behind a proxy):
1. limits as deployed (FEEDBACK_PER_MINUTE 30, FEEDBACK_PER_CLIENT_PER_HOUR 6, FEEDBACK_PER_SERVICE_PER_DAY 40):
   how many answers are accepted and how fast a flood is refused (the 429 page, decided before the body is read);
2. limits raised far above the load (the limiter still counts every request in the cache): how many answers per
   second one core stores (form token checked and spent, three counters, one insert, the alert check; a fifth of
   the answers report discrimination, so the alert query runs).
Printed: requests per second, p50/p95 server time (Server-Timing from bench/timing_wsgi.py) of accepted and refused
answers, and the ratio to /healthz on the same server. Writes var/bench/feedback.json.

Environment: BENCH_FEEDBACK_SECONDS (per run, default 10), BENCH_DATABASES (default "sqlite,postgresql").
"""

from __future__ import annotations

import http.client
import json
import os
import re
import subprocess
import sys
import threading
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

sys.path.insert(0, str(Path(__file__).resolve().parent))

from run import BENCH_VAR, DB_LABEL, PG_URL, PYTHON, ROOT, django_env, drop_database, http_server, log, manage, summary

SECONDS = float(os.environ.get("BENCH_FEEDBACK_SECONDS", "10"))
DATABASES = [d.strip() for d in os.environ.get("BENCH_DATABASES", "sqlite,postgresql").split(",") if d.strip()]
PG_DB = "amparo_bench_feedback"
THREADS = 2

SETUP = """
from amparo.directory.models import Location, Organization, Place, Service, ServiceAtLocation
co = Place.objects.create(pcode="CO", name="Colombia", level=0, latitude=4.6, longitude=-74.1)
ns = Place.objects.create(pcode="CO54", name="Norte de Santander", level=1, parent=co, latitude=7.9, longitude=-72.5)
cucuta = Place.objects.create(pcode="CO54001", name="Cúcuta", level=2, parent=ns, latitude=7.89, longitude=-72.5)
org = Organization.objects.create(name="Hospital (bench)", kind="health")
location = Location.objects.create(organization=org, name="Sede", address="Calle 1", place=cucuta,
                                   latitude=7.89, longitude=-72.5)
service = Service.objects.create(organization=org, name="Urgencias (bench)")
sal = ServiceAtLocation.objects.create(service=service, location=location)
print(sal.uuid)
"""


def feedback_env(vendor: str, raised: bool) -> dict[str, str]:
    url = f"sqlite:///{BENCH_VAR / 'feedback.sqlite3'}" if vendor == "sqlite" else f"{PG_URL}/{PG_DB}"
    env = django_env(url)
    if raised:  # counted, never refused: measures the work with the limiter in the path
        env.update(
            FEEDBACK_PER_MINUTE="1000000",
            FEEDBACK_PER_CLIENT_PER_HOUR="1000000",
            FEEDBACK_PER_SERVICE_PER_DAY="1000000",
        )
    return env


def fresh_database(vendor: str, env: dict[str, str]) -> str:
    drop_database(vendor, BENCH_VAR / "feedback.sqlite3", PG_DB)
    manage(env, "migrate", "--noinput", "-v0")
    done = subprocess.run(
        [PYTHON, "manage.py", "shell", "-c", SETUP], cwd=ROOT, env=env, check=True, capture_output=True, text=True
    )
    return done.stdout.strip().splitlines()[-1]


def request(port: int, method: str, path: str, body: bytes | None = None) -> tuple[int, str, float]:
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=120)
    try:
        headers = {"Sec-Fetch-Site": "same-origin"}
        if body is not None:
            headers["Content-Type"] = "application/x-www-form-urlencoded"
        conn.request(method, path, body=body, headers=headers)
        response = conn.getresponse()
        text = response.read().decode()
        match = re.search(r"app;dur=([0-9.]+)", response.getheader("server-timing") or "")
        return response.status, text, float(match.group(1)) if match else float("nan")
    finally:
        conn.close()


def tokens(port: int, path: str, n: int) -> list[str]:
    found = []
    for _ in range(n):
        status, text, _ms = request(port, "GET", path)
        match = re.search(r'name="form_token" value="([^"]+)"', text)
        if status != 200 or not match:
            raise SystemExit(f"no feedback form ({status})")
        found.append(match.group(1))
    return found


def flood(port: int, path: str, seconds: float, pool: list[str]) -> dict[str, Any]:
    status, text, _ms = request(port, "GET", path)
    offered = re.search(r'<option value="(\d{4}-\d{2})" selected', text)  # the month the form offers first
    if status != 200 or not offered:
        raise SystemExit(f"no month in the feedback form ({status})")
    month = offered.group(1)
    lock = threading.Lock()
    results: dict[int, list[float]] = {}
    deadline = time.perf_counter() + seconds

    def worker() -> None:
        while time.perf_counter() < deadline:
            with lock:
                if not pool:
                    return
                token = pool.pop()
                i = len(pool)
            answers = {"attended": "yes", "respected": "yes"} if i % 5 else {"turned_away": "yes", "reasons": "trans"}
            body = urlencode({"form_token": token, "visit_month": month, **answers}).encode()
            status, _text, ms = request(port, "POST", path, body)
            with lock:
                results.setdefault(status, []).append(ms)

    threads = [threading.Thread(target=worker) for _ in range(THREADS)]
    started = time.perf_counter()
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    elapsed = time.perf_counter() - started
    total = sum(len(v) for v in results.values())
    unexpected = {s: len(v) for s, v in results.items() if s not in {200, 429}}
    if unexpected:
        raise SystemExit(f"unexpected answers: {unexpected}")
    return {
        "seconds": elapsed,
        "requests": total,
        "rps": total / elapsed,
        "accepted": len(results.get(200, [])),
        "refused": len(results.get(429, [])),
        "accepted_ms": summary(results.get(200, [])) if results.get(200) else None,
        "refused_ms": summary(results.get(429, [])) if results.get(429) else None,
    }


def healthz_rps(port: int, seconds: float) -> float:
    count = 0
    lock = threading.Lock()
    deadline = time.perf_counter() + seconds

    def worker() -> None:
        nonlocal count
        while time.perf_counter() < deadline:
            request(port, "GET", "/healthz")
            with lock:
                count += 1

    threads = [threading.Thread(target=worker) for _ in range(THREADS)]
    started = time.perf_counter()
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return count / (time.perf_counter() - started)


def bench(vendor: str) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for label, raised in (("limits_as_deployed", False), ("limits_raised", True)):
        env = feedback_env(vendor, raised)
        log(f"{DB_LABEL[vendor]}: fresh feedback database ({label})")
        sal = fresh_database(vendor, env)
        path = f"/es/services/{sal}/feedback/"
        with http_server(env, f"feedback-{vendor}-{label}") as port:
            pool = tokens(port, path, int(SECONDS * 150))  # forms fetched beforehand: the run measures the POSTs
            run = flood(port, path, SECONDS, pool)
            run["healthz_rps"] = healthz_rps(port, min(SECONDS, 5))
            run["ratio_to_healthz"] = run["rps"] / run["healthz_rps"]
            out[label] = run
    return out


def main() -> int:
    BENCH_VAR.mkdir(parents=True, exist_ok=True)
    results: dict[str, Any] = {"when": datetime.now(UTC).isoformat(), "seconds": SECONDS, "threads": THREADS}
    for vendor in DATABASES:
        if vendor == "postgresql":
            try:
                subprocess.run(["pg_isready", "-h", "127.0.0.1"], check=True, capture_output=True)
            except (OSError, subprocess.CalledProcessError):
                log("PostgreSQL is not available: skipped")
                continue
        results[vendor] = bench(vendor)
    (BENCH_VAR / "feedback.json").write_text(json.dumps(results, indent=2))
    print("\nFeedback submissions (1 gunicorn sync worker, 2 client threads behind one address, rate limit on)")
    for vendor in DATABASES:
        if vendor not in results:
            continue
        for label, run in results[vendor].items():
            accepted = run["accepted_ms"] or {}
            refused = run["refused_ms"] or {}
            print(
                f"  {DB_LABEL[vendor]:<10} {label:<19} {run['rps']:7.1f} req/s "
                f"({run['ratio_to_healthz']:.2f} x /healthz "
                f"{run['healthz_rps']:.0f}/s): {run['accepted']} accepted"
                + (f" p50 {accepted['p50']:.1f} ms p95 {accepted['p95']:.1f} ms" if accepted else "")
                + f", {run['refused']} refused (429)"
                + (f" p50 {refused['p50']:.1f} ms p95 {refused['p95']:.1f} ms" if refused else "")
            )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
