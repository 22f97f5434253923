"""The recipients' create forms are idempotent (core/once.py): a message to the survivor sent twice (a double click,
Back and send) reaches her once; setting up the channel twice makes one key pair, whose recovery key was shown
once, and says so instead of a 400."""

from __future__ import annotations

import re
from typing import Any

import pytest

from amparo.accounts.models import Organization
from amparo.accounts.tests.http import Browser
from amparo.audit.models import AuditEntry
from amparo.safechannel.models import ChannelSettings, Message, Report

from .conftest import World, file_report, make_staff, staff_login

pytestmark = pytest.mark.django_db(transaction=True)


def tokens(browser: Browser, path: str) -> dict[str, str]:
    page = browser.get(path)
    assert page.status == 200, page.status
    return {
        name: re.search(rf'name="{name}" value="([^"]+)"', page.text).group(1)  # type: ignore[union-attr]
        for name in ("csrfmiddlewaretoken", "form_token")
    }


def test_a_message_to_her_sent_again_reaches_her_once(live_server: Any, world: World) -> None:
    survivor = Browser(live_server.url)
    assert file_report(survivor).status == 200
    report = Report.objects.get()
    staff = Browser(live_server.url)
    staff_login(staff, world.staff["casa"])
    path = f"/staff/channel/reports/{report.uuid}/"
    reply = {"text": "Hola. Podemos acompañarte el martes.", "status": "waiting"}
    first = tokens(staff, path)
    assert staff.request(path, {**first, **reply}).status == 302
    again = staff.request(path, {**first, **reply})
    assert again.status == 302 and "ya se había enviado" in staff.follow(again).text
    assert staff.request(path, {**tokens(staff, path), **reply}).status == 302  # Back: a new token, the same text
    assert Message.objects.filter(author=Message.Author.STAFF).count() == 1
    # A status change alone is never taken for a resubmission; another message is another message.
    assert staff.request(path, {**tokens(staff, path), "text": "", "status": "in_progress"}).status == 302
    assert staff.request(path, {**tokens(staff, path), "text": "", "status": "waiting"}).status == 302
    assert Report.objects.get().status == "waiting"
    assert staff.request(path, {**tokens(staff, path), **reply, "text": "¿Te sirve el jueves?"}).status == 302
    assert Message.objects.filter(author=Message.Author.STAFF).count() == 2


def test_setting_up_the_channel_twice_makes_one_key_pair(live_server: Any, world: World) -> None:
    organization = Organization.objects.create(name="Nueva (resubmission test)")
    coordinator = make_staff("coord@nueva-resub.example.org", organization, "coordinator")
    staff = Browser(live_server.url)
    staff_login(staff, coordinator)
    url = f"/staff/channel/orgs/{organization.uuid}/"
    page = staff.get(url)  # the set-up form has no one-time token: the channel itself is the one thing it makes
    csrf_token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page.text).group(1)  # type: ignore[union-attr]
    shown = staff.request(url, {"csrfmiddlewaretoken": csrf_token, "action": "setup"})
    assert shown.status == 200 and re.search(r"([0-9a-f]{8}-){7}[0-9a-f]{8}", shown.text)
    key = ChannelSettings.objects.get(organization=organization).recovery_public_key
    again = staff.request(url, {"csrfmiddlewaretoken": csrf_token, "action": "setup"})  # Back, and send again
    assert again.status == 302 and again.location == url
    settings_page = staff.follow(again)
    assert settings_page.status == 200 and "solo se mostró una vez" in settings_page.text
    assert not re.search(r"([0-9a-f]{8}-){7}[0-9a-f]{8}", settings_page.text)  # never shown a second time
    assert bytes(ChannelSettings.objects.get(organization=organization).recovery_public_key) == bytes(key)
    assert AuditEntry.objects.filter(action="safechannel.setup", organization_id=organization.pk).count() == 1
