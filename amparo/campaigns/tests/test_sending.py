"""The optional sending webhook, against a real local HTTP server: it receives the text and never a phone number;
errors (an error status, a timeout, nobody listening) are shown in words; every attempt is audited."""

from __future__ import annotations

import http.server
import json
import socket
import threading
import time
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from django.test import Client
from django.utils import translation

from amparo.audit.models import AuditEntry
from amparo.campaigns import services
from amparo.campaigns.models import SendingHook
from amparo.campaigns.services import SendError, sending_hook_set, text_send

from .conftest import World

pytestmark = pytest.mark.django_db


class _Gateway(http.server.BaseHTTPRequestHandler):
    received: list[dict[str, object]] = []
    status = 200
    delay = 0.0

    def do_POST(self) -> None:
        length = int(self.headers.get("Content-Length", 0))
        _Gateway.received.append(json.loads(self.rfile.read(length)))
        time.sleep(_Gateway.delay)
        self.send_response(_Gateway.status)
        self.end_headers()
        self.wfile.write(b"{}")

    def log_message(self, *args: object) -> None:
        pass


@pytest.fixture
def gateway(settings: Any) -> Iterator[str]:
    settings.CAMPAIGNS_WEBHOOK_INTERNAL_HOSTS = ["127.0.0.1"]  # the test's gateway listens on loopback
    _Gateway.received, _Gateway.status, _Gateway.delay = [], 200, 0.0
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _Gateway)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{server.server_address[1]}/hook"
    server.shutdown()
    server.server_close()


@pytest.fixture
def coordinator(world: World, verified_client_for: Callable[..., Client]) -> Client:
    return verified_client_for(world.coordinator)


def test_a_coordinator_sets_the_webhook_and_sends_a_text_only(world: World, coordinator: Client, gateway: str) -> None:
    response = coordinator.post(f"/staff/campaigns/sending/{world.org.uuid}/", {"url": gateway, "active": "on"})
    assert response.status_code == 302 and SendingHook.objects.get(organization=world.org).url == gateway
    response = coordinator.post(
        f"/staff/campaigns/{world.campaign.uuid}/send/",
        {"channel": "sms", "language": "es", "kind": "pathway", "key": "sexual-violence-72h"},
    )
    assert response.status_code == 302
    [payload] = _Gateway.received
    assert set(payload) == {"text", "channel", "language", "campaign", "campaign_name", "source"}
    assert "155" in str(payload["text"]) and "/r/" in str(payload["text"])
    assert payload["channel"] == "sms" and payload["language"] == "es"
    entry = AuditEntry.objects.get(action="campaigns.text.sent")
    assert entry.detail["status"] == 200 and entry.detail["host"] == "127.0.0.1"


def test_an_error_status_is_said_in_words(world: World, gateway: str) -> None:
    sending_hook_set(actor=world.coordinator, organization=world.org, url=gateway, active=True)
    _Gateway.status = 503
    with translation.override("en"), pytest.raises(SendError, match="answered 503: the text was not taken"):
        text_send(actor=world.coordinator, campaign=world.campaign, channel="sms", language="es", text="Hola")
    assert AuditEntry.objects.filter(action="campaigns.text.send_failed").count() == 1


def test_a_slow_gateway_times_out(world: World, gateway: str, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(services, "SEND_TIMEOUT_SECONDS", 0.3)
    _Gateway.delay = 1.5
    sending_hook_set(actor=world.coordinator, organization=world.org, url=gateway, active=True)
    with translation.override("en"), pytest.raises(SendError, match="did not answer within"):
        text_send(actor=world.coordinator, campaign=world.campaign, channel="sms", language="es", text="Hola")


def test_an_address_inside_the_servers_network_is_not_called(world: World, gateway: str, settings: object) -> None:
    """The coordinator's address resolves to loopback (or a private network, a cloud's metadata address): nothing
    is sent there unless an administrator named the host; the attempt is audited and said in words."""
    settings.CAMPAIGNS_WEBHOOK_INTERNAL_HOSTS = []  # type: ignore[attr-defined]
    sending_hook_set(actor=world.coordinator, organization=world.org, url=gateway, active=True)
    with translation.override("en"), pytest.raises(SendError, match="inside the server's own network"):
        text_send(actor=world.coordinator, campaign=world.campaign, channel="sms", language="es", text="Hola")
    assert _Gateway.received == []
    assert AuditEntry.objects.filter(action="campaigns.text.send_failed").count() == 1
    localhost = gateway.replace("127.0.0.1", "localhost")  # a name that resolves there is refused the same way
    sending_hook_set(actor=world.coordinator, organization=world.org, url=localhost, active=True)
    with pytest.raises(SendError):
        text_send(actor=world.coordinator, campaign=world.campaign, channel="sms", language="es", text="Hola")
    assert _Gateway.received == []


def test_the_internal_address_check() -> None:
    from amparo.campaigns.services import InternalAddressError, _refuse_internal

    for peer in ("127.0.0.1", "10.1.2.3", "192.168.0.9", "172.16.5.5", "169.254.169.254", "::1", "fd00::1",
                 "::ffff:127.0.0.1", "0.0.0.0", "100.64.0.1", "224.0.0.1"):  # noqa: S104  # fmt: skip
        with pytest.raises(InternalAddressError):
            _refuse_internal("gateway.example.org", peer)
    for peer in ("8.8.8.8", "2001:4860:4860::8888", "190.24.3.1"):
        _refuse_internal("gateway.example.org", peer)


def test_nobody_listening_is_said_in_words(world: World, settings: object) -> None:
    settings.CAMPAIGNS_WEBHOOK_INTERNAL_HOSTS = ["127.0.0.1"]  # type: ignore[attr-defined]
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    sending_hook_set(actor=world.coordinator, organization=world.org, url=f"http://127.0.0.1:{port}/", active=True)
    with translation.override("en"), pytest.raises(SendError, match="could not be reached"):
        text_send(actor=world.coordinator, campaign=world.campaign, channel="sms", language="es", text="Hola")


def test_without_a_webhook_nothing_is_sent(world: World) -> None:
    with translation.override("en"), pytest.raises(SendError, match="no active sending webhook"):
        text_send(actor=world.coordinator, campaign=world.campaign, channel="sms", language="es", text="Hola")


def test_a_bad_address_is_a_form_message(world: World, coordinator: Client) -> None:
    response = coordinator.post(f"/staff/campaigns/sending/{world.org.uuid}/", {"url": "not a url"})
    assert response.status_code == 400 and not SendingHook.objects.exists()


def test_an_sms_over_budget_is_not_sent(world: World, coordinator: Client, gateway: str) -> None:
    sending_hook_set(actor=world.coordinator, organization=world.org, url=gateway, active=True)
    world.campaign.sms_segments = 1
    world.campaign.save()
    response = coordinator.post(
        f"/staff/campaigns/{world.campaign.uuid}/send/",
        {"channel": "sms", "language": "pt", "kind": "pathway", "key": "sexual-violence-72h"},
    )
    assert response.status_code == 400 and _Gateway.received == []
    response = coordinator.post(  # the same text without accents fits in one GSM-7 message
        f"/staff/campaigns/{world.campaign.uuid}/send/",
        {"channel": "sms", "language": "pt", "kind": "pathway", "key": "sexual-violence-72h", "plain": "on"},
    )
    assert response.status_code == 302 and "Violencia" in str(_Gateway.received[0]["text"])
