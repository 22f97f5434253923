"""Coverage-gap benchmark (part of `make bench`, issue 15 "Measured"): the gap matrix over every municipality at
100,000 services, on SQLite and on PostgreSQL.

Reuses bench/run.py's synthetic directory (var/bench/search.sqlite3 and the PostgreSQL database amparo_bench,
built by `generate_directory` when missing). Times, in process, after one warm-up:
- the grouped count over `directory.ServiceAtLocation` alone (gap_selectors.service_counts: one SQL query);
- the whole matrix (municipalities, counts, survey counts, cells with reasons and weights: gap_selectors.gap_matrix);
- the matrix for one group and one need (what a phone shows);
- the matrix of one department.
Prints p50/max in ms and writes var/bench/network_gaps.json.
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

from run import BENCH_VAR, DATABASES, DB_LABEL, PYTHON, ROOT, SERVICES, database_url, django_env, log, summary

RUNS = int(os.environ.get("BENCH_GAP_RUNS", "7"))


def measure() -> dict[str, Any]:
    """Inside Django (the environment selects the database): time the selectors."""
    import django

    django.setup()
    from amparo.directory.models import Place, ServiceAtLocation
    from amparo.networks.gap_selectors import GapQuery, gap_matrix, service_counts
    from amparo.networks.gaps import group_by_code

    def timed(fn: Any) -> dict[str, float]:
        fn()  # warm-up
        times = []
        for _ in range(RUNS):
            started = time.perf_counter()
            fn()
            times.append((time.perf_counter() - started) * 1000)
        return summary(times)

    department = Place.objects.filter(level=Place.Level.ADMIN1, pcode="CO54").first()
    matrix = gap_matrix(GapQuery())
    return {
        "service_points": ServiceAtLocation.objects.filter(active=True).count(),
        "municipalities": len(matrix.rows),
        "cells": sum(len(r.cells) for r in matrix.rows),
        "counts_ms": timed(lambda: service_counts()),
        "matrix_ms": timed(lambda: gap_matrix(GapQuery())),
        "one_need_one_group_ms": timed(lambda: gap_matrix(GapQuery(group=group_by_code("trans"), type_code="hiv"))),
        "department_ms": timed(lambda: gap_matrix(GapQuery(scope=department))),
    }


def bench(vendor: str) -> dict[str, Any]:
    from run import prepare_search_database

    prepared = prepare_search_database(vendor)
    env = django_env(database_url(vendor))
    done = subprocess.run(
        [PYTHON, str(Path(__file__).resolve()), "--measure"], cwd=ROOT, env=env, capture_output=True, text=True
    )
    if done.returncode != 0:
        sys.stderr.write(done.stderr)
        raise SystemExit(f"bench/network_gaps.py --measure failed on {vendor}")
    result: dict[str, Any] = json.loads(done.stdout)
    result["database"] = prepared
    return result


def main() -> int:
    if "--measure" in sys.argv:
        print(json.dumps(measure()))
        return 0
    BENCH_VAR.mkdir(parents=True, exist_ok=True)
    results: dict[str, Any] = {"started_at": datetime.now(UTC).isoformat(timespec="seconds"), "services": SERVICES}
    for vendor in DATABASES:
        log(f"{DB_LABEL[vendor]}: coverage-gap matrix")
        results[vendor] = bench(vendor)
    (BENCH_VAR / "network_gaps.json").write_text(json.dumps(results, indent=2))
    print(f"\nCoverage-gap matrix with {SERVICES:,} services (in process; p50/max ms over {RUNS} runs)")
    print(f"{'':<12}{'points':>8}{'munis':>7}{'counts SQL':>14}{'matrix':>14}{'1 need+group':>14}{'department':>14}")
    for vendor in DATABASES:
        r = results[vendor]
        cells = [
            f"{r[k]['p50']:.0f}/{r[k]['max']:.0f}"
            for k in ("counts_ms", "matrix_ms", "one_need_one_group_ms", "department_ms")
        ]
        print(
            f"{DB_LABEL[vendor]:<12}{r['service_points']:>8}{r['municipalities']:>7}"
            + "".join(f"{c:>14}" for c in cells)
        )
    print("Figures: var/bench/network_gaps.json")
    return 0


if __name__ == "__main__":
    sys.exit(main())
