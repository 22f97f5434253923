"""Faults (issue 18, item 5): what happens to Amparo when a process dies, the database restarts, Redis goes away or
the disk fills. Each part prints what it did and what it found; the summary goes to var/bench/faults.json.

    python bench/faults.py kill [--kills N] [--databases sqlite,postgresql]
        a child process runs the real services (reports with attachments, survivor messages, case files, notes,
        legal documents) in a loop and is killed with SIGKILL at random moments, N times; then every committed
        write is checked, rows without files or key grants are looked for, and the purges' sweep must leave no
        orphan or temporary file.
    python bench/faults.py postgres
        a private PostgreSQL cluster (initdb into a temp folder, port 5544; the machine's own server is never
        touched), gunicorn pointed at it, clients requesting public and channel pages while the cluster is stopped
        and started again: 503 with Retry-After while it is down, 200 again afterwards without restarting the app.
Redis down and the disk full are tests (safechannel/tests/test_faults_cache.py, test_faults_disk.py): they run a
private redis-server and a real tmpfs themselves. docs/faults.md has the decisions and the figures.
"""

from __future__ import annotations

import argparse
import contextlib
import http.client
import json
import os
import random
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

from run import BENCH_VAR, PG_URL, PYTHON, ROOT, _pg_admin, django_env, ensure_postgres, log

WORKER = ROOT / "bench" / "faults_worker.py"
FAST_ARGON2 = {"SAFECHANNEL_ARGON2_TIME_COST": "2", "SAFECHANNEL_ARGON2_MEMORY_KIB": str(19 * 1024)}


def worker_env(database_url: str, storage: Path) -> dict[str, str]:
    env = django_env(database_url)
    env.update(
        SAFECHANNEL_STORAGE_DIR=str(storage / "safechannel"),
        CASES_STORAGE_DIR=str(storage / "cases"),
        AMPARO_VAR_DIR=str(storage / "var"),
        CASE_MAX_FILES="1000000",  # the writer adds a file to one case at every turn
        **FAST_ARGON2,
    )
    return env


