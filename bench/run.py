"""`make bench`: Amparo's performance budgets (DESIGN.md, Budgets), measured and printed with pass/fail.

1. Directory search with 100,000 services on SQLite and PostgreSQL: server time of the search view over real HTTP
   (gunicorn, 1 sync worker, timed by bench/timing_wsgi.py and read from its Server-Timing header), throughput at
   concurrency 2 against /healthz on the same server, and search_services() timed in-process for the same queries.
2. Page weight of every public page on the demo directory: HTML, gzip, and the CSS/JS it references.

The generated databases are kept between runs (var/bench/search.sqlite3 and the PostgreSQL database amparo_bench)
and rebuilt only when their service count differs. Figures go to var/bench/results.json.

Environment: BENCH_SERVICES (default 100000), BENCH_REQUESTS (throughput requests per view, default 300; no new
request is sent after BENCH_THROUGHPUT_SECONDS, default 60, so a slow search cannot stretch the run),
BENCH_DATABASES (default "sqlite,postgresql"), BENCH_PG_URL (server URL, default postgres://postgres@127.0.0.1:5432),
BENCH_SQLITE and BENCH_PG_DB (the cached databases' file and name), BENCH_REGENERATE=1 (rebuild them),
BENCH_STRICT=1 (exit 1 when a budget fails; by default the figures are printed and the exit status is 0).
"""

from __future__ import annotations

import gzip
import http.client
import importlib.metadata
import importlib.util
import json
import os
import platform
import random
import re
import socket
import subprocess
import sys
import threading
import time
import uuid
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from html.parser import HTMLParser
from pathlib import Path
from typing import Any
from urllib.parse import urljoin, urlsplit

from mix import CROSS_CHECK_EVERY, WARM_UP_EVERY, Query, query_mix

ROOT = Path(__file__).resolve().parent.parent
BENCH_DIR = ROOT / "bench"
BENCH_VAR = ROOT / "var" / "bench"
PYTHON = sys.executable

SERVICES = int(os.environ.get("BENCH_SERVICES", "100000"))
REQUESTS = int(os.environ.get("BENCH_REQUESTS", "300"))
THROUGHPUT_SECONDS = float(os.environ.get("BENCH_THROUGHPUT_SECONDS", "60"))
DATABASES = [d.strip() for d in os.environ.get("BENCH_DATABASES", "sqlite,postgresql").split(",") if d.strip()]
PG_URL = os.environ.get("BENCH_PG_URL", "postgres://postgres@127.0.0.1:5432").rstrip("/")
PG_DB = os.environ.get("BENCH_PG_DB", "amparo_bench")

SEARCH_BUDGET_MS = {"sqlite": 100.0, "postgresql": 50.0}
PAGE_BUDGET_BYTES = 30_000  # "30 KB transferred", read strictly as 30,000 bytes
DB_LABEL = {"sqlite": "SQLite", "postgresql": "PostgreSQL"}


def log(message: str) -> None:
    print(f"[bench {time.strftime('%H:%M:%S')}] {message}", file=sys.stderr, flush=True)


# --- Statistics -------------------------------------------------------------------------------------------


def percentile(values: Sequence[float], p: float) -> float:
    """Linear interpolation between closest ranks (numpy's default)."""
    if not values:
        return float("nan")
    ordered = sorted(values)
    rank = (len(ordered) - 1) * p / 100
    low = int(rank)
    high = min(low + 1, len(ordered) - 1)
    return ordered[low] + (ordered[high] - ordered[low]) * (rank - low)


def summary(values: Sequence[float]) -> dict[str, float]:
    return {
        "n": len(values),
        "p50": percentile(values, 50),
        "p95": percentile(values, 95),
        "p99": percentile(values, 99),
        "max": max(values) if values else float("nan"),
        "mean": sum(values) / len(values) if values else float("nan"),
    }


# --- Subprocesses: Django against one database ------------------------------------------------------------


