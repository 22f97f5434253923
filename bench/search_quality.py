"""Search quality on the development set (issue 12): hit@5, mean reciprocal rank, zero-result rate, pathway-first
and danger-first rates, by language, on the demo directory, searched from anywhere and from Cúcuta.

    .venv/bin/python bench/search_quality.py [--devset PATH] [--failures]

--devset names the set to score (default bench/search_devset.json; bench/search_devset_b.json is the second,
independent set). `make bench` scores both.

Builds a throwaway SQLite database under var/bench/ (the ranking is the same on PostgreSQL: the suite runs the
same test on both). The figures are measured, not asserted; the targets are printed beside them.
"""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
DB = ROOT / "var" / "bench" / "quality.sqlite3"


def main() -> int:
    parser = argparse.ArgumentParser(description="Search quality on a development set (issue 12).")
    parser.add_argument("--devset", type=Path, default=ROOT / "bench" / "search_devset.json", help="the set to score")
    parser.add_argument("--failures", action="store_true", help="list the queries that miss")
    args = parser.parse_args()
    sys.path.insert(0, str(ROOT))
    DB.parent.mkdir(parents=True, exist_ok=True)
    DB.unlink(missing_ok=True)
    os.environ.update(DJANGO_SETTINGS_MODULE="amparo.settings", DATABASE_URL=f"sqlite:///{DB}", DEBUG="false")
    import django

    django.setup()
    from django.core.management import call_command

    from amparo.directory.demo import build_directory
    from amparo.directory.evaluation import TARGETS, evaluate, load_devset
    from amparo.directory.models import Place

    call_command("migrate", verbosity=0)
    build_directory()
    call_command("load_pathways", verbosity=0)
    queries = load_devset(args.devset.resolve())
    print(f"Search quality on {args.devset.name} ({len(queries)} queries), demo directory")
    print(f"targets: hit@5 >= {TARGETS['hit@5']}, zero-result <= {TARGETS['zero-result']}, danger-first = 1.0")
    ok = True
    for label, place in (("from anywhere", None), ("from Cúcuta", Place.objects.get(pcode="CO54001"))):
        tallies = evaluate(queries, place)
        print(f"\n{label}")
        print(f"{'lang':<5} {'n':>4} {'hit@5':>6} {'MRR':>6} {'zero':>6} {'path1st':>8} {'danger1st':>9}")
        for lang in ("es", "pt", "en", "all"):
            f = tallies[lang].figures()
            print(
                f"{lang:<5} {int(f['queries']):>4} {f['hit@5']:>6.3f} {f['MRR']:>6.3f} {f['zero-result']:>6.3f} "
                f"{f['pathway-first']:>8.3f} {f['danger-first']:>9.3f}"
            )
        overall = tallies["all"].figures()
        ok = ok and overall["hit@5"] >= TARGETS["hit@5"] and overall["zero-result"] <= TARGETS["zero-result"]
        ok = ok and overall["danger-first"] >= TARGETS["danger-first"]
        if args.failures:
            print("\n".join(tallies["all"].failures))
    print("\ntargets met" if ok else "\ntargets NOT met")
    DB.unlink(missing_ok=True)
    return 0 if ok else 1


if __name__ == "__main__":
    raise SystemExit(main())
