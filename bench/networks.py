"""Protection-network benchmark (part of `make bench`): a synthetic network of BENCH_NETWORK_ACTORS directory
organisations (default 10,000) and BENCH_NETWORK_TIES recorded ties (default 100,000) over the demo places, on
SQLite (var/bench/networks.sqlite3, built once and reused; BENCH_NETWORK_REBUILD=1 rebuilds it).

Timed, in process, as the network page computes them: reading the network of a place (selectors.network_for),
the analysis (networkx: centralities, brokers, components, reciprocity), and the drawing (the SVG: one node per actor
up to 300 actors, else summed by department). Targets from issue 15: the municipality view under 1 s, the regional
view under 5 s. Prints the figures and writes var/bench/networks.json.
"""

from __future__ import annotations

import json
import os
import random
import sys
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
TODAY = datetime.now(UTC).date()
BENCH_VAR = ROOT / "var" / "bench"
ACTORS = int(os.environ.get("BENCH_NETWORK_ACTORS", "10000"))
TIES = int(os.environ.get("BENCH_NETWORK_TIES", "100000"))
REPEAT = int(os.environ.get("BENCH_NETWORK_REPEAT", "3"))
LOCAL_SHARE = 0.85  # ties inside one municipality; the rest inside the department (10%) or anywhere (5%)
VIEWS = (("municipality (Cúcuta)", "CO54001", 1.0), ("department (Norte de Santander)", "CO54", 5.0),
         ("region (Colombia)", "CO", 5.0))  # fmt: skip


def setup() -> None:
    BENCH_VAR.mkdir(parents=True, exist_ok=True)
    database = BENCH_VAR / "networks.sqlite3"
    if os.environ.get("BENCH_NETWORK_REBUILD") == "1" and database.exists():
        database.unlink()
    os.environ.update(
        DATABASE_URL=f"sqlite:///{database}",
        AMPARO_VAR_DIR=str(BENCH_VAR),
        AMPARO_ENV="development",
        DEBUG="false",
        DJANGO_SETTINGS_MODULE="amparo.settings",
    )
    sys.path.insert(0, str(ROOT))
    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", verbosity=0)


def build() -> None:
    from django.db import transaction

    from amparo.directory.demo import places_load
    from amparo.directory.models import Location, Organization, Place
    from amparo.networks.models import Tie, TieKind

    if Tie.objects.count() >= TIES * 0.99 and Organization.objects.count() >= ACTORS:
        return
    started = time.perf_counter()
    Tie.objects.all().delete()
    Organization.objects.all().delete()
    places = places_load()
    municipalities = [p for p in places.values() if p.level == Place.Level.ADMIN2]
    rng = random.Random(7)
    kinds = [k for k, _label in Organization.Kind.choices]
    with transaction.atomic():
        orgs = Organization.objects.bulk_create(
            [Organization(name=f"Organización {n} (bench)", kind=rng.choice(kinds)) for n in range(ACTORS)],
            batch_size=2000,
        )
        home = {org.pk: rng.choice(municipalities) for org in orgs}
        Location.objects.bulk_create(
            [
                Location(organization=org, name=org.name, place=home[org.pk], latitude=home[org.pk].latitude,
                         longitude=home[org.pk].longitude)
                for org in orgs
            ],
            batch_size=2000,
        )  # fmt: skip
        by_place: dict[int, list[int]] = {}
        by_department: dict[int, list[int]] = {}
        for pk, place in home.items():
            by_place.setdefault(place.pk, []).append(pk)
            by_department.setdefault(place.parent_id or 0, []).append(pk)
        ids = list(home)
        tie_kinds = list(TieKind.values)
        today = TODAY
        ties = []
        for _n in range(TIES):
            a = rng.choice(ids)
            roll = rng.random()
            pool = (
                by_place[home[a].pk]
                if roll < LOCAL_SHARE
                else by_department[home[a].parent_id or 0]
                if roll < LOCAL_SHARE + 0.10
                else ids
            )
            b = rng.choice(pool)
            if a == b:
                continue
            scope = home[a] if home[a].pk == home[b].pk else home[a].parent if roll < 0.95 else places["CO"]
            start = today - timedelta(days=rng.randint(30, 900))
            ties.append(
                Tie(kind=rng.choice(tie_kinds), from_organization_id=a, to_organization_id=b, place=scope,
                    starts_on=start,
                    ends_on=None if rng.random() < 0.7 else start + timedelta(days=rng.randint(1, 400)))
            )  # fmt: skip
        Tie.objects.bulk_create(ties, batch_size=5000)
    print(f"built {ACTORS} actors and {len(ties)} ties in {time.perf_counter() - started:.1f} s", file=sys.stderr)


def measure(pcode: str) -> dict[str, Any]:
    from amparo.directory.models import Place
    from amparo.networks import analysis, drawing, selectors

    place = Place.objects.select_related("parent").get(pcode=pcode)
    start, end = TODAY - timedelta(days=3650), TODAY
    runs: list[dict[str, float]] = []
    shape: dict[str, Any] = {}
    for _ in range(REPEAT):
        t0 = time.perf_counter()
        network = selectors.network_for(place, start, end)
        t1 = time.perf_counter()
        graph = analysis.structure_graph(network)
        result = analysis.analyse_graphs(graph, analysis.referral_graph(network.flows))
        t2 = time.perf_counter()
        picture = drawing.draw(network, result, graph, pcode)
        t3 = time.perf_counter()
        runs.append({"read": t1 - t0, "analysis": t2 - t1, "drawing": t3 - t2, "total": t3 - t0})
        shape = {
            "actors": result.actors,
            "links": result.ties,
            "brokers": len(result.brokers),
            "components": len(result.components),
            "aggregated": picture.aggregated,
            "betweenness": result.betweenness_mode,
            "svg_bytes": len(picture.svg),
        }
    best = {key: round(min(r[key] for r in runs), 3) for key in runs[0]}
    return {**shape, **best}


def main() -> int:
    setup()
    build()
    figures = {}
    failed = False
    for label, pcode, target in VIEWS:
        result = measure(pcode)
        result["target_s"] = target
        figures[label] = result
        ok = result["analysis"] + result["drawing"] <= target
        failed |= not ok
        print(
            f"networks {label}: {result['actors']} actors, {result['links']} links, {result['brokers']} brokers, "
            f"{'aggregated' if result['aggregated'] else 'one node per actor'}; read {result['read']:.3f} s, "
            f"analysis {result['analysis']:.3f} s, drawing {result['drawing']:.3f} s, total {result['total']:.3f} s "
            f"(target for analysis + drawing: {target:.0f} s) {'ok' if ok else 'OVER'}"
        )
    (BENCH_VAR / "networks.json").write_text(json.dumps({"actors": ACTORS, "ties": TIES, "views": figures}, indent=2))
    return 1 if failed else 0


if __name__ == "__main__":
    raise SystemExit(main())