def django_env(database_url: str) -> dict[str, str]:
    env = dict(os.environ)
    env.update(
        DATABASE_URL=database_url,
        AMPARO_VAR_DIR=str(BENCH_VAR),
        AMPARO_ENV="development",
        DEBUG="false",
        DJANGO_SETTINGS_MODULE="amparo.settings",
        PYTHONUNBUFFERED="1",
        # The repository first, so the code under test is this checkout even without `pip install -e`.
        PYTHONPATH=os.pathsep.join(p for p in (str(ROOT), os.environ.get("PYTHONPATH", "")) if p),
    )
    return env


def manage(env: dict[str, str], *args: str, quiet: bool = False) -> None:
    subprocess.run([PYTHON, "manage.py", *args], cwd=ROOT, env=env, check=True, capture_output=quiet, text=True)


def inproc(env: dict[str, str], *args: str) -> dict[str, Any]:
    done = subprocess.run(
        [PYTHON, str(BENCH_DIR / "inproc.py"), *args], cwd=ROOT, env=env, capture_output=True, text=True
    )
    if done.returncode != 0:
        sys.stderr.write(done.stderr)
        raise SystemExit(f"bench/inproc.py {' '.join(args)} failed ({done.returncode})")
    result: dict[str, Any] = json.loads(done.stdout)
    return result


def sqlite_path() -> Path:
    return Path(os.environ.get("BENCH_SQLITE", str(BENCH_VAR / "search.sqlite3")))


def database_url(vendor: str) -> str:
    if vendor == "sqlite":
        return f"sqlite:///{sqlite_path()}"
    return f"{PG_URL}/{PG_DB}"


def ensure_postgres() -> None:
    script = ROOT / "scripts" / "ensure-postgres.sh"
    if "postgresql" in DATABASES and script.exists() and PG_URL.endswith("127.0.0.1:5432"):
        subprocess.run([str(script)], cwd=ROOT, check=True)


def _pg_admin(statement: str) -> None:
    import psycopg

    with psycopg.connect(f"{PG_URL}/postgres", autocommit=True) as conn:
        conn.execute(statement)


def _pg_exists() -> bool:
    import psycopg

    with psycopg.connect(f"{PG_URL}/postgres", autocommit=True) as conn:
        return conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", [PG_DB]).fetchone() is not None


def drop_database(vendor: str, sqlite_file: Path | None = None, pg_db: str = PG_DB) -> None:
    """An empty database for a benchmark (the search one by default; bench/channel.py and cases.py name theirs)."""
    if vendor == "sqlite":
        for suffix in ("", "-wal", "-shm", "-journal"):
            Path(f"{sqlite_file or sqlite_path()}{suffix}").unlink(missing_ok=True)
    else:
        ensure_postgres()
        _pg_admin(f'DROP DATABASE IF EXISTS "{pg_db}" WITH (FORCE)')
        _pg_admin(f'CREATE DATABASE "{pg_db}"')


def prepare_search_database(vendor: str) -> dict[str, Any]:
    """Migrate, and (re)generate the directory when it does not hold exactly SERVICES services."""
    env = django_env(database_url(vendor))
    if vendor == "postgresql" and not _pg_exists():
        _pg_admin(f"CREATE DATABASE {PG_DB}")
    try:
        manage(env, "migrate", "--noinput", "-v0", quiet=True)
        existing = inproc(env, "count")["services"]
    except (subprocess.CalledProcessError, SystemExit) as exc:
        # A schema the current migrations cannot upgrade (e.g. a new custom user model): start again.
        lines = (exc.stderr or "").strip().splitlines() if isinstance(exc, subprocess.CalledProcessError) else []
        detail = lines[-1] if lines else str(exc)
        log(f"{DB_LABEL[vendor]}: the cached bench database cannot be migrated ({detail}); rebuilding it")
        existing = -1
    if os.environ.get("BENCH_REGENERATE") == "1":
        existing = -1
    info: dict[str, Any] = {"reused": existing == SERVICES, "generate_s": None}
    if existing != SERVICES:
        log(f"{DB_LABEL[vendor]}: {existing} services in the bench database, generating {SERVICES:,} (a few minutes)")
        drop_database(vendor)
        manage(env, "migrate", "--noinput", "-v0")
        started = time.perf_counter()
        manage(env, "generate_directory", "--services", str(SERVICES))
        info["generate_s"] = round(time.perf_counter() - started, 1)
    else:
        log(f"{DB_LABEL[vendor]}: reusing the bench database ({SERVICES:,} services)")
    if vendor == "postgresql":
        inproc(env, "analyze")  # what autovacuum does shortly after a bulk load; makes runs comparable
    return info


