"""The safe channel in a real Chromium (make test-browser): a survivor files a report with JavaScript off on a
phone, keeps her receipt, a recipient answers after signing in with password and TOTP, and the survivor reads the
answer with her receipt, agrees to be referred for protection, then leaves."""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

import pytest
from django_otp.plugins.otp_totp.models import TOTPDevice
from playwright.sync_api import Browser

from amparo.accounts.tests.test_auth_http import code_for
from amparo.core.tests.browser import PHONE, NeutralSite, chromium, neutral_site, watch
from amparo.safechannel import services
from amparo.safechannel.models import Report

from .conftest import CUCUTA, PASSWORD, World

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    with chromium() as launched:
        yield launched


def test_report_with_js_off_then_reply_then_read_with_the_receipt(
    browser: Browser, live_server: Any, world: World, settings: Any
) -> None:
    base = live_server.url
    with neutral_site() as neutral:
        settings.QUICK_EXIT_URL = neutral.url
        walk(browser, base, world, neutral)


def walk(browser: Browser, base: str, world: World, neutral: NeutralSite) -> None:
    # The survivor, on a phone with JavaScript off.
    phone = browser.new_context(java_script_enabled=False, locale="es-CO", **PHONE)
    seen = watch(phone)
    page = phone.new_page()
    page.goto(f"{base}/es/channel/")
    page.locator("main a[href='/es/channel/report/']").click()
    page.select_option("select[name=place]", CUCUTA)
    page.locator("form button[type=submit]").click()
    page.fill("textarea[name=what_happened]", "Un cliente me golpeó en la calle Ámbar y me sigue desde entonces.")
    page.check("input[name=happened][value=physical_assault]")
    page.check("input[name=persecuted][value=yes]")
    page.check("input[name=state_agent][value=no]")
    page.check("input[name=wants][value=protection]")
    page.locator("form.report button[type=submit]").click()
    assert page.locator("p.receipt").count() == 1, page.content()[-6000:]
    receipt = page.locator("p.receipt strong").inner_text().replace(" ", "")
    assert re.fullmatch(r"\d{16}", receipt)
    page.fill("input[name=receipt]", receipt)
    page.locator("form button[type=submit]").click()
    assert page.locator("h1").inner_text()  # the "receipt saved" page
    assert phone.cookies() == []  # no cookie before signing in with the receipt
    assert not seen.foreign_requests(base)
    phone.close()

    report = Report.objects.get()
    assert report.receipt_confirmed and report.persecuted

    # A recipient signs in with password and TOTP, and answers.
    office = browser.new_context(locale="es-CO")
    staff = office.new_page()
    user = world.staff["casa"]
    staff.goto(f"{base}/staff/login/")
    staff.fill("input[name=email]", user.email)
    staff.fill("input[name=password]", PASSWORD)
    staff.locator("main form button[type=submit]").click()
    staff.fill("input[name=token]", code_for(TOTPDevice.objects.get(user=user)))
    staff.locator("main form button[type=submit]").click()
    staff.goto(f"{base}/staff/channel/")
    staff.locator(f"a[href='/staff/channel/reports/{report.uuid}/']").click()
    assert "calle Ámbar" in staff.content()
    staff.fill("textarea[name=text]", "Te acompañamos a pedir medidas de protección el martes.")
    staff.select_option("select[name=status]", "waiting")
    staff.locator("main form button[type=submit]").click()
    office.close()

    # Later, on another browser profile, with JavaScript still off, she reads the answer with her receipt.
    later = browser.new_context(java_script_enabled=False, locale="es-CO", **PHONE)
    page = later.new_page()
    page.goto(f"{base}/es/channel/login/")
    page.fill("input[name=receipt]", f"{receipt[:4]} {receipt[4:8]} {receipt[8:12]} {receipt[12:]}")
    page.locator("form button[type=submit]").click()
    assert page.url.endswith("/es/channel/inbox/")
    assert "medidas de protección el martes" in page.content()
    assert [c["name"] for c in later.cookies()] == ["amparo_channel"]
    cookie = later.cookies()[0]
    assert cookie["httpOnly"] and cookie["sameSite"] == "Strict" and cookie["expires"] == -1
    # She agrees to be referred for protection: a plain form, JavaScript still off; the choice stays ticked.
    page.check("input[name=sharing][value=share_protection]")
    page.locator("form[action='/es/channel/inbox/sharing/'] button[type=submit]").click()
    assert page.url.endswith("/es/channel/inbox/#sharing")
    assert page.is_checked("input[name=sharing][value=share_protection]")
    assert not page.is_checked("input[name=sharing][value=share_health]")
    assert services.sharing_consents(report) == {"share_protection"}
    # Leaving ends the session: the cookie is gone and Back does not reopen her report.
    page.locator("main a[href='/es/channel/exit/']").click()
    page.wait_for_url(neutral.url)
    assert later.cookies() == []
    page.goto(f"{base}/es/channel/inbox/")
    assert page.url.endswith("/es/channel/login/")
    later.close()


