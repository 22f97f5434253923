"""Prometheus metrics for staff and operations (docs/observability.md), with prometheus_client.

What is counted never says who: requests by view name (the URL resolver's name, never the path, which can carry a
code or whatever a person typed), method and status class; background tasks by task and outcome; safe-channel
submissions by outcome alone.

Several processes (gunicorn workers, the task worker): set PROMETHEUS_MULTIPROC_DIR to a folder that every process
of the machine shares and that is emptied before they start; prometheus_client then keeps each process's values in
that folder and `/metrics` adds them up (its "multiprocess mode").

`/metrics` is not public: it answers only a request with `Authorization: Bearer <METRICS_TOKEN>` (compared in
constant time); without the header, with another token, or when METRICS_TOKEN is unset, it answers 404 as for any
unknown address. The reverse proxy should not forward /metrics from the internet at all.
"""

from __future__ import annotations

import hmac
import os
from typing import Any

from django.conf import settings
from django.http import Http404, HttpRequest, HttpResponse
from django.views.decorators.http import require_GET
from prometheus_client import (
    CONTENT_TYPE_LATEST,
    REGISTRY,
    CollectorRegistry,
    Counter,
    Histogram,
    generate_latest,
    multiprocess,
)

METHODS = frozenset({"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"})

REQUESTS = Counter(
    "amparo_http_requests",
    "HTTP requests answered, by view name, method and status class (2xx, 3xx, 4xx, 5xx).",
    ["view", "method", "status"],
)
LATENCY = Histogram(
    "amparo_http_request_duration_seconds",
    "Time to answer a request inside the application, by view name and method.",
    ["view", "method"],
    buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0),
)
TASKS = Counter(
    "amparo_tasks_finished",
    "Background tasks finished, by task and outcome (successful, failed).",
    ["task", "outcome"],
)
TASK_DURATION = Histogram(
    "amparo_task_duration_seconds",
    "Run time of background tasks, by task.",
    ["task"],
    buckets=(0.1, 0.5, 1.0, 5.0, 15.0, 60.0, 300.0, 900.0, 3600.0),
)
CHANNEL_SUBMISSIONS = Counter(
    "amparo_channel_submissions",
    "Reports sent to the safe channel, by outcome only: accepted, refused (rate limit or proof of work), "
    "invalid (a form to correct), duplicate (sent twice), unavailable (could not be stored: a full disk).",
    ["outcome"],
)
CHANNEL_OUTCOMES = frozenset({"accepted", "refused", "invalid", "duplicate", "unavailable"})


def observe_request(view: str, method: str, status: int, seconds: float) -> None:
    method = method if method in METHODS else "other"
    REQUESTS.labels(view=view, method=method, status=f"{status // 100}xx").inc()
    LATENCY.labels(view=view, method=method).observe(seconds)


def count_channel_submission(outcome: str) -> None:
    if outcome not in CHANNEL_OUTCOMES:
        raise ValueError(f"unknown channel outcome {outcome!r}")
    CHANNEL_SUBMISSIONS.labels(outcome=outcome).inc()


def on_task_finished(sender: Any, task_result: Any, **kwargs: Any) -> None:
    """django_tasks.signals.task_finished receiver (connected in CoreConfig.ready)."""
    task = getattr(task_result.task, "module_path", "unknown")
    outcome = str(task_result.status).lower()
    TASKS.labels(task=task, outcome=outcome).inc()
    if task_result.started_at is not None and task_result.finished_at is not None:
        TASK_DURATION.labels(task=task).observe((task_result.finished_at - task_result.started_at).total_seconds())


def _authorised(request: HttpRequest) -> bool:
    token = getattr(settings, "METRICS_TOKEN", "") or ""
    if not token:
        return False
    sent = request.headers.get("Authorization", "")
    scheme, _, value = sent.partition(" ")
    if scheme.lower() != "bearer":
        return False
    return hmac.compare_digest(value.strip().encode(), token.encode())


def registry() -> Any:
    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        collected = CollectorRegistry()
        multiprocess.MultiProcessCollector(collected)
        return collected
    return REGISTRY


@require_GET
def metrics_view(request: HttpRequest) -> HttpResponse:
    if not _authorised(request):
        raise Http404
    return HttpResponse(generate_latest(registry()), content_type=CONTENT_TYPE_LATEST)