# --- The HTTP server --------------------------------------------------------------------------------------


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


def server_kind() -> str:
    if importlib.util.find_spec("gunicorn") is not None:
        return f"gunicorn {importlib.metadata.version('gunicorn')}, 1 sync worker"
    return "wsgiref (gunicorn not installed), single-threaded"


@dataclass
class Response:
    status: int
    headers: dict[str, str]
    body: bytes
    wall_ms: float

    @property
    def server_ms(self) -> float | None:
        match = re.search(r"app;dur=([0-9.]+)", self.headers.get("server-timing", ""))
        return float(match.group(1)) if match else None


def fetch(port: int, path: str, *, compressed: bool = True) -> Response:
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=120)
    try:
        started = time.perf_counter()
        conn.request("GET", path, headers={"Accept-Encoding": "gzip"} if compressed else {})
        response = conn.getresponse()
        body = response.read()
        wall_ms = (time.perf_counter() - started) * 1000
        headers = {k.lower(): v for k, v in response.getheaders()}
        return Response(response.status, headers, body, wall_ms)
    finally:
        conn.close()


def multipart(fields: list[tuple[str, str]], files: list[tuple[str, str, str, bytes]]) -> tuple[bytes, str]:
    """A multipart/form-data body and its content type: `fields` (name, value), `files` (field, file name, type,
    bytes)."""
    boundary = f"bench{uuid.uuid4().hex}"
    parts = [f'--{boundary}\r\nContent-Disposition: form-data; name="{k}"\r\n\r\n{v}\r\n'.encode() for k, v in fields]
    for name, filename, content_type, data in files:
        parts.append(
            f'--{boundary}\r\nContent-Disposition: form-data; name="{name}"; filename="{filename}"\r\n'
            f"Content-Type: {content_type}\r\n\r\n".encode()
            + data
            + b"\r\n"
        )
    parts.append(f"--{boundary}--\r\n".encode())
    return b"".join(parts), f"multipart/form-data; boundary={boundary}"


@contextmanager
def http_server(
    env: dict[str, str], name: str, workers: tuple[str, ...] = ("--workers=1", "--worker-class=sync")
) -> Iterator[int]:
    """gunicorn on a free loopback port (one sync worker: one core, unless `workers` says otherwise) until the
    block ends; without gunicorn, the single-threaded timing server."""
    port = _free_port()
    if importlib.util.find_spec("gunicorn") is not None:
        command = [
            PYTHON,
            "-m",
            "gunicorn",
            *workers,
            f"--bind=127.0.0.1:{port}",
            f"--pythonpath={ROOT},{BENCH_DIR}",
            "--timeout=120",
            "--log-level=warning",
            "timing_wsgi:application",
        ]
    else:
        command = [PYTHON, str(BENCH_DIR / "timing_wsgi.py"), str(port)]
    log_path = BENCH_VAR / f"server-{name}.log"
    with log_path.open("w") as log_file:
        process = subprocess.Popen(command, cwd=ROOT, env=env, stdout=log_file, stderr=subprocess.STDOUT)
        try:
            deadline = time.monotonic() + 60
            while True:
                if process.poll() is not None:
                    raise SystemExit(f"the server exited at start-up; see {log_path}")
                try:
                    if fetch(port, "/healthz").status == 200:
                        break
                except OSError:
                    pass
                if time.monotonic() > deadline:
                    raise SystemExit(f"the server did not answer /healthz within 60 s; see {log_path}")
                time.sleep(0.2)
            yield port
        finally:
            process.terminate()
            try:
                process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()


