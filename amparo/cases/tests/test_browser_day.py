"""Issue 13's "done when" in a real Chromium (make test-browser): a caseworker's day, walked by the people who share
it, at laptop and at phone width, counting the pages loaded and the clicks each step takes.

The caseworker finds a case by its code and by her name, opens a new case, records an incident inside the PEP
window, answers the risk questions, refers her to health with the PEP/EC clock shared, opens a legal matter with the
organisation's lawyer, writes a dated note and asks for closure; the hospital's focal point is told (badge, home
page), opens the referral and marks it attended, and the caseworker's alarm clears; the coordinator approves the
closure from her closure queue. Each step asserts what must be true on the page and in the database; the counts
are printed (`-s`) and only their total is bounded, generously, so that a change that adds pages fails.

What is not part of the day (the directory, the organisation and its people, the case she already accompanies) is
made in the database, not through the browser: the test stays inside CI's time budget.
"""

from __future__ import annotations

import re
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

import pytest
from django.utils import timezone
from django_otp.plugins.otp_totp.models import TOTPDevice
from playwright.sync_api import Browser, Locator, Page, Request

from amparo.accounts.models import User
from amparo.accounts.roles import Role
from amparo.accounts.tests.test_auth_http import code_for
from amparo.audit.models import AuditEntry
from amparo.cases.models import Case, CaseNote, LegalMatter, RiskAssessment
from amparo.core.tests.browser import chromium, watch
from amparo.referrals.models import Referral, SharedField
from amparo.referrals.tests.conftest import CUCUTA, SURVIVOR_NAME, World, world  # noqa: F401 - the fixture
from amparo.safechannel.tests.conftest import PASSWORD, make_staff
from amparo.today.models import Notification

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

LAPTOP = {"width": 1280, "height": 800}
PHONE = {"width": 390, "height": 844}
# The day took 44 pages and 57 clicks at either width when this test was written (before issue 13 the same day took
# 52 pages, 63 clicks and an address typed by hand, and part of it could not be done: docs/cases.md). The bounds
# leave room for a page or two more; a change that adds a page to several steps fails here.
MAX_PAGES = 50
MAX_CLICKS = 66


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    with chromium() as launched:
        yield launched


# --- Counting: pages loaded and clicks, per step --------------------------------------------------------------------


@dataclass
class Tally:
    pages: int = 0  # documents loaded in the main frame (a form sent and its redirect count as one)
    clicks: int = 0  # links, buttons and boxes she clicks (a form sent is its button's click)
    typed: int = 0  # fields she types in or chooses from a list
    seconds: float = 0.0  # how long the step took the test (not asserted: for the CI budget)


@dataclass
class Day:
    """The steps of the day in order, with what each took. Pages are counted by the browser itself: every
    navigation request of a page's main frame that does not continue a redirect (the same count as Playwright's
    `framenavigated` on the main frame for this walk, without counting a jump to an anchor inside a page)."""

    width: int
    steps: list[tuple[str, str, Tally]] = field(default_factory=list)

    @property
    def current(self) -> Tally:
        return self.steps[-1][2]

    @contextmanager
    def step(self, who: str, name: str) -> Iterator[None]:
        tally = Tally()
        self.steps.append((who, name, tally))
        start = time.perf_counter()
        yield
        tally.seconds = time.perf_counter() - start

    def watch(self, page: Page) -> None:
        def on_request(request: Request) -> None:
            if request.is_navigation_request() and request.frame == page.main_frame and not request.redirected_from:
                self.current.pages += 1

        page.on("request", on_request)

    def total(self) -> Tally:
        parts = ("pages", "clicks", "typed", "seconds")
        return Tally(*(sum(getattr(t, part) for _, _, t in self.steps) for part in parts))

    def table(self) -> str:
        head = f"{'who':<12} {'step':<44} {'pages':>5} {'clicks':>6} {'typed':>5} {'s':>5}"
        lines = [f"A caseworker's day at {self.width} px", head]
        for who, name, t in [*self.steps, ("", "total", self.total())]:
            lines.append(f"{who:<12} {name:<44} {t.pages:>5} {t.clicks:>6} {t.typed:>5} {t.seconds:>5.1f}")
        return "\n".join(lines)


