"""A new referral, from a case or from a safe-channel report, is sent once (core/once.py): the same form sent twice
(a double click, a retry) and the same content from a form fetched anew (Back, then send again) show the referral
the first submission sent; the focal point gets one referral and one notice."""

from __future__ import annotations

import re
from typing import Any

import pytest

from amparo.accounts.tests.http import Browser, Response
from amparo.audit.models import AuditEntry
from amparo.cases.vocab import ConsentKind
from amparo.referrals.models import Priority, Referral, ServiceType
from amparo.today.models import Notification

from .conftest import World, signed_in
from .test_from_report_http import channel_world, file_and_sign_in, share  # noqa: F401 - fixture

pytestmark = pytest.mark.django_db(transaction=True)


def form_tokens(browser: Browser, path: str) -> dict[str, str]:
    page = browser.get(path)
    assert page.status == 200, (path, page.status)
    found = {}
    for name in ("csrfmiddlewaretoken", "form_token"):
        match = re.search(rf'name="{name}" value="([^"]+)"', page.text)
        assert match, f"no {name} on {path}"
        found[name] = match.group(1)
    return found


def send(browser: Browser, path: str, world: World, tokens: dict[str, str], shared: tuple[str, ...]) -> Response:
    fields = [
        *tokens.items(),
        ("service_type", ServiceType.HEALTH),
        ("service", str(world.hospital.uuid)),
        ("focal_point", str(world.focal.uuid)),
        ("priority", Priority.URGENT),
        ("reason", "Atención tras agresión sexual."),
        *[("shared_fields", code) for code in shared],
    ]
    return browser.request(path.split("?")[0], fields)


def resubmit_three_times(browser: Browser, path: str, world: World, shared: tuple[str, ...]) -> Referral:
    tokens = form_tokens(browser, path)
    first = send(browser, path, world, tokens, shared)
    assert first.status == 302, first.text[:2000]
    referral = Referral.objects.get()
    assert first.location == f"/staff/referrals/{referral.uuid}/"
    again = send(browser, path, world, tokens, shared)  # a double click
    assert again.status == 302 and again.location == first.location
    shown = browser.follow(again)
    assert shown.status == 200 and "ya se había enviado" in shown.text  # said on the referral it finds
    back = send(browser, path, world, form_tokens(browser, path), shared)  # Back: a new token, the same content
    assert back.status == 302 and back.location == first.location
    assert Referral.objects.count() == 1
    assert AuditEntry.objects.filter(action="referral.send").count() == 1
    return referral


def test_a_resubmitted_referral_from_a_case_is_sent_once(live_server: Any, world: World) -> None:
    caseworker = signed_in(live_server, world.staff["caseworker"])
    path = f"/staff/referrals/new/{world.case.uuid}/?type=health"
    referral = resubmit_three_times(caseworker, path, world, ("age_band",))
    assert referral.case == world.case
    # Another reason is another referral.
    tokens = form_tokens(caseworker, path)
    fields = [(k, v) for k, v in tokens.items()] + [
        ("service_type", "health"), ("service", str(world.hospital.uuid)), ("focal_point", ""),
        ("priority", "normal"), ("reason", "Control a los 30 días."),
    ]  # fmt: skip
    assert caseworker.request(path.split("?")[0], fields).status == 302 and Referral.objects.count() == 2


def test_a_resubmitted_referral_from_a_report_is_sent_once(
    live_server: Any,
    channel_world: World,  # noqa: F811 - the fixture, imported above
) -> None:
    world = channel_world
    staff = signed_in(live_server, world.staff["caseworker"])  # signed in first: the report key is sealed to her
    survivor, report = file_and_sign_in(live_server)
    assert share(survivor, ConsentKind.SHARE_HEALTH).status == 302
    referral = resubmit_three_times(
        staff, f"/staff/referrals/new/report/{report.uuid}/?type=health", world, ("incident_summary",)
    )
    assert referral.report == report
    # A health referral for a report of sexual assault minutes old is an emergency: its focal point is told once.
    assert referral.priority == Priority.EMERGENCY
    assert Notification.objects.filter(recipient=world.staff["focal"], key=str(referral.uuid)).count() == 1