def throughput(port: int, paths: Sequence[str], total: int, concurrency: int = 2) -> dict[str, float]:
    """Requests per second for `total` GETs (cycling over paths) sent by `concurrency` client threads.

    No request starts after THROUGHPUT_SECONDS: the figure is then over the requests completed."""
    lock = threading.Lock()
    state = {"next": 0, "errors": 0}
    deadline = time.perf_counter() + THROUGHPUT_SECONDS

    def worker() -> None:
        while True:
            with lock:
                i = state["next"]
                if i >= total or time.perf_counter() > deadline:
                    return
                state["next"] = i + 1
            response = fetch(port, paths[i % len(paths)])
            if response.status != 200:
                with lock:
                    state["errors"] += 1

    threads = [threading.Thread(target=worker) for _ in range(concurrency)]
    started = time.perf_counter()
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    elapsed = time.perf_counter() - started
    done = state["next"]
    return {"requests": done, "planned": total, "seconds": elapsed, "rps": done / elapsed, "errors": state["errors"]}


# --- 1. Search ------------------------------------------------------------------------------------------


def bench_search(vendor: str, queries: list[Query]) -> dict[str, Any]:
    prepared = prepare_search_database(vendor)
    env = django_env(database_url(vendor))
    label = DB_LABEL[vendor]

    log(f"{label}: in-process search_services() and test client, {len(queries)} queries")
    local = inproc(env, "search")

    log(f"{label}: HTTP server time, {len(queries)} queries (after a warm-up)")
    with http_server(env, f"search-{vendor}") as port:
        for q in queries[::WARM_UP_EVERY]:
            fetch(port, q.path)
        server_ms: list[float] = []
        wall_ms: list[float] = []
        statuses: dict[int, int] = {}
        for q in queries:
            response = fetch(port, q.path)
            statuses[response.status] = statuses.get(response.status, 0) + 1
            wall_ms.append(response.wall_ms)
            server_ms.append(response.server_ms if response.server_ms is not None else float("nan"))
        log(f"{label}: throughput, {REQUESTS} requests each at concurrency 2")
        shuffled = random.Random(7).sample([q.path for q in queries], len(queries))  # every kind early on
        search_rps = throughput(port, shuffled, REQUESTS)
        trivial_rps = throughput(port, ["/healthz"], REQUESTS)

    per_query = [
        {
            "kind": q.kind,
            "path": q.path,
            "server_ms": s,
            "wall_ms": w,
            "selector_ms": sel,
            "hits": h,
            "sql": sql,
        }
        for q, s, w, sel, h, sql in zip(
            queries, server_ms, wall_ms, local["selector_ms"], local["hits"], local["sql"], strict=True
        )
    ]
    for i, ms in zip(range(0, len(queries), CROSS_CHECK_EVERY), local["client_ms"], strict=True):
        per_query[i]["test_client_ms"] = ms
    kinds: dict[str, dict[str, float]] = {}
    for kind in dict.fromkeys(q.kind for q in queries):
        kinds[kind] = summary([p["server_ms"] for p in per_query if p["kind"] == kind])
    slowest = sorted(range(len(per_query)), key=lambda i: per_query[i]["server_ms"], reverse=True)[:3]
    log(f"{label}: profiling the 3 slowest queries")
    profile_path = BENCH_VAR / f"profile-{vendor}.txt"
    try:
        profile_path.write_text(_profile_text(label, inproc(env, "explain", *map(str, slowest))))
    except SystemExit as exc:  # the profile is a help, not a figure: report and go on
        log(f"{label}: profiling failed: {exc}")
        profile_path.write_text(f"profiling failed: {exc}\n")
    bad_statuses = sum(n for status, n in statuses.items() if status != 200)
    return {
        "database": label,
        "services": SERVICES,
        "prepared": prepared,
        "queries": len(queries),
        "statuses": statuses,
        "server_ms": summary(server_ms),
        "http_round_trip_ms": summary(wall_ms),
        "selector_ms": summary(local["selector_ms"]),
        "test_client_ms": summary(local["client_ms"]),
        "server_ms_cross_check_subset": summary(server_ms[::CROSS_CHECK_EVERY]),
        "sql_statements_per_search": summary([float(s["statements"]) for s in local["sql"]]),
        "by_kind_server_ms": kinds,
        "throughput": {
            "search": search_rps,
            "healthz": trivial_rps,
            "ratio": search_rps["rps"] / trivial_rps["rps"],
        },
        "budget_p95_ms": SEARCH_BUDGET_MS[vendor],
        "pass": summary(server_ms)["p95"] < SEARCH_BUDGET_MS[vendor] and not bad_statuses,
        "slowest": [per_query[i] for i in slowest],
        "profile_file": str(profile_path.relative_to(ROOT)),
        "per_query": per_query,
    }


