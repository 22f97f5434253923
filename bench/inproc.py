"""In-process measurements, run by bench/run.py in a subprocess whose environment selects the database.

    python bench/inproc.py count           -> {"services": N} (N = -1 when the tables do not exist yet)
    python bench/inproc.py analyze         -> refreshes the planner statistics (PostgreSQL ANALYZE)
    python bench/inproc.py search          -> per query: search_services() time, test-client time, SQL breakdown
    python bench/inproc.py explain I [I..] -> each SQL statement of the queries at those indexes, with its plan

Prints one JSON document on stdout.
"""

from __future__ import annotations

import json
import os
import sys
import time
from typing import Any

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "amparo.settings")

import django

django.setup()

from django.conf import settings  # noqa: E402
from django.db import DatabaseError, connection  # noqa: E402
from django.http import QueryDict  # noqa: E402
from django.test import Client  # noqa: E402
from django.test.utils import CaptureQueriesContext  # noqa: E402
from mix import CROSS_CHECK_EVERY, WARM_UP_EVERY, Query, query_mix  # noqa: E402

from amparo.directory.forms import SearchForm  # noqa: E402
from amparo.directory.models import Service  # noqa: E402
from amparo.directory.selectors import SearchCriteria, search_services  # noqa: E402


def _criteria(query: Query) -> SearchCriteria:
    form = SearchForm(QueryDict(query.query_string))
    if not form.is_valid():
        raise SystemExit(f"invalid benchmark query {query.query_string}: {form.errors.as_json()}")
    return form.criteria(page_size=settings.SEARCH_PAGE_SIZE)


def count() -> dict[str, Any]:
    try:
        return {"services": Service.objects.count(), "vendor": connection.vendor}
    except DatabaseError:
        return {"services": -1, "vendor": connection.vendor}


def analyze() -> dict[str, Any]:
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")
    return {"analyzed": True}


def search() -> dict[str, Any]:
    queries = query_mix()
    criteria = [_criteria(q) for q in queries]
    for c in criteria[::WARM_UP_EVERY]:  # warm-up: connection, vocabulary, database and OS caches
        search_services(c)
    selector_ms, hits, sql = [], [], []
    for c in criteria:
        # Capturing the SQL costs microseconds per statement, nothing next to the statements themselves.
        with CaptureQueriesContext(connection) as captured:
            started = time.perf_counter()
            result = search_services(c)
            selector_ms.append((time.perf_counter() - started) * 1000)
        hits.append(len(result.hits))
        times = [float(q["time"]) * 1000 for q in captured.captured_queries]
        sql.append({"statements": len(times), "total_ms": sum(times), "max_ms": max(times, default=0.0)})
    # The whole view through Django's test client: a cross-check of the server-side figure.
    # On every CROSS_CHECK_EVERY-th query only: the server-side figure covers the whole mix.
    client = Client()
    for q in queries[::WARM_UP_EVERY]:
        client.get(q.path, HTTP_ACCEPT_ENCODING="gzip")
    client_ms, statuses = [], set()
    for q in queries[::CROSS_CHECK_EVERY]:
        started = time.perf_counter()
        response = client.get(q.path, HTTP_ACCEPT_ENCODING="gzip")
        client_ms.append((time.perf_counter() - started) * 1000)
        statuses.add(response.status_code)
    return {"selector_ms": selector_ms, "hits": hits, "sql": sql, "client_ms": client_ms, "statuses": sorted(statuses)}


def _plan(sql: str) -> str:
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute("EXPLAIN (ANALYZE, BUFFERS) " + sql)
            return "\n".join(row[0] for row in cursor.fetchall())
        cursor.execute("EXPLAIN QUERY PLAN " + sql)
        return "\n".join(f"{row[0]:>3} {row[1]:>3} {row[3]}" for row in cursor.fetchall())


def explain(indexes: list[int]) -> dict[str, Any]:
    queries = query_mix()
    out = []
    for i in indexes:
        c = _criteria(queries[i])
        search_services(c)  # warm
        with CaptureQueriesContext(connection) as captured:
            started = time.perf_counter()
            search_services(c)
            total = (time.perf_counter() - started) * 1000
        statements = []
        for q in captured.captured_queries:
            sql = q["sql"] or ""
            plan = _plan(sql) if sql.lstrip().upper().startswith("SELECT") else ""
            statements.append({"ms": float(q["time"]) * 1000, "sql": sql, "plan": plan})
        out.append({"index": i, "path": queries[i].path, "selector_ms": total, "statements": statements})
    return {"queries": out}


def main(argv: list[str]) -> None:
    command = argv[1] if len(argv) > 1 else ""
    if command == "count":
        result = count()
    elif command == "analyze":
        result = analyze()
    elif command == "search":
        result = search()
    elif command == "explain":
        result = explain([int(a) for a in argv[2:]])
    else:
        raise SystemExit(__doc__)
    json.dump(result, sys.stdout)


if __name__ == "__main__":
    main(sys.argv)