def fresh_database(vendor: str, folder: Path, name: str) -> str:
    if vendor == "sqlite":
        return f"sqlite:///{folder / 'faults.sqlite3'}"
    ensure_postgres()
    _pg_admin(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    _pg_admin(f'CREATE DATABASE "{name}"')
    return f"{PG_URL}/{name}"


def run_worker(env: dict[str, str], *args: str) -> dict[str, Any]:
    done = subprocess.run([PYTHON, str(WORKER), *args], cwd=ROOT, env=env, capture_output=True, text=True)
    if done.returncode != 0:
        sys.stderr.write(done.stderr)
        raise SystemExit(f"faults_worker {args[0]} failed ({done.returncode})")
    result: dict[str, Any] = json.loads(done.stdout.strip().splitlines()[-1])
    return result


def kill_run(vendor: str, kills: int, *, seed: int | None = None, keep: bool = False) -> dict[str, Any]:
    """Start the writer, SIGKILL it a random 0.05-3 s after it is ready, N times; then check. Returns the findings."""
    rng = random.Random(seed)
    folder = Path(tempfile.mkdtemp(prefix="amparo-faults-kill-"))
    try:
        url = fresh_database(vendor, folder, "amparo_faults_kill")
        env = worker_env(url, folder)
        started = time.monotonic()
        subprocess.run([PYTHON, "manage.py", "migrate", "--noinput", "-v0"], cwd=ROOT, env=env, check=True)
        log(f"  {vendor}: migrated in {time.monotonic() - started:.1f} s")
        world = run_worker(env, "setup")
        committed = folder / "committed.jsonl"
        killed_after: list[float] = []
        with committed.open("w") as out:
            for _ in range(kills):
                child = subprocess.Popen(
                    [PYTHON, str(WORKER), "loop", json.dumps(world)], cwd=ROOT, env=env, stdout=subprocess.PIPE,
                    text=True,
                )  # fmt: skip
                assert child.stdout is not None
                if child.stdout.readline().strip() != '{"kind": "ready"}':
                    raise SystemExit("the writer did not start")
                lines: list[str] = []
                reader = threading.Thread(target=lines.extend, args=(child.stdout,), daemon=True)
                reader.start()
                delay = rng.uniform(0.05, 3.0)  # after Django's start-up, anywhere in the writes
                time.sleep(delay)
                child.send_signal(signal.SIGKILL)
                child.wait()
                reader.join()
                out.writelines(lines)
                killed_after.append(round(delay, 2))
        findings = run_worker(env, "check", json.dumps(world), str(committed))
        findings["kills"] = kills
        findings["killed_after_seconds"] = killed_after
        return findings
    finally:
        if not keep:
            shutil.rmtree(folder, ignore_errors=True)
        if vendor == "postgresql":
            _pg_admin('DROP DATABASE IF EXISTS "amparo_faults_kill" WITH (FORCE)')


def part_kill(args: argparse.Namespace) -> dict[str, Any]:
    results = {}
    for vendor in args.databases.split(","):
        log(f"kill: {vendor}, {args.kills} SIGKILLs of a writer of reports, messages, case files, notes, documents")
        findings = kill_run(vendor, args.kills, seed=args.seed)
        log(
            f"  committed writes acknowledged: {findings['committed']}; rows: {findings['reports']} reports, "
            f"{findings['attachments']} attachments, {findings['case_files']} case files, {findings['case_notes']} "
            f"notes, {findings['documents']} documents; audit entries verified: {findings['audit_entries']}"
        )
        log(
            f"  before the sweep: {findings['before_sweep']['orphan_files']} files without a row, "
            f"{findings['before_sweep']['temporary_files']} temporary files; swept {findings['swept']['files']} "
            f"files and {findings['swept']['folders']} folders; after: {findings['after_sweep']}"
        )
        log(f"  problems: {findings['problems'] or 'none'}")
        results[vendor] = findings
    return results


PG_BIN = Path("/usr/lib/postgresql/15/bin")
PRIVATE_PG_PORT = 5544


def _as_postgres(*command: str) -> None:
    """Run a PostgreSQL tool as the postgres user when this is root (initdb and the server refuse root)."""
    if os.geteuid() == 0:
        subprocess.run(["su", "postgres", "-c", " ".join(command)], check=True, capture_output=True)
    else:
        subprocess.run(list(command), check=True, capture_output=True)


class PrivateCluster:
    """A PostgreSQL cluster of this script's own in a temp folder, on PRIVATE_PG_PORT (never the machine's)."""

    def __init__(self) -> None:
        self.folder = Path(tempfile.mkdtemp(prefix="amparo-faults-pg-"))
        self.data = self.folder / "data"
        if os.geteuid() == 0:
            shutil.chown(self.folder, "postgres", "postgres")
        _as_postgres(str(PG_BIN / "initdb"), "-D", str(self.data), "-A", "trust", "-U", "postgres", "-E", "UTF8")

    def start(self) -> None:
        options = f"'-p {PRIVATE_PG_PORT} -k /tmp -c listen_addresses=127.0.0.1'"
        _as_postgres(str(PG_BIN / "pg_ctl"), "-D", str(self.data), "-o", options, "-w", "-l",
                     str(self.folder / "server.log"), "start")  # fmt: skip

    def stop(self) -> None:
        _as_postgres(str(PG_BIN / "pg_ctl"), "-D", str(self.data), "-m", "fast", "-w", "stop")

    def remove(self) -> None:
        with contextlib.suppress(subprocess.CalledProcessError):
            self.stop()
        shutil.rmtree(self.folder, ignore_errors=True)


PAGES = ["/es/channel/report/", "/es/services/?q=abrigo", "/pt/channel/report/?place=CO54001", "/healthz"]


def _client(port: int, stop: threading.Event, started: float, out: list[dict[str, Any]]) -> None:
    i = 0
    while not stop.is_set():
        path = PAGES[i % len(PAGES)]
        i += 1
        sent = time.monotonic()
        try:
            connection = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
            connection.request("GET", path, headers={"Host": "localhost"})
            response = connection.getresponse()
            body = response.read().decode(errors="replace")
            status, retry = response.status, response.getheader("Retry-After")
            connection.close()
        except OSError as exc:
            status, retry, body = 0, None, type(exc).__name__
        out.append({
            "t": round(sent - started, 2), "path": path, "status": status, "retry_after": retry,
            "ms": round((time.monotonic() - sent) * 1000, 1), "trace": "Traceback" in body,
            "page": "no puede responder" in body or "não pode responder" in body,
        })  # fmt: skip
        time.sleep(0.05)


def part_postgres(args: argparse.Namespace) -> dict[str, Any]:
    """Stop and start a private PostgreSQL under gunicorn and clients; count what the clients got."""
    from run import http_server

    cluster = PrivateCluster()
    try:
        cluster.start()
        subprocess.run(
            ["psql", "-h", "127.0.0.1", "-p", str(PRIVATE_PG_PORT), "-U", "postgres", "-c",
             "CREATE DATABASE amparo_faults_pg"], check=True, capture_output=True,
        )  # fmt: skip
        folder = cluster.folder / "app"
        env = worker_env(f"postgres://postgres@127.0.0.1:{PRIVATE_PG_PORT}/amparo_faults_pg", folder)
        env["DB_CONN_MAX_AGE"] = "60"
        started = time.monotonic()
        subprocess.run([PYTHON, "manage.py", "migrate", "--noinput", "-v0"], cwd=ROOT, env=env, check=True)
        log(f"postgres: private cluster on port {PRIVATE_PG_PORT}, migrated in {time.monotonic() - started:.0f} s")
        run_worker(env, "setup")
        results: list[dict[str, Any]] = []
        with http_server(env, "faults-postgres", ("--workers=2", "--worker-class=sync")) as port:
            stop = threading.Event()
            started = time.monotonic()
            clients = [threading.Thread(target=_client, args=(port, stop, started, results)) for _ in range(4)]
            for client in clients:
                client.start()
            time.sleep(args.before)
            down_at = time.monotonic() - started
            cluster.stop()
            log(f"  stopping PostgreSQL at t={down_at:.1f} s, stopped at t={time.monotonic() - started:.1f} s")
            time.sleep(args.down)
            restart_at = time.monotonic() - started
            cluster.start()
            up_at = time.monotonic() - started
            log(f"  starting PostgreSQL at t={restart_at:.1f} s, up at t={up_at:.1f} s (gunicorn not restarted)")
            time.sleep(args.after)
            stop.set()
            for client in clients:
                client.join()
    finally:
        cluster.remove()
    return _phases(results, down_at, up_at)


def _phases(results: list[dict[str, Any]], down_at: float, up_at: float) -> dict[str, Any]:
    def tally(rows: list[dict[str, Any]]) -> dict[str, int]:
        counts: dict[str, int] = {}
        for row in rows:
            counts[str(row["status"])] = counts.get(str(row["status"]), 0) + 1
        return counts

    before = [r for r in results if r["t"] < down_at]
    down = [r for r in results if down_at <= r["t"] < up_at]
    after = [r for r in results if r["t"] >= up_at]
    first_ok = min((r["t"] for r in after if r["status"] == 200), default=None)
    last_bad = max((r["t"] for r in after if r["status"] != 200), default=None)
    db_pages = [r for r in down if r["path"] != "/healthz"]
    summary = {
        "requests": len(results),
        "before": tally(before),
        "while_down": tally(down),
        "after": tally(after),
        "while_down_503_with_retry_after_and_page": sum(
            1 for r in db_pages if r["status"] == 503 and r["retry_after"] == "30" and r["page"]
        ),
        "while_down_database_pages": len(db_pages),
        "while_down_p95_ms": sorted(r["ms"] for r in down)[int(0.95 * (len(down) - 1))] if down else None,
        "while_down_not_503": [(r["t"], r["path"], r["status"]) for r in down if r["status"] != 503],
        "before_not_200": [(r["t"], r["path"], r["status"]) for r in before if r["status"] != 200],
        "stack_traces_shown": sum(1 for r in results if r["trace"]),
        "seconds_from_restart_to_first_200": round(first_ok - up_at, 2) if first_ok is not None else None,
        "last_non_200_after_restart_at_seconds": round(last_bad - up_at, 2) if last_bad is not None else None,
    }
    for key, value in summary.items():
        log(f"  {key}: {value}")
    return summary


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = parser.add_subparsers(dest="part", required=True)
    kill = sub.add_parser("kill")
    kill.add_argument("--kills", type=int, default=int(os.environ.get("BENCH_FAULT_KILLS", "20")))
    kill.add_argument("--databases", default=os.environ.get("BENCH_DATABASES", "sqlite,postgresql"))
    kill.add_argument("--seed", type=int, default=None)
    postgres = sub.add_parser("postgres")
    postgres.add_argument("--before", type=float, default=8.0, help="seconds of load before the stop")
    postgres.add_argument("--down", type=float, default=10.0, help="seconds PostgreSQL stays down")
    postgres.add_argument("--after", type=float, default=10.0, help="seconds of load after the start")
    args = parser.parse_args()
    BENCH_VAR.mkdir(parents=True, exist_ok=True)
    results = {"kill": part_kill, "postgres": part_postgres}[args.part](args)
    out = BENCH_VAR / "faults.json"
    previous = json.loads(out.read_text()) if out.exists() else {}
    previous[args.part] = results
    out.write_text(json.dumps(previous, indent=2))
    failed = any(r.get("problems") for r in results.values() if isinstance(r, dict))
    if args.part == "postgres":
        failed = (
            results["stack_traces_shown"] > 0
            or results["while_down_503_with_retry_after_and_page"] == 0
            or results["seconds_from_restart_to_first_200"] is None
        )
    raise SystemExit(1 if failed else 0)


if __name__ == "__main__":
    main()