def _profile_text(label: str, profile: dict[str, Any]) -> str:
    lines = [f"{label}: the slowest queries of the mix, each SQL statement with its time and plan", ""]
    for q in profile["queries"]:
        lines.append(f"=== #{q['index']} {q['path']}  search_services() {q['selector_ms']:.1f} ms")
        for st in q["statements"]:
            lines.append(f"--- {st['ms']:.2f} ms")
            lines.append(st["sql"])
            if st["plan"]:
                lines.append(st["plan"])
        lines.append("")
    return "\n".join(lines)


# --- 2. Page weight -------------------------------------------------------------------------------------


class _Resources(HTMLParser):
    """URLs a browser fetches on its own when it loads the page (not links)."""

    def __init__(self) -> None:
        super().__init__()
        self.urls: list[str] = []
        self.has_icon = False

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = {k: v or "" for k, v in attrs}
        if tag == "link":
            rel = a.get("rel", "").lower().split()
            if "icon" in rel:
                self.has_icon = True
            if {"stylesheet", "icon", "preload", "modulepreload", "manifest", "apple-touch-icon"} & set(rel):
                self.urls.append(a.get("href", ""))
        elif tag in {"script", "img", "iframe", "audio", "video", "source", "embed", "input"} and a.get("src"):
            self.urls.append(a["src"])
        elif tag == "object" and a.get("data"):
            self.urls.append(a["data"])
        if a.get("srcset"):
            self.urls += [part.strip().split()[0] for part in a["srcset"].split(",") if part.strip()]
        if a.get("style"):
            self.urls += re.findall(r"url\(\s*['\"]?([^'\")]+)", a["style"])


def _is_local(url: str) -> bool:
    parts = urlsplit(url)
    return not parts.netloc and parts.scheme in {"", "http", "https"}


@dataclass
class Asset:
    url: str
    raw: int
    compressed: int
    server_compressed: bool


@dataclass
class Page:
    name: str
    path: str
    status: int
    html: int
    html_gz: int
    assets: list[Asset] = field(default_factory=list)
    third_party: list[str] = field(default_factory=list)

    @property
    def total(self) -> int:
        return self.html_gz + sum(a.compressed for a in self.assets)


def _compressed_size(response: Response) -> tuple[int, bool]:
    if response.headers.get("content-encoding") == "gzip":
        return len(response.body), True
    return len(gzip.compress(response.body, 9)), False


def measure_page(port: int, name: str, path: str, assets: dict[str, Asset]) -> tuple[Page, str]:
    plain = fetch(port, path, compressed=False)
    packed = fetch(port, path)
    html_gz, _ = _compressed_size(packed)
    text = plain.body.decode("utf-8", "replace")
    parser = _Resources()
    parser.feed(text)
    page = Page(name, path, plain.status, len(plain.body), html_gz)
    urls = list(dict.fromkeys(urljoin(path, u) for u in parser.urls if u and not u.startswith("data:")))
    if not parser.has_icon:
        urls.append("/favicon.ico")  # browsers ask for it when the page names no icon
    while urls:
        url = urls.pop(0)
        if not _is_local(url):
            page.third_party.append(url)
            continue
        local = urlsplit(url)
        local_path = local.path + (f"?{local.query}" if local.query else "")
        if local_path not in assets:
            response = fetch(port, local_path)
            size, by_server = _compressed_size(response)
            raw = len(gzip.decompress(response.body)) if by_server else len(response.body)
            assets[local_path] = Asset(local_path, raw, size, by_server)
            if response.headers.get("content-type", "").startswith("text/css"):
                body = gzip.decompress(response.body) if by_server else response.body
                for u in re.findall(r"url\(\s*['\"]?([^'\")]+)", body.decode("utf-8", "replace")):
                    if not u.startswith("data:"):
                        urls.append(urljoin(local_path, u))
        if assets[local_path] not in page.assets:
            page.assets.append(assets[local_path])
    return page, text


