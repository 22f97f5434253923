"""Issue 13 in a real Chromium (make test-browser): the caseworker finds her case by name from the case list, the
"refer to health now" alarm gives way once the hospital's focal point attends the referral, a note is written,
and cancelling a referral asks first; at laptop and at phone width."""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

import pytest
from playwright.sync_api import Browser

from amparo.cases.models import CaseNote
from amparo.core.tests.browser import chromium
from amparo.referrals import services
from amparo.referrals.models import Referral

from .conftest import SURVIVOR_NAME, World, add_incident
from .test_browser import sign_in

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    with chromium() as launched:
        yield launched


@pytest.mark.parametrize("width", [1280, 390])
def test_find_refer_note_and_cancel(browser: Browser, live_server: Any, world: World, width: int) -> None:
    base = live_server.url
    add_incident(world, hours_ago=20)
    worker = sign_in(browser, base, world.staff["caseworker"])
    worker.set_viewport_size({"width": width, "height": 844})

    # From the case list, her name in the search box (sent by POST: not in the address bar).
    worker.goto(f"{base}/staff/cases/")
    worker.fill("input[name=q]", SURVIVOR_NAME.split()[0].lower())
    worker.locator("form[action$='/staff/cases/search/'] button[type=submit]").click()
    worker.wait_for_url(re.compile(r"/staff/cases/search/$"))
    worker.locator(f"main li a:text('{world.case.code}')").click()
    worker.wait_for_url(re.compile(rf"/staff/cases/{world.case.uuid}/$"))
    assert "Remite a salud ahora" in worker.content()

    # A health referral; the focal point attends it; the alarm gives way.
    referral = services.referral_send(
        actor=world.staff["caseworker"], case=world.case, service=world.hospital, focal_point=world.focal,
        service_type="health", shared_fields=["age_band", "health_clock"], priority="normal", reason="",
    )  # fmt: skip
    for status in ("received", "accepted", "attended"):
        services.referral_transition(
            actor=world.staff["focal"], referral=referral, to_status=status, sender=False, receiver=True
        )
    worker.reload()
    assert worker.locator("p.notice[role=alert]").count() == 0  # both windows are in the health service's hands
    assert worker.locator("p.health-banner").count() == 1

    # A dated note, encrypted.
    worker.locator(f"a[href='/staff/cases/{world.case.uuid}/notes/']").click()
    worker.fill("textarea[name=text]", "Acompañada al hospital; PEP iniciada.")
    worker.locator("form[action$='/notes/add/'] button[type=submit]").click()
    worker.locator("ul.notes li", has_text="PEP iniciada").wait_for()  # back on the notes page, the note listed
    assert CaseNote.objects.filter(case=world.case).count() == 1

    # Cancelling another referral asks first, then cancels.
    other = services.referral_send(
        actor=world.staff["caseworker"], case=world.case, service=world.hospital, focal_point=None,
        service_type="health", shared_fields=[], priority="normal", reason="",
    )  # fmt: skip
    worker.goto(f"{base}/staff/referrals/{other.uuid}/")
    worker.locator("button[name=to_status][value=closed]").click()
    worker.wait_for_load_state()
    assert Referral.objects.get(pk=other.pk).status == "sent"
    worker.locator("button[name=confirmed]").click()
    worker.wait_for_load_state()
    worker.locator("button[name=to_status]").first.wait_for(state="detached")  # a closed referral has no next step
    assert Referral.objects.get(pk=other.pk).status == "closed"
    worker.context.close()
