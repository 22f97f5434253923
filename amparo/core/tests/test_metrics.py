"""/metrics (docs/observability.md): closed without the token, and what it counts says nothing about who."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path
from typing import Any

import pytest
from django.test import Client, override_settings
from django_tasks import task
from prometheus_client.parser import text_string_to_metric_families

from amparo.core import metrics
from amparo.core.tests.ports import free_port

TOKEN = "metrics-token-for-tests-0123456789abcdef"


def scrape(client: Client, token: str = TOKEN) -> dict[tuple[str, tuple[tuple[str, str], ...]], float]:
    response = client.get("/metrics", HTTP_AUTHORIZATION=f"Bearer {token}")
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/plain")
    assert not response.cookies and response["Cache-Control"] == "no-store"
    return parse(response.content.decode())


def parse(text: str) -> dict[tuple[str, tuple[tuple[str, str], ...]], float]:
    return {
        (sample.name, tuple(sorted(sample.labels.items()))): sample.value
        for family in text_string_to_metric_families(text)
        for sample in family.samples
    }


def test_metrics_are_closed_without_the_token(client: Client, settings: Any) -> None:
    settings.METRICS_TOKEN = ""
    assert client.get("/metrics").status_code == 404  # unset: closed to everyone, even with a guess
    assert client.get("/metrics", HTTP_AUTHORIZATION="Bearer ").status_code == 404
    settings.METRICS_TOKEN = TOKEN
    assert client.get("/metrics").status_code == 404
    assert client.get("/metrics", HTTP_AUTHORIZATION=f"Bearer {TOKEN[:-1]}x").status_code == 404
    assert client.get("/metrics", HTTP_AUTHORIZATION=f"Basic {TOKEN}").status_code == 404
    assert client.get("/metrics", HTTP_AUTHORIZATION=f"Bearer {TOKEN}").status_code == 200
    assert client.post("/metrics", HTTP_AUTHORIZATION=f"Bearer {TOKEN}").status_code == 405


@pytest.mark.django_db
def test_requests_are_counted_by_view_name_never_by_path(client: Client, settings: Any) -> None:
    settings.METRICS_TOKEN = TOKEN
    before = scrape(client)
    for _ in range(3):
        assert client.get("/es/services/?q=Violeta+Quintanilla+3105550101").status_code == 200
    assert client.get("/es/services/00000000-0000-0000-0000-000000000000/").status_code == 404
    assert client.get("/es/no-such-page/Violeta-Quintanilla/").status_code == 404
    text = client.get("/metrics", HTTP_AUTHORIZATION=f"Bearer {TOKEN}").content.decode()
    after = parse(text)

    def delta(name: str, **labels: str) -> float:
        key = (name, tuple(sorted(labels.items())))
        return after.get(key, 0.0) - before.get(key, 0.0)

    assert delta("amparo_http_requests_total", view="directory:search", method="GET", status="2xx") == 3
    assert delta("amparo_http_requests_total", view="directory:service", method="GET", status="4xx") == 1
    assert delta("amparo_http_requests_total", view="unmatched", method="GET", status="4xx") >= 1
    assert delta("amparo_http_request_duration_seconds_count", view="directory:search", method="GET") == 3
    assert "Violeta" not in text and "3105550101" not in text and "00000000-0000" not in text and "/es/" not in text


def test_unusual_methods_do_not_make_new_series(client: Client, settings: Any) -> None:
    settings.METRICS_TOKEN = TOKEN
    client.generic("BREW", "/healthz")
    text = client.get("/metrics", HTTP_AUTHORIZATION=f"Bearer {TOKEN}").content.decode()
    assert "BREW" not in text and 'method="other"' in text


@task()
def succeeding_task() -> int:
    return 1


@task()
def failing_task() -> None:
    raise RuntimeError("Violeta Quintanilla")  # the message must not reach a metric (nor a log line)


def test_task_outcomes_are_counted(client: Client, settings: Any) -> None:
    settings.METRICS_TOKEN = TOKEN
    with override_settings(TASKS={"default": {"BACKEND": "django_tasks.backends.immediate.ImmediateBackend"}}):
        before = scrape(client)
        succeeding_task.enqueue()
        succeeding_task.enqueue()
        failing_task.enqueue()
        after = scrape(client)
    path = f"{__name__}."

    def delta(task_name: str, outcome: str) -> float:
        key = ("amparo_tasks_finished_total", (("outcome", outcome), ("task", path + task_name)))
        return after.get(key, 0.0) - before.get(key, 0.0)

    assert delta("succeeding_task", "successful") == 2
    assert delta("failing_task", "failed") == 1
    assert delta("failing_task", "successful") == 0


def test_channel_outcomes_are_a_closed_list() -> None:
    with pytest.raises(ValueError):
        metrics.count_channel_submission("from Cúcuta")


def test_gunicorn_workers_add_up_in_multiprocess_mode(tmp_path: Path) -> None:
    """Two gunicorn workers, real HTTP: /metrics (answered by either worker) counts the requests of both."""
    port = free_port()
    multiproc = tmp_path / "prometheus"
    multiproc.mkdir()
    env = {
        **os.environ,
        "PROMETHEUS_MULTIPROC_DIR": str(multiproc),
        "METRICS_TOKEN": TOKEN,
        "AMPARO_VAR_DIR": str(tmp_path / "var"),
        "DATABASE_URL": f"sqlite:///{tmp_path / 'unused.sqlite3'}",
        "DJANGO_SETTINGS_MODULE": "amparo.settings",
    }
    server = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "gunicorn",
            "amparo.wsgi:application",
            "--workers",
            "2",
            "--bind",
            f"127.0.0.1:{port}",
            "--log-level",
            "warning",
            "--graceful-timeout",
            "2",
        ],
        env=env,
        cwd=Path(__file__).resolve().parents[3],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )

    def get(path: str, headers: dict[str, str] | None = None) -> tuple[int, str]:
        request = urllib.request.Request(f"http://127.0.0.1:{port}{path}", headers=headers or {})
        try:
            with urllib.request.urlopen(request, timeout=10) as response:  # noqa: S310 (http to 127.0.0.1)
                return response.status, response.read().decode()
        except urllib.error.HTTPError as error:
            return error.code, ""

    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                if get("/healthz")[0] == 200:
                    break
            except OSError:
                pass
            assert server.poll() is None, server.stderr.read().decode() if server.stderr else "gunicorn exited"
            assert time.monotonic() < deadline, "gunicorn did not answer"
            time.sleep(0.2)
        for _ in range(40):  # spread over both workers by the kernel
            assert get("/healthz")[0] == 200
        assert get("/metrics")[0] == 404
        status, text = get("/metrics", {"Authorization": f"Bearer {TOKEN}"})
        assert status == 200
        counted = parse(text)[
            ("amparo_http_requests_total", (("method", "GET"), ("status", "2xx"), ("view", "healthz")))
        ]
        assert counted >= 41  # the wait's probes, then 40 more, whichever worker answered each
        files = {path.name.split("_")[0] for path in multiproc.iterdir()}
        assert files, "prometheus_client kept the workers' values in PROMETHEUS_MULTIPROC_DIR"
    finally:
        server.send_signal(signal.SIGTERM)
        try:
            server.wait(timeout=15)
        except subprocess.TimeoutExpired:
            server.kill()
            server.wait()