def bench_pages() -> dict[str, Any]:
    demo_db = BENCH_VAR / "demo.sqlite3"
    env = django_env(f"sqlite:///{demo_db}")
    log("Page weight: demo directory (load_demo) on a fresh var/bench/demo.sqlite3")
    for suffix in ("", "-wal", "-shm", "-journal"):  # a few seconds to rebuild: always today's demo
        Path(f"{demo_db}{suffix}").unlink(missing_ok=True)
    manage(env, "migrate", "--noinput", "-v0")
    subprocess.run([PYTHON, "manage.py", "load_demo"], cwd=ROOT, env=env, check=True, stdout=subprocess.DEVNULL)
    pages: list[Page] = []
    assets: dict[str, Asset] = {}
    notes: list[str] = []
    with http_server(env, "pages") as port:
        home = ""
        for lang in ("es", "en", "pt"):
            page, text = measure_page(port, f"home ({lang})", f"/{lang}/", assets)
            pages.append(page)
            home = text if lang == "es" else home
        page, search_html = measure_page(port, "search: Cúcuta", "/es/services/?place=CO54001", assets)
        pages.append(page)
        services = re.findall(r'href="(/es/services/[0-9a-f-]{36}/)"', search_html)
        if services:
            pages.append(measure_page(port, "service page", services[0], assets)[0])
        else:
            notes.append("no service link found on the Cúcuta search page")
        slugs = list(dict.fromkeys(re.findall(r'href="/es/routes/([a-z0-9-]+)/', home)))
        if len(slugs) != 7:
            notes.append(f"{len(slugs)} pathways linked from /es/, 7 expected")
        for slug in slugs:
            pages.append(measure_page(port, f"pathway {slug}", f"/es/routes/{slug}/?place=CO54001", assets)[0])
        if slugs:
            pages.append(
                measure_page(port, f"print {slugs[0]}", f"/es/routes/{slugs[0]}/print/?place=CO54001", assets)[0]
            )
            pages.append(
                measure_page(port, f"A7 card {slugs[0]}", f"/es/routes/{slugs[0]}/card/?place=CO54001", assets)[0]
            )
        pages.append(measure_page(port, "safety", "/es/safety/", assets)[0])
    if any(not a.server_compressed for a in assets.values() if not a.url.startswith("/favicon")):
        notes.append(
            "static files are not compressed by the development server; their size is gzip -9, "
            "as WhiteNoise's CompressedManifestStaticFilesStorage precompresses them in production"
        )
    return {
        "budget_bytes": PAGE_BUDGET_BYTES,
        "pages": [
            {
                "name": p.name,
                "path": p.path,
                "status": p.status,
                "html_bytes": p.html,
                "html_gzip_bytes": p.html_gz,
                "assets": [a.__dict__ for a in p.assets],
                "assets_gzip_bytes": sum(a.compressed for a in p.assets),
                "total_gzip_bytes": p.total,
                "third_party": p.third_party,
                "pass": p.status == 200 and p.total <= PAGE_BUDGET_BYTES and not p.third_party,
            }
            for p in pages
        ],
        "notes": notes,
    }


# --- Report ---------------------------------------------------------------------------------------------


def _f(value: float) -> str:
    return f"{value:8.1f}"


