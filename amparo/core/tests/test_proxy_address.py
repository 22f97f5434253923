"""Behind nginx (deploy/nginx.conf.template) the client's address arrives in X-Real-IP, which the proxy overwrites:
the channel's per-client buckets must see it, or every no-JavaScript survivor would share one bucket."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.test import RequestFactory, override_settings

from amparo.core.middleware import ProxyClientAddressMiddleware
from amparo.safechannel.ratelimit import client_id


def _seen(**headers: str) -> dict[str, str]:
    seen: dict[str, str] = {}

    def view(request: HttpRequest) -> HttpResponse:
        seen.update({k: v for k, v in request.META.items() if isinstance(v, str)})
        return HttpResponse("ok")

    request = RequestFactory().get("/es/", REMOTE_ADDR="")
    request.META.update(headers)
    ProxyClientAddressMiddleware(view)(request)
    return seen


@override_settings(CLIENT_ADDRESS_HEADER="HTTP_X_REAL_IP")
def test_the_proxys_header_becomes_the_client_address_and_is_not_kept() -> None:
    seen = _seen(HTTP_X_REAL_IP="203.0.113.7")
    assert seen["REMOTE_ADDR"] == "203.0.113.7"
    assert "HTTP_X_REAL_IP" not in seen
    # Two clients behind the same proxy fall in two buckets.
    assert client_id("203.0.113.7", 600, 0.0) != client_id("203.0.113.8", 600, 0.0)


@override_settings(CLIENT_ADDRESS_HEADER="")
def test_without_the_setting_a_client_cannot_choose_its_address() -> None:
    seen = _seen(HTTP_X_REAL_IP="203.0.113.7", HTTP_X_FORWARDED_FOR="198.51.100.1")
    assert seen["REMOTE_ADDR"] == ""


@override_settings(CLIENT_ADDRESS_HEADER="HTTP_X_REAL_IP")
def test_a_missing_header_leaves_the_socket_address() -> None:
    assert _seen()["REMOTE_ADDR"] == ""
