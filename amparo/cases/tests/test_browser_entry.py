"""Session expiry in a real Chromium (make test-browser): the page warns before the session ends, and a half-written
intake whose session ended is neither sent to the sign-in page nor lost: she signs in again in another window and
sends it from the same page. Nothing she typed is stored while she does."""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

import pytest
from django.contrib.sessions.models import Session
from django_otp.plugins.otp_totp.models import TOTPDevice
from playwright.sync_api import Browser, Page

from amparo.accounts.models import User
from amparo.accounts.tests.test_auth_http import code_for
from amparo.cases.models import Case
from amparo.core.tests.browser import chromium
from amparo.safechannel.tests.conftest import PASSWORD

from .conftest import CaseWorld

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    with chromium() as launched:
        yield launched


def _sign_in(page: Page, base: str, user: User, offset: int = 0) -> None:
    page.goto(f"{base}/staff/login/?next=/staff/")
    page.fill("input[name=email]", user.email)
    page.fill("input[name=password]", PASSWORD)
    page.locator("main form button[type=submit]").click()
    page.fill("input[name=token]", code_for(TOTPDevice.objects.get(user=user), offset))
    page.locator("main form button[type=submit]").click()
    page.wait_for_url(re.compile(r"^[^?]*/staff/$"))


def test_an_ended_session_keeps_the_half_written_intake(
    browser: Browser, live_server: Any, case_world: CaseWorld
) -> None:
    base = live_server.url
    worker = case_world.staff["caseworker"]
    context = browser.new_context(locale="es-CO")
    context.clock.install()  # the page's timers run on a clock the test moves: no waiting
    page = context.new_page()
    _sign_in(page, base, worker)
    response = page.goto(f"{base}/staff/cases/new/")
    assert response is not None and response.status == 200, (page.url, page.content()[:3000])
    page.fill("input[name=full_name]", "Ana Escrita-Antes")
    page.fill("textarea[name=narrative]", "Relato-Granate-3307 a medio escribir")
    page.select_option("select[name=nationality]", "VE")
    page.check("input[name=consents][value=services]")
    keeper = page.locator("#session-keeper")
    assert keeper.is_hidden()

    # 26 minutes without a request: the page warns; "stay signed in" extends the session and the notice goes.
    page.clock.fast_forward("26:00")
    warn = keeper.locator("[data-part=warn]")
    warn.wait_for(state="visible")
    keeper.locator("[data-action=stay]").click()
    keeper.wait_for(state="hidden")

    # 31 more minutes without a request: the session ends on the server too. Sending the form does not leave the
    # page: it says so, and keeps her text.
    page.clock.fast_forward("31:00")
    Session.objects.all().delete()
    page.locator("main form.search button[type=submit]").click()
    keeper.locator("[data-part=ended]").wait_for(state="visible")
    assert re.search(r"/staff/cases/new/$", page.url)
    assert page.input_value("input[name=full_name]") == "Ana Escrita-Antes"
    assert "Relato-Granate-3307" in page.input_value("textarea[name=narrative]")
    assert not Case.objects.exists()
    assert "Relato-Granate-3307" not in repr(list(Session.objects.values_list("session_data", flat=True)))

    # She signs in again in another window, comes back, and sends the same form.
    with context.expect_page() as opened:
        keeper.locator("[data-part=ended] a").click()
    other = opened.value
    _sign_in(other, base, worker, offset=1)  # the next code: the first one was used already
    other.close()
    page.bring_to_front()
    page.locator("main form.search button[type=submit]").click()
    page.wait_for_url(re.compile(r"/staff/cases/[0-9a-f-]{36}/$"))
    case = Case.objects.get()
    assert case.full_name == "Ana Escrita-Antes" and case.narrative.startswith("Relato-Granate-3307")
    assert str(case.nationality) == "VE"
    context.close()