def report(results: dict[str, Any]) -> str:
    out: list[str] = []
    rule = "-" * 100
    out.append("")
    out.append("=" * 100)
    out.append(
        f"AMPARO BENCHMARKS  {results['finished_at']}  {results['machine']['cpus']} CPUs  "
        f"Python {results['machine']['python']}  server: {results['server']}"
    )
    out.append(
        f"load average (1 min) at start {results['machine']['load_average_at_start']:.1f}, at end "
        f"{results['machine']['load_average_at_end']:.1f}: other work on the machine inflates every figure"
    )
    out.append("=" * 100)
    search = results["search"]
    if search:
        any_db = next(iter(search.values()))
        out.append(
            f"1. DIRECTORY SEARCH  {any_db['services']:,} services, {any_db['queries']} queries "
            "(text with accents and typos, needs, facts, open now, places, points, combinations, pages 2+)"
        )
        out.append(rule)
        out.append(f"{'milliseconds':<44}{'p50':>8}{'p95':>8}{'p99':>8}{'max':>8}   budget         result")
        for db in search.values():
            s = db["server_ms"]
            verdict = "PASS" if db["pass"] else "FAIL"
            out.append(
                f"{db['database'] + ' server time (Server-Timing)':<44}{s['p50']:8.1f}{s['p95']:8.1f}{s['p99']:8.1f}"
                f"{s['max']:8.1f}   p95 < {db['budget_p95_ms']:<4.0f} ms  {verdict}"
            )
            subset = len(range(0, db["queries"], CROSS_CHECK_EVERY))
            for key, name in (
                ("server_ms_cross_check_subset", f"  server time, every {CROSS_CHECK_EVERY}th query ({subset})"),
                ("test_client_ms", "  test client in-process, same queries"),
                ("selector_ms", "  search_services() alone, in-process"),
                ("http_round_trip_ms", "  HTTP round trip seen by the client"),
            ):
                v = db[key]
                out.append(f"{name:<44}{v['p50']:8.1f}{v['p95']:8.1f}{v['p99']:8.1f}{v['max']:8.1f}")
            st = db["sql_statements_per_search"]
            out.append(
                f"{'  SQL statements per search':<44}{st['p50']:8.0f}{st['p95']:8.0f}{st['p99']:8.0f}{st['max']:8.0f}"
            )
        out.append("")
        out.append(
            f"{'server time p50 / p95 by kind of query (ms)':<44}"
            + "".join(f"{db['database']:>22}" for db in search.values())
        )
        for kind in next(iter(search.values()))["by_kind_server_ms"]:
            cells = "".join(
                f"{db['by_kind_server_ms'][kind]['p50']:>10.1f} /{db['by_kind_server_ms'][kind]['p95']:>8.1f}   "
                for db in search.values()
            )
            n = int(next(iter(search.values()))["by_kind_server_ms"][kind]["n"])
            out.append(f"{'  ' + kind + f' ({n})':<44}{cells}")
        out.append("")
        out.append(
            f"{'throughput, concurrency 2 (requests/s)':<44}{'search':>10}{'/healthz':>10}{'search/trivial':>16}"
        )
        for db in search.values():
            t = db["throughput"]
            errors = t["search"]["errors"] + t["healthz"]["errors"]
            name = f"  {db['database']} ({t['search']['requests']} / {t['healthz']['requests']} requests)"
            out.append(
                f"{name:<44}"
                f"{t['search']['rps']:10.1f}{t['healthz']['rps']:10.1f}{t['ratio']:16.3f}"
                + (f"   {errors} errors!" if errors else "")
            )
        out.append("")
        for db in search.values():
            out.append(f"slowest on {db['database']} (plans in {db['profile_file']}):")
            for q in db["slowest"]:
                out.append(f"  {q['server_ms']:7.1f} ms  {q['sql']['statements']:>2} SQL  {q['path']}")
            bad = {k: v for k, v in db["statuses"].items() if int(k) != 200}
            if bad:
                out.append(f"  NON-200 RESPONSES (the budget fails; see var/bench/server-search-*.log): {bad}")
    pages = results["pages"]
    if pages:
        out.append("")
        out.append(f"2. PAGE WEIGHT  demo directory; bytes; budget {pages['budget_bytes']:,} bytes transferred (gzip)")
        out.append(rule)
        out.append(
            f"{'page':<40}{'status':>7}{'HTML':>9}{'HTML gz':>9}{'CSS/JS gz':>11}{'total gz':>10}{'3rd-party':>10}"
            "  result"
        )
        for p in pages["pages"]:
            out.append(
                f"{p['name'][:39]:<40}{p['status']:>7}{p['html_bytes']:>9,}{p['html_gzip_bytes']:>9,}"
                f"{p['assets_gzip_bytes']:>11,}{p['total_gzip_bytes']:>10,}{len(p['third_party']):>10}  "
                + ("PASS" if p["pass"] else "FAIL")
            )
        assets = {a["url"]: a for p in pages["pages"] for a in p["assets"]}
        out.append(
            "  referenced: "
            + ", ".join(f"{url} {a['raw']:,} B -> {a['compressed']:,} B gz" for url, a in sorted(assets.items()))
        )
        for note in pages["notes"]:
            out.append(f"  note: {note}")
    out.append("")
    out.append("BUDGETS")
    out.append(rule)
    for b in results["budgets"]:
        out.append(f"  {'PASS' if b['pass'] else 'FAIL'}  {b['name']:<60} {b['value']:>12}  (limit {b['limit']})")
    out.append("")
    return "\n".join(out)


