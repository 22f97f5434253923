"""The staff's day at phone width in a real Chromium (make test-browser): the home page's counts and menu, a staff
table read as a list at 390 px without sideways scrolling, the language switch, and a folded section opened by a
link."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta
from typing import Any

import pytest
from django.utils import timezone
from playwright.sync_api import Browser, ViewportSize

from amparo.cases import services as case_services
from amparo.core.tests.browser import chromium, watch
from amparo.referrals.tests.conftest import World
from amparo.referrals.tests.test_browser import sign_in

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

PHONE: ViewportSize = {"width": 390, "height": 844}


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    with chromium() as launched:
        yield launched


def test_a_caseworkers_day_starts_on_her_home_page_at_phone_width(
    browser: Browser, live_server: Any, world: World
) -> None:
    base = live_server.url
    worker = world.staff["caseworker"]
    case_services.action_add(
        actor=worker, case=world.case, description="Llamar a la Fiscalía",
        due_on=timezone.localdate() - timedelta(days=2), assigned_to=worker,
    )  # fmt: skip
    case_services.child_add(
        actor=worker, case=world.case, age_band="0-11", risks=[], care_arrangement="kinship", care_notes="",
        next_follow_up=timezone.localdate() - timedelta(days=1),
    )  # fmt: skip
    page = sign_in(browser, base, worker)
    page.set_viewport_size(PHONE)
    seen = watch(page.context)
    page.reload()
    first = page.locator("ul.work li").first
    assert first.inner_text().startswith("2 Seguimientos vencidos")  # an action and a child's follow-up
    assert "urgent" in (first.get_attribute("class") or "")

    # The menu leads to the follow-ups; the table reads as a list, each value labelled, nothing scrolls sideways.
    page.locator("nav.staff-menu a", has_text="Seguimientos").click()
    page.wait_for_url(f"{base}/staff/cases/follow-ups/")
    assert page.locator("nav.staff-menu a[aria-current=page]").inner_text() == "Seguimientos"
    cell = page.locator("main table tbody td").nth(2)
    assert cell.evaluate("td => getComputedStyle(td).display") == "block"
    assert cell.get_attribute("data-label") == "Acción"
    assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]

    # The case page: sections fold; a link to a folded one opens it.
    page.locator("main table tbody a").first.click()
    assert page.locator("details.section:has(#children)").evaluate("d => d.open") is False
    assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
    page.goto(f"{base}/staff/cases/{world.case.uuid}/#children")
    assert page.locator("details.section:has(#children)").evaluate("d => d.open") is True

    # English, then back to Spanish, from the switch on the page itself.
    page.locator("header form.langs button[value=en]").click()
    page.wait_for_load_state()
    assert page.locator("html").get_attribute("lang") == "en"
    page.goto(f"{base}/staff/")
    assert page.locator("ul.work li").first.inner_text().startswith("2 Overdue follow-ups")
    page.locator("header form.langs button[value=es]").click()
    page.wait_for_load_state()
    assert "Tu trabajo de hoy" in page.content()
    assert not seen.csp_violations() and not seen.page_errors
