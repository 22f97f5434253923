"""/healthz and /readyz (docs/observability.md): real checks, real failures, nothing leaked in the answer."""

from __future__ import annotations

import json
import shutil
import socket
import subprocess
import time
from pathlib import Path
from typing import Any

import pytest
from django.core.cache import caches
from django.test import Client

from amparo.core.tests.ports import free_port


@pytest.fixture
def storage(settings: Any, tmp_path: Path) -> dict[str, Path]:
    folders = {"safechannel": tmp_path / "channel-store", "cases": tmp_path / "cases-store"}
    for folder in folders.values():
        folder.mkdir(mode=0o700)
    settings.SAFECHANNEL_STORAGE_DIR = folders["safechannel"]
    settings.CASES_STORAGE_DIR = folders["cases"]
    return folders


def readyz(client: Client) -> tuple[int, dict[str, Any], Any]:
    response = client.get("/readyz")
    assert response["Content-Type"] == "application/json"
    assert not response.cookies, "a probe sets no cookie"
    return response.status_code, json.loads(response.content), response


def test_healthz_answers_without_touching_anything(client: Client) -> None:
    # No django_db mark: pytest-django refuses any database access here, so the answer proves there was none.
    response = client.get("/healthz")
    assert response.status_code == 200 and json.loads(response.content) == {"status": "ok"}


@pytest.mark.django_db
def test_ready_when_database_cache_and_storage_work(client: Client, storage: dict[str, Path]) -> None:
    status, body, _ = readyz(client)
    assert status == 200, body
    assert body == {
        "status": "ok",
        "checks": {"database": "ok", "cache": "ok", "storage_safechannel": "ok", "storage_cases": "ok"},
    }
    # The probe files are gone again.
    assert all(list(folder.iterdir()) == [] for folder in storage.values())


@pytest.mark.django_db
def test_a_missing_storage_folder_is_not_ready_and_the_answer_names_no_path(
    client: Client, storage: dict[str, Path]
) -> None:
    shutil.rmtree(storage["safechannel"])  # e.g. a volume that did not mount
    status, body, response = readyz(client)
    assert status == 503
    assert body["status"] == "fail" and body["checks"]["storage_safechannel"] == "fail"
    assert body["checks"]["storage_cases"] == "ok" and body["checks"]["database"] == "ok"
    assert str(storage["safechannel"].parent) not in response.content.decode()
    assert not storage["safechannel"].exists(), "the check does not create the folder on the wrong disk"


@pytest.mark.django_db
def test_a_storage_path_that_cannot_hold_files_is_not_ready(client: Client, storage: dict[str, Path]) -> None:
    # Root (tests run as root here) may write anywhere a mode allows nothing; a file where the folder should be
    # cannot hold files for anyone.
    shutil.rmtree(storage["cases"])
    storage["cases"].write_bytes(b"not a folder")
    status, body, _ = readyz(client)
    assert status == 503 and body["checks"]["storage_cases"] == "fail"


@pytest.mark.django_db
def test_the_default_storage_is_checked_when_configured(
    client: Client, storage: dict[str, Path], settings: Any, tmp_path: Path
) -> None:
    settings.MEDIA_ROOT = str(tmp_path / "media")
    status, body, _ = readyz(client)
    assert status == 200 and body["checks"]["storage_default"] == "ok"
    assert list((tmp_path / "media").iterdir()) == []
    (tmp_path / "media").rmdir()
    (tmp_path / "media").write_bytes(b"in the way")
    status, body, _ = readyz(client)
    assert status == 503 and body["checks"]["storage_default"] == "fail"


def redis_cache(port: int) -> dict[str, Any]:
    return {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": f"redis://127.0.0.1:{port}/0",
            "OPTIONS": {"socket_connect_timeout": 1, "socket_timeout": 1},
        }
    }


@pytest.mark.django_db
def test_a_redis_cache_where_nothing_listens_is_not_ready(
    client: Client, storage: dict[str, Path], settings: Any
) -> None:
    settings.CACHES = redis_cache(free_port())  # Django's RedisCache over redis-py, nobody on the port
    try:
        started = time.monotonic()
        status, body, _ = readyz(client)
        assert status == 503 and body["checks"] == {
            "database": "ok",
            "cache": "fail",
            "storage_safechannel": "ok",
            "storage_cases": "ok",
        }
        assert time.monotonic() - started < 5, "a dead cache answers quickly, not after a long timeout"
    finally:
        caches["default"].close()


@pytest.mark.django_db
@pytest.mark.skipif(shutil.which("redis-server") is None, reason="redis-server is not installed")
def test_a_real_redis_cache_is_ready(client: Client, storage: dict[str, Path], settings: Any, tmp_path: Path) -> None:
    port = free_port()
    server = subprocess.Popen(
        [
            "redis-server",
            "--port",
            str(port),
            "--bind",
            "127.0.0.1",
            "--save",
            "",
            "--appendonly",
            "no",
            "--dir",
            str(tmp_path),
        ],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        deadline = time.monotonic() + 10
        while True:
            try:
                socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
                break
            except OSError:
                assert time.monotonic() < deadline, "redis-server did not start"
                time.sleep(0.05)
        settings.CACHES = redis_cache(port)
        status, body, _ = readyz(client)
        assert status == 200 and body["checks"]["cache"] == "ok"
        caches["default"].close()
        server.terminate()  # Redis goes away: the next probe says so
        server.wait(timeout=10)
        status, body, _ = readyz(client)
        assert status == 503 and body["checks"]["cache"] == "fail"
    finally:
        caches["default"].close()
        if server.poll() is None:
            server.kill()
            server.wait()