def budgets(results: dict[str, Any]) -> list[dict[str, Any]]:
    rows = [
        {"name": f"{part}: benchmark error ({error[:60]})", "value": "error", "limit": "-", "pass": False}
        for part, error in results.get("errors", {}).items()
    ]
    for db in results["search"].values():
        rows.append(
            {
                "name": f"search p95 server time, {db['database']}, {db['services']:,} services",
                "value": f"{db['server_ms']['p95']:.1f} ms",
                "limit": f"< {db['budget_p95_ms']:.0f} ms",
                "pass": db["pass"],
            }
        )
    if results["pages"]:
        page_rows = results["pages"]["pages"]
        heaviest = max(page_rows, key=lambda p: p["total_gzip_bytes"])
        rows.append(
            {
                "name": f"public pages <= 30 KB transferred (heaviest: {heaviest['name']})",
                "value": f"{heaviest['total_gzip_bytes']:,} B",
                "limit": f"{PAGE_BUDGET_BYTES:,} B",
                "pass": all(p["total_gzip_bytes"] <= PAGE_BUDGET_BYTES for p in page_rows),
            }
        )
        third = sum(len(p["third_party"]) for p in page_rows)
        rows.append(
            {"name": "public pages: third-party requests", "value": str(third), "limit": "0", "pass": third == 0}
        )
        errors = [p["name"] for p in page_rows if p["status"] != 200]
        rows.append(
            {"name": "public pages answer 200", "value": f"{len(errors)} not", "limit": "0", "pass": not errors}
        )
    return rows


def main() -> int:
    started = time.perf_counter()
    (BENCH_VAR / "static").mkdir(parents=True, exist_ok=True)  # STATIC_ROOT, so WhiteNoise does not warn
    ensure_postgres()
    queries = query_mix()
    results: dict[str, Any] = {
        "started_at": datetime.now(UTC).isoformat(timespec="seconds"),
        "machine": {
            "cpus": os.cpu_count(),
            "python": platform.python_version(),
            "platform": platform.platform(),
            "load_average_at_start": os.getloadavg()[0],
        },
        "server": server_kind(),
        "method": (
            "Server time: bench/timing_wsgi.py wraps Django's WSGI application and returns the duration of the "
            "application call in a Server-Timing header; one sequential pass over the mix after a warm-up pass. "
            "Test client and search_services(): timed in-process for the same queries after a warm-up pass."
        ),
        "search": {},
        "pages": None,
    }
    results["errors"] = {}

    def save() -> None:
        results["finished_at"] = datetime.now(UTC).isoformat(timespec="seconds")
        results["machine"]["load_average_at_end"] = os.getloadavg()[0]
        results["runtime_s"] = round(time.perf_counter() - started, 1)
        results["budgets"] = budgets(results)
        (BENCH_VAR / "results.json").write_text(json.dumps(results, indent=2, ensure_ascii=False))

    # Each part on its own: a failure is reported as a failed budget, and the other parts still run.
    for vendor in DATABASES:
        try:
            results["search"][vendor] = bench_search(vendor, queries)
        except (Exception, SystemExit) as exc:
            log(f"{DB_LABEL[vendor]} search benchmark failed: {exc!r}")
            results["errors"][f"search {DB_LABEL[vendor]}"] = repr(exc)
        save()
    try:
        results["pages"] = bench_pages()
    except (Exception, SystemExit) as exc:
        log(f"page weight benchmark failed: {exc!r}")
        results["errors"]["page weight"] = repr(exc)
    save()
    print(report(results))
    print(f"Figures: var/bench/results.json   runtime: {results['runtime_s']:.0f} s")
    failed = not all(b["pass"] for b in results["budgets"])
    return 1 if failed and os.environ.get("BENCH_STRICT") == "1" else 0


if __name__ == "__main__":
    sys.exit(main())
