"""Redis down (issue 18, item 5; docs/faults.md "Redis down"): Django's real RedisCache pointed at a port where
nothing listens, so every cache call fails as it does when the server is gone. A survivor's report still gets in
(counted in the process's memory, still limited), receipt sign-in and password-reset e-mails fail closed with the
503 page, directory search keeps working."""

from __future__ import annotations

import shutil
import socket
import subprocess
import time
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from django.test import Client

from amparo.core import counters
from amparo.core.tests.ports import free_port
from amparo.safechannel import ratelimit
from amparo.safechannel.models import ReceiptSession, Report

from .conftest import CUCUTA, World
from .test_availability import NOW, challenge_of, fields, receipt_in, with_proof

pytestmark = pytest.mark.django_db


@pytest.fixture
def redis_down(settings: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(ratelimit, "clock", lambda: NOW)
    settings.CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": f"redis://127.0.0.1:{free_port()}/0",
            "OPTIONS": {"socket_connect_timeout": 0.5, "socket_timeout": 0.5},
        }
    }
    counters._local.clear()


def visitor(address: str) -> Client:
    # raise_request_exception=False: the response is what the server sends (handler500), as in production.
    return Client(
        HTTP_HOST="localhost", REMOTE_ADDR=address, HTTP_SEC_FETCH_SITE="same-origin", raise_request_exception=False
    )


def assert_unavailable_page(response: Any) -> None:
    text = response.content.decode()
    assert response.status_code == 503, text[:1000]
    assert response["Retry-After"] == "30"
    assert "no puede responder" in text and "123" in text  # the Spanish page, with the emergency line
    assert "Traceback" not in text and "redis" not in text.lower() and "Error" not in text
    assert not response.cookies


def test_with_redis_down_her_report_gets_in_and_the_limit_still_holds_in_the_process(
    world: World, redis_down: None, settings: Any
) -> None:
    started = time.monotonic()
    survivor = visitor("198.51.100.20")
    page = survivor.get(f"/es/channel/report/?place={CUCUTA}")
    assert page.status_code == 200
    sent = survivor.post(with_proof("/es/channel/report/", challenge_of(page)), fields(page))
    assert sent.status_code == 200, sent.content.decode()[:2000]
    receipt = receipt_in(sent)
    assert Report.objects.count() == 1
    # The no-JavaScript lane too, and its budget still holds, counted in this process.
    settings.SAFECHANNEL_RATE_LIMITS = {**settings.SAFECHANNEL_RATE_LIMITS, "report_global": (1, 60)}
    plain = visitor("198.51.100.21")
    page = plain.get(f"/es/channel/report/?place={CUCUTA}")
    assert plain.post("/es/channel/report/", fields(page)).status_code == 200
    page = plain.get(f"/es/channel/report/?place={CUCUTA}")
    refused = plain.post("/es/channel/report/", fields(page))
    assert refused.status_code == 429
    assert "Un cliente me agredió" in refused.content.decode()  # her text comes back with the refusal
    assert Report.objects.count() == 2
    # Receipt sign-in fails closed: no Argon2 run, no session, the 503 page.
    assert_unavailable_page(survivor.get("/es/channel/login/"))
    assert_unavailable_page(survivor.post("/es/channel/login/", {"receipt": receipt}))
    assert ReceiptSession.objects.count() == 0
    # Each refused connection costs little: the whole test stays well under the socket timeouts' sum.
    assert time.monotonic() - started < 20


def test_with_redis_down_search_works_and_password_reset_mail_fails_closed(world: World, redis_down: None) -> None:
    anyone = visitor("198.51.100.30")
    assert anyone.get("/es/services/?q=me+violaron+en+cucuta").status_code == 200
    reset = anyone.post("/staff/password-reset/", {"email": world.staff["caseworker"].email})
    assert_unavailable_page(reset)


@pytest.fixture
def private_redis(settings: Any, tmp_path: Any) -> Iterator[Callable[[], None]]:
    """A redis-server of this test's own on a free port (never the machine's), as CACHE_URL; yields a function that
    starts it again after the test killed it."""
    binary = shutil.which("redis-server")
    if binary is None:
        pytest.skip("redis-server is not installed")
    port = free_port()
    command = [binary, "--port", str(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no"]
    command += ["--dir", str(tmp_path)]
    servers: list[subprocess.Popen[bytes]] = []

    def start() -> None:
        servers.append(subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL))
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            with socket.socket() as probe:
                if probe.connect_ex(("127.0.0.1", port)) == 0:
                    return
            time.sleep(0.05)
        raise AssertionError("the private redis-server did not start")

    start()
    settings.CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": f"redis://127.0.0.1:{port}/0",
            "OPTIONS": {"socket_connect_timeout": 0.5, "socket_timeout": 0.5},
        }
    }
    yield start
    for server in servers:
        server.kill()
        server.wait()


def test_redis_killed_and_back_receipt_sign_in_fails_closed_then_works_without_a_restart(
    world: World, private_redis: Callable[[], None], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(ratelimit, "clock", lambda: NOW)
    survivor = visitor("198.51.100.40")
    page = survivor.get(f"/es/channel/report/?place={CUCUTA}")
    receipt = receipt_in(survivor.post(with_proof("/es/channel/report/", challenge_of(page)), fields(page)))
    assert survivor.post("/es/channel/login/", {"receipt": receipt}).status_code == 302
    from django.conf import settings

    port = int(settings.CACHES["default"]["LOCATION"].rsplit(":", 1)[1].split("/")[0])
    subprocess.run(["redis-cli", "-p", str(port), "shutdown", "nosave"], check=False, capture_output=True)
    time.sleep(0.2)
    assert_unavailable_page(survivor.post("/es/channel/login/", {"receipt": receipt}))
    page = survivor.get(f"/es/channel/report/?place={CUCUTA}")  # reports still get in meanwhile
    assert survivor.post(with_proof("/es/channel/report/", challenge_of(page)), fields(page)).status_code == 200
    private_redis()  # Redis is back: the app reconnects by itself
    assert survivor.post("/es/channel/login/", {"receipt": receipt}).status_code == 302
