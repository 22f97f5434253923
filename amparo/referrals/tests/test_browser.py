"""A caseworker's day in a real Chromium (make test-browser): intake with consents, an incident that starts the PEP
clock, a health referral to a focal point, the focal point accepting and attending it, and closure approved by the
coordinator."""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import timedelta
from typing import Any

import pytest
from django.utils import timezone
from django_otp.plugins.otp_totp.models import TOTPDevice
from playwright.sync_api import Browser, Page

from amparo.accounts.models import User
from amparo.accounts.tests.test_auth_http import code_for
from amparo.audit.models import AuditEntry
from amparo.cases.models import Case
from amparo.core.tests.browser import chromium
from amparo.referrals.models import Referral
from amparo.safechannel.tests.conftest import PASSWORD

from .conftest import World

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    with chromium() as launched:
        yield launched


def sign_in(browser: Browser, base: str, user: User) -> Page:
    page = browser.new_context(locale="es-CO").new_page()
    page.goto(f"{base}/staff/login/")
    page.fill("input[name=email]", user.email)
    page.fill("input[name=password]", PASSWORD)
    page.locator("main form button[type=submit]").click()
    page.fill("input[name=token]", code_for(TOTPDevice.objects.get(user=user)))
    page.locator("main form button[type=submit]").click()
    page.wait_for_url(re.compile(r"/staff/$"))
    return page


def test_intake_referral_and_closure(browser: Browser, live_server: Any, world: World) -> None:
    base = live_server.url
    worker = sign_in(browser, base, world.staff["caseworker"])

    # Intake: consents to services and to health referrals, identifying data typed once (stored encrypted).
    worker.goto(f"{base}/staff/cases/new/")
    worker.fill("input[name=full_name]", "Daniela Prueba-Navegador")
    worker.fill("input[name=contact]", "+57 300 555 0101, mañanas")
    worker.select_option("select[name=gender_identity]", "trans_woman")
    worker.select_option("select[name=age_band]", "26-40")
    worker.select_option("select[name=place]", "CO54001")
    worker.check("input[name=consents][value=services]")
    worker.check("input[name=consents][value=share_health]")
    worker.locator("main form button[type=submit]").click()
    worker.wait_for_url(re.compile(r"/staff/cases/[0-9a-f-]{36}/$"))
    case = Case.objects.exclude(pk=world.case.pk).get()
    assert case.code in worker.content()

    # An incident 20 hours ago: rape; the PEP clock appears on the case page.
    worker.goto(f"{base}/staff/cases/{case.uuid}/incidents/new/")
    when = timezone.localtime() - timedelta(hours=20)
    worker.fill("input[name=occurred_at]", when.strftime("%Y-%m-%dT%H:%M"))
    worker.select_option("select[name=place]", "CO54001")
    worker.check("input[name=q_penetration]")
    worker.check("input[name=perpetrator_types][value=client]")
    worker.locator("main form button[type=submit]").click()
    worker.wait_for_url(re.compile(rf"/staff/cases/{case.uuid}/$"))
    assert worker.locator("p.notice[role=alert]").count() == 2  # PEP and emergency contraception windows

    # A health referral to the hospital's focal point, sharing her name and the health clock.
    worker.locator(f"a[href='/staff/referrals/new/{case.uuid}/']").click()
    worker.select_option("select[name=type]", "health")
    worker.locator("main form.search button[type=submit]").first.click()
    worker.check(f"input[name=service][value='{world.hospital.uuid}']")
    worker.check("input[name=shared_fields][value=full_name]")
    worker.check("input[name=shared_fields][value=health_clock]")
    worker.check("input[name=priority][value=urgent]")
    worker.fill("textarea[name=reason]", "Atención post-violación y PEP.")
    worker.locator("main form[method=post] button[type=submit]").click()
    referral = Referral.objects.get(case=case)
    assert referral.priority == "emergency"  # inside the PEP window: an emergency whatever was chosen

    # The focal point finds it in her inbox, sees only what was shared, accepts and marks it attended.
    focal = sign_in(browser, base, world.staff["focal"])
    focal.goto(f"{base}/staff/referrals/inbox/")
    focal.locator(f"a[href='/staff/referrals/{referral.uuid}/']").first.click()
    content = focal.content()
    assert "Daniela Prueba-Navegador" in content and "555 0101" not in content  # contact was not shared
    for status in ("received", "accepted", "attended"):
        focal.locator(f"button[name=to_status][value={status}]").click()
        focal.wait_for_load_state()
    assert Referral.objects.get(pk=referral.pk).status == "attended"
    worker.goto(f"{base}/staff/referrals/{referral.uuid}/")
    worker.locator("button[name=to_status][value=closed]").click()
    worker.wait_for_load_state()
    assert Referral.objects.get(pk=referral.pk).status == "closed"

    # Closure: the caseworker confirms the checklist; the coordinator approves.
    worker.goto(f"{base}/staff/cases/{case.uuid}/#closure")
    closure = worker.locator("form[action$='/closure/']").first
    for box in closure.locator("input[type=checkbox]").all():
        box.check()
    closure.locator("button[type=submit]").click()
    worker.wait_for_load_state()
    assert Case.objects.get(pk=case.pk).status == "closure_requested"
    coordinator = sign_in(browser, base, world.staff["coordinator"])
    coordinator.goto(f"{base}/staff/cases/{case.uuid}/")
    coordinator.locator("form[action$='/closure/'] input[name=step][value=approve] ~ button").click()
    coordinator.wait_for_load_state()
    assert Case.objects.get(pk=case.pk).status == "closed"
    assert AuditEntry.objects.filter(action="referral.read", object_id=str(referral.uuid)).exists()
    assert AuditEntry.objects.filter(action="case.closure.approve", object_id=str(case.uuid)).exists()


