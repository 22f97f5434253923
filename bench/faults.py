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
    python bench/faults.py redis
        a private redis-server (port 6390) as CACHE_URL, killed under gunicorn: the channel still takes reports,
        receipt sign-in answers 503, search keeps working; redis back, everything as before.
    python bench/faults.py disk
        SAFECHANNEL_STORAGE_DIR on a 1 MB tmpfs (mount needs root): a report with attachments larger than the space
        left gets a clear error with her text kept, no file, no row.
"""

from __future__ import annotations

import argparse
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


def debug() -> None:
    """Run the writer for a few seconds on SQLite and print what it wrote (for working on this script)."""
    folder = Path(tempfile.mkdtemp(prefix="amparo-faults-debug-"))
    env = worker_env(fresh_database("sqlite", folder, ""), folder)
    subprocess.run([PYTHON, "manage.py", "migrate", "--noinput", "-v0"], cwd=ROOT, env=env, check=True)
    world = run_worker(env, "setup")
    child = subprocess.Popen([PYTHON, str(WORKER), "loop", json.dumps(world)], cwd=ROOT, env=env)
    time.sleep(8)
    child.kill()
    print(folder)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = parser.add_subparsers(dest="part", required=True)
    kill = sub.add_parser("kill")
    kill.add_argument("--kills", type=int, default=int(os.environ.get("BENCH_FAULT_KILLS", "20")))
    kill.add_argument("--databases", default=os.environ.get("BENCH_DATABASES", "sqlite,postgresql"))
    kill.add_argument("--seed", type=int, default=None)
    args = parser.parse_args()
    BENCH_VAR.mkdir(parents=True, exist_ok=True)
    results = {"kill": part_kill}[args.part](args)
    out = BENCH_VAR / "faults.json"
    previous = json.loads(out.read_text()) if out.exists() else {}
    previous[args.part] = results
    out.write_text(json.dumps(previous, indent=2))
    failed = any(r.get("problems") for r in results.values() if isinstance(r, dict))
    raise SystemExit(1 if failed else 0)


if __name__ == "__main__":
    main()