class Person:
    """One person's browser tab: every click and every field goes through here, and is counted. At phone width each
    page she reaches is checked for sideways scrolling."""

    def __init__(self, day: Day, page: Page, base: str) -> None:
        self.day, self.page, self.base = day, page, base
        page.set_default_timeout(10_000)
        day.watch(page)

    def _arrived(self) -> None:
        if self.day.width <= PHONE["width"]:
            fits = self.page.evaluate("document.scrollingElement.scrollWidth <= window.innerWidth")
            assert fits, f"{self.page.url} scrolls sideways at {self.day.width} px"

    def goto(self, path: str) -> None:
        """An address typed in the bar (or a bookmark): a page, no click."""
        self.page.goto(f"{self.base}{path}")
        self._arrived()

    def click(self, target: Locator | str, *, navigates: bool = True) -> None:
        locator = self.page.locator(target) if isinstance(target, str) else target
        self.day.current.clicks += 1
        if navigates:
            with self.page.expect_navigation():
                locator.click()
            self._arrived()
        else:
            locator.click()

    def fill(self, selector: str, value: str) -> None:
        self.day.current.typed += 1
        self.page.fill(selector, value)

    def select(self, selector: str, value: str | None = None, *, label: str | None = None) -> None:
        self.day.current.typed += 1
        if label is not None:
            self.page.select_option(selector, label=label)
        else:
            self.page.select_option(selector, value)

    def check(self, selector: str) -> None:
        self.day.current.clicks += 1
        self.page.check(selector)

    def open_section(self, anchor: str) -> None:
        """A folded section of a long page (a native <details>): one click on its title, if it is folded."""
        section = self.page.locator(f"details.section:has(#{anchor})")
        if not section.evaluate("d => d.open"):
            self.click(section.locator("summary"), navigates=False)
        self._arrived()

    def fits_unfolded(self) -> None:
        """At phone width, the page still fits with every folded section opened (as if she opened each one); the
        sections are folded back as they were, so the rest of the walk is unchanged."""
        if self.day.width > PHONE["width"]:
            return
        fits = self.page.evaluate(
            """() => {
                const folded = [...document.querySelectorAll("details:not([open])")];
                folded.forEach(d => { d.open = true; });
                const fits = document.scrollingElement.scrollWidth <= window.innerWidth;
                folded.forEach(d => { d.open = false; });
                return fits;
            }"""
        )
        assert fits, f"{self.page.url} scrolls sideways at {self.day.width} px once its sections are opened"

    def text(self) -> str:
        return self.page.locator("main").inner_text()


def sign_in(day: Day, browser: Browser, base: str, user: User, viewport: Any) -> Person:
    """Password, then the code of her authenticator app: the real two-factor sign-in."""
    page = browser.new_context(locale="es-CO", viewport=viewport).new_page()
    person = Person(day, page, base)
    person.goto("/staff/login/")
    person.fill("input[name=email]", user.email)
    person.fill("input[name=password]", PASSWORD)
    person.click("main form button[type=submit]")
    person.fill("input[name=token]", code_for(TOTPDevice.objects.get(user=user)))
    person.click("main form button[type=submit]")
    assert re.search(r"/staff/$", page.url), page.url
    return person


def find_by_search(person: Person, query: str, case: Case) -> None:
    """The search box of the case list (or the search page): type, send, open the one case found."""
    person.fill("main input[name=q]", query)
    person.click("main form:has(input[name=q]) button[type=submit]")
    found = person.page.locator("main li a", has_text=case.code)
    assert found.count() == 1, person.text()
    person.click(found)
    assert person.page.url.endswith(f"/staff/cases/{case.uuid}/")
    assert SURVIVOR_NAME in person.text()