def test_with_javascript_the_page_solves_the_puzzle_and_goes_through_the_proof_lane(
    browser: Browser, live_server: Any, world: World
) -> None:
    from amparo.safechannel import ratelimit

    base = live_server.url
    phone = browser.new_context(java_script_enabled=True, locale="es-CO", **PHONE)
    seen = watch(phone)
    page = phone.new_page()
    page.goto(f"{base}/es/channel/report/?place={CUCUTA}")
    page.fill("textarea[name=what_happened]", "Un policía me amenazó en el parque Turquesa la semana pasada.")
    page.check("input[name=persecuted][value=no]")
    page.check("input[name=state_agent][value=yes]")
    page.locator("form.report button[type=submit]").click()
    page.wait_for_selector("p.receipt", timeout=30_000)
    assert "pow=" in page.url and "powc=" in page.url  # the solution travelled in the query string
    assert ratelimit.count("report_proof") == 1 and ratelimit.count("report_global") == 0
    receipt = page.locator("p.receipt strong").inner_text().replace(" ", "")
    assert re.fullmatch(r"\d{16}", receipt)

    page.goto(f"{base}/es/channel/login/")
    page.fill("input[name=receipt]", receipt)
    page.locator("form button[type=submit]").click()
    page.wait_for_url(f"{base}/es/channel/inbox/", timeout=30_000)
    assert "parque Turquesa" in page.content()
    assert ratelimit.count("receipt_proof") == 1 and ratelimit.count("receipt_global") == 0
    assert Report.objects.get().state_agent
    assert not seen.csp_violations() and not seen.page_errors and not seen.foreign_requests(base)
    assert [c["name"] for c in phone.cookies()] == ["amparo_channel"]
    phone.close()


def test_a_proof_made_too_weak_by_a_flood_is_solved_again_by_itself_keeping_her_text(
    browser: Browser, live_server: Any, world: World, settings: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    from amparo.safechannel import ratelimit

    monkeypatch.setattr(ratelimit, "clock", lambda: 1_900_000_020.0)  # no window turns during the test
    base = live_server.url
    phone = browser.new_context(java_script_enabled=True, locale="es-CO", **PHONE)
    seen = watch(phone)
    page = phone.new_page()
    page.goto(f"{base}/es/channel/report/?place={CUCUTA}")
    asked = int(page.locator("form.report").get_attribute("data-pow-bits") or 0)
    page.fill("textarea[name=what_happened]", "Me quitaron el dinero en la terminal Coral.")
    page.check("input[name=persecuted][value=no]")
    page.check("input[name=state_agent][value=no]")
    # While she writes, a flood of solved reports fills half of the minute's budget: her answer is now too weak.
    for _ in range(settings.SAFECHANNEL_RATE_LIMITS["report_proof"][0] // 2):
        ratelimit._hit("report_proof", "all", ratelimit.clock())
    assert ratelimit.required_bits("report") > asked
    page.locator("form.report button[type=submit]").click()
    page.wait_for_selector("p.receipt", timeout=30_000)  # refused once, solved again and sent by the script
    assert Report.objects.count() == 1
    assert ratelimit.count("report_proof") == settings.SAFECHANNEL_RATE_LIMITS["report_proof"][0] // 2 + 1
    assert not seen.csp_violations() and not seen.page_errors
    phone.close()