def test_nothing_of_a_case_stays_in_the_browser_cache_after_sign_out(
    browser: Browser, live_server: Any, world: World, tmp_path: Any
) -> None:
    """A real Chromium profile on disk: a caseworker opens the case page, the printable referral form and the
    legal page, then signs out. The profile's disk cache then holds no entry for those pages and not her name
    (security finding: decrypted pages stayed in the staff browser's cache after sign-out)."""
    from amparo.core.tests.browser import CHROMIUM, CHROMIUM_ARGS
    from amparo.referrals import services as referral_services

    from .conftest import SURVIVOR_NAME

    referral = referral_services.referral_send(
        actor=world.staff["caseworker"], case=world.case, service=world.hospital, focal_point=world.focal,
        service_type="health", shared_fields=["full_name"], priority="normal", reason="",
    )  # fmt: skip
    profile = tmp_path / "profile"
    context = browser.browser_type.launch_persistent_context(
        str(profile), executable_path=CHROMIUM, args=CHROMIUM_ARGS, locale="es-CO"
    )
    try:
        page = context.new_page()
        base = live_server.url
        page.goto(f"{base}/staff/login/")
        page.fill("input[name=email]", world.staff["caseworker"].email)
        page.fill("input[name=password]", PASSWORD)
        page.locator("main form button[type=submit]").click()
        page.fill("input[name=token]", code_for(TOTPDevice.objects.get(user=world.staff["caseworker"])))
        page.locator("main form button[type=submit]").click()
        page.wait_for_url(re.compile(r"/staff/$"))
        visited = [f"/staff/cases/{world.case.uuid}/", f"/staff/referrals/{referral.uuid}/print/"]
        for path in visited:
            response = page.goto(base + path)
            assert response is not None and response.status == 200
            assert SURVIVOR_NAME in page.content()
        page.goto(f"{base}/staff/")
        with page.expect_response(re.compile(r"/staff/logout/$")) as info:
            page.locator("header form[action$='/staff/logout/'] button").click()
        assert info.value.all_headers().get("clear-site-data") == '"cache", "cookies", "storage"'
        page.wait_for_url(re.compile(r"/staff/login/"))
    finally:
        context.close()
    cached = b"".join(p.read_bytes() for p in profile.rglob("*") if p.is_file() and "Cache" in str(p))
    for path in visited:
        assert path.encode() not in cached, f"{path} is in the disk cache"
    assert SURVIVOR_NAME.encode() not in cached