# --- The day --------------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("viewport", [LAPTOP, PHONE], ids=["laptop", "phone"])
def test_a_caseworkers_day(browser: Browser, live_server: Any, world: World, viewport: Any) -> None:  # noqa: F811
    base = live_server.url
    day = Day(viewport["width"])
    lawyer = make_staff("abogada@red.example.org", world.red, Role.LEGAL_ADVISOR, with_key=False)
    assert not world.case.caseworkers.filter(pk=lawyer.pk).exists()  # the organisation's lawyer, not on any case yet

    with day.step("caseworker", "sign in"):
        worker = sign_in(day, browser, base, world.staff["caseworker"], viewport)
    seen = watch(worker.page.context)

    # 1. Search: the case she accompanies, by its code from the case list, then by her name from the search page.
    with day.step("caseworker", "find a case by its code"):
        worker.click("nav.staff-menu a[href='/staff/cases/']")
        find_by_search(worker, world.case.code, world.case)
    with day.step("caseworker", "find a case by her name"):
        worker.click("main a[href='/staff/cases/search/']")
        find_by_search(worker, "marisol quintero", world.case)
    assert AuditEntry.objects.filter(action="case.search", actor_id=world.staff["caseworker"].pk).count() == 2

    # 2. Intake: a new case, identifying data typed once (stored encrypted), consents asked one by one.
    with day.step("caseworker", "intake of a new case"):
        worker.click("nav.staff-menu a[href='/staff/cases/']")
        worker.click("main a[href='/staff/cases/new/']")
        worker.fill("input[name=full_name]", "Daniela Prueba-Jornada")
        worker.fill("input[name=contact]", "+57 300 555 0101, mañanas")
        worker.select("select[name=age_band]", "26-40")
        worker.select("select[name=gender_identity]", "trans_woman")
        worker.select("select[name=nationality]", "VE")
        worker.select("select[name=migratory_status]", "irregular")
        worker.select("select[name=place]", CUCUTA)
        for consent in ("services", "share_health", "share_legal"):
            worker.check(f"input[name=consents][value={consent}]")
        worker.click("main form.search button[type=submit]")
    case = Case.objects.exclude(pk=world.case.pk).get()
    assert worker.page.url.endswith(f"/staff/cases/{case.uuid}/")
    assert case.full_name == "Daniela Prueba-Jornada" and str(case.nationality) == "VE"
    assert case.code in worker.text() and "Venezuela" in worker.text()

    # 3. An incident 20 hours ago, a rape by a client: the PEP and emergency-contraception alarms.
    with day.step("caseworker", "incident inside the PEP window"):
        worker.click(f"main a[href='/staff/cases/{case.uuid}/incidents/new/']")
        when = timezone.localtime() - timedelta(hours=20)
        worker.fill("input[name=occurred_at]", when.strftime("%Y-%m-%dT%H:%M"))
        worker.check("input[name=q_penetration]")
        worker.check("input[name=context_tags][value=sex_work]")
        worker.check("input[name=perpetrator_types][value=client]")
        worker.click("main form.search button[type=submit]")
    assert worker.page.url.endswith(f"/staff/cases/{case.uuid}/")
    assert case.incidents.get().gbv_type == "rape"
    alarms = worker.page.locator("main p.notice[role=alert]")
    assert alarms.count() == 2 and "Remite a salud ahora" in alarms.first.inner_text()

    # 4. Risk: the recent rape answers its own question; a knife and a threat to kill her; high by itself.
    with day.step("caseworker", "risk questions"):
        worker.click(f"main a[href='/staff/cases/{case.uuid}/risk/']")
        assert worker.page.is_checked("input[name=q_recent_sexual_violence]")
        worker.check("input[name=q_weapon]")
        worker.check("input[name=q_threat_to_kill]")
        worker.check("input[name=persecution][value=unknown]")
        worker.fill("textarea[name=safety_plan]", "Dormir donde su amiga; línea 155 guardada.")
        worker.click("main form.search button[type=submit]")
    assert worker.page.url.endswith(f"/staff/cases/{case.uuid}/")
    assert case.risk_assessments.get().level == RiskAssessment.Level.HIGH
    assert "Nivel de riesgo: Alto" in worker.text()

    # 5. A health referral to the hospital's focal point: the PEP/EC clock is shared without asking.
    with day.step("caseworker", "health referral with the clock"):
        worker.click(f"main a[href='/staff/referrals/new/{case.uuid}/']")
        worker.select("select[name=type]", "health")
        worker.click("main form[method=get] button[type=submit]")
        assert worker.page.is_checked(f"input[name=shared_fields][value={SharedField.HEALTH_CLOCK}]")
        worker.check(f"input[name=service][value='{world.hospital.uuid}']")
        focal_option = worker.page.locator(f"select[name=focal_point] option[value='{world.focal.uuid}']")
        assert world.hospital.organization.name in focal_option.inner_text()  # who, and in which institution
        worker.select("select[name=focal_point]", str(world.focal.uuid))
        worker.fill("textarea[name=reason]", "Atención post-violación: PEP y anticoncepción de emergencia.")
        worker.click("main form[method=post] button[type=submit]")
    referral = Referral.objects.get(case=case)
    assert referral.priority == "emergency" and SharedField.HEALTH_CLOCK in referral.shared_fields
    assert worker.page.url.endswith(f"/staff/referrals/{referral.uuid}/")
    assert "PEP" in worker.text() and "hasta" in worker.text()  # the clock as a date and time, not hours left

    # 6. The focal point is told (no name, no case code in the notice), opens the referral and marks it attended.
    with day.step("focal point", "sign in"):
        focal = sign_in(day, browser, base, world.staff["focal"], viewport)
    with day.step("focal point", "told, opens and attends the referral"):
        badge = focal.page.locator("nav.staff-menu a[href='/staff/notifications/'] .badge")
        assert badge.inner_text().startswith("1")
        assert focal.page.locator("ul.work li").first.inner_text().startswith("1 Remisiones de emergencia")
        focal.click("nav.staff-menu a[href='/staff/notifications/']")
        notice = focal.page.locator("ul.notices li.unread button")
        assert case.code not in focal.text() and "Daniela" not in focal.text()
        focal.click(notice)
        assert focal.page.url.endswith(f"/staff/referrals/{referral.uuid}/")
        assert "Daniela" not in focal.text()  # her name was not shared
        for status in ("received", "accepted", "attended"):
            focal.click(f"button[name=to_status][value={status}]")
    assert Referral.objects.get(pk=referral.pk).status == "attended"
    assert not Notification.objects.filter(recipient=world.staff["focal"], read_at__isnull=True).exists()
    focal.page.context.close()

    with day.step("caseworker", "sees the health alarm clear"):
        worker.click(f"main a[href='/staff/cases/{case.uuid}/']")
        assert worker.page.locator("main p.notice[role=alert]").count() == 0
        assert worker.page.locator("main p.health-banner").count() == 1
        worker.fits_unfolded()  # every section of the case page, with an incident, a risk, a referral
        # The emergency priority in the case's referrals reads whole: a marker drawn as a box is never sliced in
        # two by a line break (it was, at phone width).
        marker = worker.page.locator("main table.referrals strong.urgent")
        assert marker.evaluate("s => getComputedStyle(s).borderTopWidth === '0px' || s.getClientRects().length === 1")

    # 7. A legal matter with the organisation's lawyer, who is not on the case: she joins its team (audited).
    with day.step("caseworker", "legal matter with the organisation's lawyer"):
        worker.open_section("legal")
        worker.click(f"main a[href='/staff/cases/{case.uuid}/legal/new/']")
        worker.select("select[name=kind]", "criminal_complaint")
        assert worker.page.input_value("select[name=lawyer]") == ""  # she is not the lawyer by default
        option = worker.page.locator(f"select[name=lawyer] option[value='{lawyer.pk}']")
        assert option.inner_text() == "abogada · Asesora jurídica"  # the organisation's lawyer, named as such
        worker.select("select[name=lawyer]", str(lawyer.pk))
        worker.click("main form.search button[type=submit]")
    matter = LegalMatter.objects.get(case=case)
    assert matter.lawyer == lawyer and case.caseworkers.filter(pk=lawyer.pk).exists()
    assert AuditEntry.objects.filter(action="case.assign", object_id=str(case.uuid)).exists()
    assert worker.page.url.endswith(f"/staff/cases/legal/{matter.uuid}/")

    # 8. A dated note, encrypted.
    with day.step("caseworker", "dated note"):
        worker.click(f"main a[href='/staff/cases/{case.uuid}/']")
        worker.click(f"main a[href='/staff/cases/{case.uuid}/notes/']")
        worker.fill("textarea[name=text]", "Acompañada al hospital; PEP iniciada. Cita con la abogada el lunes.")
        worker.click("main form[action$='/notes/add/'] button[type=submit]")
        worker.page.locator("ul.notes li", has_text="PEP iniciada").wait_for()
    assert CaseNote.objects.get(case=case).noted_on == timezone.localdate()

    # 9. Closure: the referral closed first (the checklist says every one is), then the checklist, then the request.
    with day.step("caseworker", "closes the referral, asks for closure"):
        worker.click(f"main a[href='/staff/cases/{case.uuid}/']")
        worker.click(f"main a[href='/staff/referrals/{referral.uuid}/']")
        worker.click("button[name=to_status][value=closed]")
        worker.click(f"main a[href='/staff/cases/{case.uuid}/']")
        worker.open_section("closure")
        closure = worker.page.locator("main form[action$='/closure/']:has(input[name=step][value=request])")
        for box in closure.locator("input[type=checkbox]").all():
            worker.day.current.clicks += 1
            box.check()
        worker.click(closure.locator("button[type=submit]"))
    assert Referral.objects.get(pk=referral.pk).status == "closed"
    assert Case.objects.get(pk=case.pk).status == Case.Status.CLOSURE_REQUESTED
    worker.page.context.close()

    # 10. The coordinator: told on her home page, approves from the closure queue.
    with day.step("coordinator", "sign in"):
        coordinator = sign_in(day, browser, base, world.staff["coordinator"], viewport)
    with day.step("coordinator", "approves the closure from the queue"):
        badge = coordinator.page.locator("nav.staff-menu a[href='/staff/notifications/'] .badge")
        assert badge.inner_text().startswith("1")  # the closure request: a notice without her name or code
        waiting = coordinator.page.locator("ul.work li", has_text="cierres")
        assert waiting.inner_text().startswith("1 ")
        coordinator.click(waiting.locator("a"))
        assert "/closures/" in coordinator.page.url
        coordinator.click(coordinator.page.locator("main ul.closures a", has_text=case.code))
        coordinator.open_section("closure")
        coordinator.click("main form[action$='/closure/']:has(input[name=step][value=approve]) button")
    assert Case.objects.get(pk=case.pk).status == Case.Status.CLOSED
    assert AuditEntry.objects.filter(action="case.closure.approve", object_id=str(case.uuid)).exists()
    coordinator.page.context.close()

    print("\n" + day.table())
    total = day.total()
    assert total.pages <= MAX_PAGES and total.clicks <= MAX_CLICKS, day.table()
    assert not seen.csp_violations() and not seen.page_errors
