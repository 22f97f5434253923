"""Every page of case work at phone width (390 x 844 CSS pixels) in a real Chromium (make test-browser): nothing
overflows sideways (`document.scrollingElement.scrollWidth <= 390`), with the long values real cases carry (long
names, an e-mail address or a link with no space to break at, long file and service names); staff tables read as
lists; long pages fold into native <details> sections. The pages: the case list, search, follow-ups, intake, the
case page, its summary, editing, team, incidents, risk, children, notes and files, legal matters and dates,
transfers, the caseload and the closure queue, and the monitors' alerts."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta
from typing import Any

import pytest
from django.utils import timezone
from playwright.sync_api import Browser, Page, ViewportSize

from amparo.accounts.roles import Role
from amparo.cases import casework_services, legal_services
from amparo.cases import services as case_services
from amparo.cases.models import Case
from amparo.cases.vocab import ConsentKind
from amparo.core.tests.browser import chromium, watch
from amparo.core.uploads import CleanFile
from amparo.directory.models import Place
from amparo.referrals import services as referral_services
from amparo.referrals.tests.conftest import (
    CUCUTA,
    World,
    world,  # noqa: F401  (the referral tests' world, not the channel's)
)
from amparo.referrals.tests.test_browser import sign_in
from amparo.safechannel.tests.conftest import make_staff

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

PHONE: ViewportSize = {"width": 390, "height": 844}
# What does not break by itself: an address, a link, a document number, a file name with no spaces.
UNBROKEN = "marisol.quintero.testigo.de.los.angeles@correo-electronico-de-ejemplo.example.org"
LINK = "https://drive.example.org/documentos/compartidos/2026/expediente-de-la-fiscalia-seccional-cucuta-000123"


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    with chromium() as launched:
        yield launched


def _fill_case(world: World) -> dict[str, Any]:  # noqa: F811 - the world given by the fixture
    """A case as full as a real one, and every other page's content."""
    worker, coordinator = world.staff["caseworker"], world.staff["coordinator"]
    lawyer = make_staff("abogada.con.un.nombre.largo@red.example.org", world.red, Role.LEGAL_ADVISOR, with_key=False)
    monitor = make_staff("monitora@red.example.org", world.red, Role.MONITOR, with_key=False)
    world.red.areas.add(Place.objects.get(pcode=CUCUTA).parent)  # type: ignore[arg-type]
    case = world.case
    Case.objects.filter(pk=case.pk).update(nationality="VE")
    case_services.case_update(
        actor=worker, case=case,
        changes={"contact": f"{UNBROKEN}, WhatsApp +57 300 555 0142 (martes y jueves por la tarde)",
                 "address": "Barrio La Libertad, calle 12 # 34-56, apartamento 1203, torre B, conjunto residencial",
                 "document": "PPT-0000000000000000000000000000099887766",
                 "narrative": ("Relato largo de lo ocurrido, con detalles de cada día. " * 30) + LINK},
    )  # fmt: skip
    for kind in (ConsentKind.SHARE_LEGAL, ConsentKind.SHARE_PSYCHOSOCIAL, ConsentKind.MONITOR_DETAILS):
        case_services.consent_record(actor=worker, case=case, kind=kind, method="written")
    now = timezone.now()
    incident = case_services.incident_record(
        actor=worker, case=case, occurred_at=now - timedelta(hours=30), time_known=True, first_reported_at=now,
        place=Place.objects.get(pcode=CUCUTA), answers={"penetration": True},
        context_tags=["sex_work", "state_violence", "migration", "armed_conflict", "transphobia"],
        perpetrator_types=["client", "exploiter", "organised_crime", "police"], perpetrator_count=3,
        description=f"Descripción con un enlace {LINK}",
    )  # fmt: skip
    case_services.risk_assess(
        actor=worker, case=case, persecution="yes", indicators=["coercion", "debt_bondage", "retained_documents"],
        safety_plan=f"Plan de seguridad: llamar a {UNBROKEN} o a la línea 155. " * 5,
        answers=["weapon", "threat_to_kill", "escalation"],
    )  # fmt: skip
    case_services.action_add(
        actor=worker, case=case, description=f"Enviar el acta a {UNBROKEN}",
        due_on=timezone.localdate() - timedelta(days=2), assigned_to=worker,
    )  # fmt: skip
    child = case_services.child_add(
        actor=worker, case=case, age_band="0-11", risks=["recruitment", "sexual_violence", "trafficking", "school"],
        care_arrangement="kinship", care_notes=f"Con la abuela; expediente {LINK}",
        next_follow_up=timezone.localdate() - timedelta(days=1),
    )  # fmt: skip
    referral_services.referral_send(
        actor=worker, case=case, service=world.hospital, focal_point=world.focal, service_type="health",
        shared_fields=["age_band", "health_clock", "nationality"], priority="normal", reason=LINK,
    )  # fmt: skip
    referral_services.referral_send(
        actor=worker, case=case, service=world.psychology, focal_point=None, service_type="psychosocial",
        shared_fields=["age_band"], priority="urgent", reason="",
    )  # fmt: skip
    case_services.case_assign(actor=coordinator, case=case, caseworkers=[worker, lawyer], supervisor=coordinator)
    matter = legal_services.legal_matter_open(
        actor=lawyer, case=case, kind="state_agent_complaint", lawyer=lawyer, parties=f"Denunciado: {UNBROKEN}",
        filing_reference="SPOA-540016001131202600000000000000000000",
    )  # fmt: skip
    for days, event_kind in ((-2, "deadline"), (3, "hearing"), (12, "document")):
        legal_services.legal_event_add(
            actor=lawyer, matter=matter, kind=event_kind, due_at=now + timedelta(days=days), description=LINK
        )
    legal_services.legal_document_add(
        actor=lawyer, matter=matter,
        clean=CleanFile("acta-de-la-audiencia-de-imputacion-de-cargos-fiscalia-seccional.pdf", "application/pdf",
                        b"%PDF-1.4 acta"),
    )  # fmt: skip
    for day in range(6):
        casework_services.case_note_add(
            actor=worker, case=case, noted_on=timezone.localdate() - timedelta(days=day), text=f"Nota {day}: {LINK}"
        )
    casework_services.case_file_add(
        actor=worker, case=case,
        clean=CleanFile("informe-medico-legal-de-la-valoracion-del-instituto-nacional.pdf", "application/pdf",
                        b"%PDF-1.4 informe"),
    )  # fmt: skip
    # Another case waiting for closure, and transfers both ways.
    other = case_services.case_open(
        actor=worker, organization=world.red,
        intake=case_services.Intake(full_name="Otra", consents=["services"], place=Place.objects.get(pcode=CUCUTA)),
    )  # fmt: skip
    case_services.closure_request(
        actor=worker, case=other, checklist=dict.fromkeys(case_services.CLOSURE_CHECKLIST, True)
    )
    casework_services.case_transfer_request(
        actor=coordinator, case=case, to_organization=world.casa, consent_method="written",
        travels=["identity", "profile", "incidents", "risk", "children"], reason=f"Se muda: {LINK}",
    )  # fmt: skip
    incoming = case_services.case_open(
        actor=world.staff["casa"], organization=world.casa,
        intake=case_services.Intake(full_name="Tercera", consents=["services"]),
    )  # fmt: skip
    casework_services.case_transfer_request(
        actor=world.staff["casa_coordinator"], case=incoming, to_organization=world.red, consent_method="verbal",
        travels=["profile"], reason=LINK,
    )  # fmt: skip
    return {"case": case, "matter": matter, "event": matter.events.first(), "child": child, "incident": incident,
            "lawyer": lawyer, "monitor": monitor}  # fmt: skip


def _width(page: Page, url: str) -> int:
    response = page.goto(url)
    assert response is not None and response.status == 200, (url, response and response.status)
    return int(page.evaluate("document.scrollingElement.scrollWidth"))


def test_case_work_fits_a_phone(
    browser: Browser,
    live_server: Any,
    world: World,  # noqa: F811 - the fixture imported above
) -> None:
    base = live_server.url
    made = _fill_case(world)
    case, matter = made["case"], made["matter"]
    org = world.red.uuid
    pages = {
        "coordinator": [
            "/staff/cases/",
            "/staff/cases/?status=",
            "/staff/cases/search/",
            "/staff/cases/follow-ups/",
            "/staff/cases/new/",
            f"/staff/cases/{case.uuid}/",
            f"/staff/cases/{case.uuid}/summary/",
            f"/staff/cases/{case.uuid}/summary/?identity=1&narrative=1",
            f"/staff/cases/{case.uuid}/edit/",
            f"/staff/cases/{case.uuid}/team/",
            f"/staff/cases/{case.uuid}/incidents/new/",
            f"/staff/cases/{case.uuid}/incidents/{made['incident'].pk}/",
            f"/staff/cases/{case.uuid}/risk/",
            f"/staff/cases/{case.uuid}/children/{made['child'].code}/",
            f"/staff/cases/{case.uuid}/notes/",
            f"/staff/cases/{case.uuid}/legal/new/",
            f"/staff/cases/legal/{matter.uuid}/",
            f"/staff/cases/legal/{matter.uuid}/events/{made['event'].pk}/",
            "/staff/cases/legal/upcoming/",
            f"/staff/cases/{case.uuid}/transfer/",
            "/staff/cases/transfers/",
            f"/staff/cases/orgs/{org}/caseload/",
            f"/staff/cases/orgs/{org}/closures/",
            f"/staff/referrals/new/{case.uuid}/?type=health",
        ],
        "monitor": ["/staff/monitoring/"],
    }
    too_wide: dict[str, int] = {}
    signed_in = {who: sign_in(browser, base, world.staff[who] if who in world.staff else made[who]) for who in pages}
    for who, urls in pages.items():
        page = signed_in[who]  # (each person signs in once: a TOTP code is accepted only once)
        page.set_viewport_size(PHONE)
        seen = watch(page.context)
        for url in urls:
            width = _width(page, base + url)
            if width > PHONE["width"]:
                too_wide[url] = width
            # Tables read as lists: each cell a block, labelled by its column.
            for cell in page.locator("main table tbody td").all()[:3]:
                assert cell.evaluate("td => getComputedStyle(td).display") == "block", url
        assert not seen.csp_violations() and not seen.page_errors, (who, seen.console_errors, seen.page_errors)
    assert not too_wide, "\n".join(f"{width} px wide: {url}" for url, width in too_wide.items())

    # The search's results at phone width too (the query comes by POST).
    page = signed_in["coordinator"]
    page.goto(f"{base}/staff/cases/search/")
    page.fill("input[name=q]", "marisol")
    page.locator("main form button[type=submit]").click()
    page.wait_for_load_state()
    assert case.code in page.content()
    assert page.evaluate("document.scrollingElement.scrollWidth") <= PHONE["width"]

    # Long pages fold what can wait into native <details> (no script needed): the case page its sections and her
    # account, the legal matter the state-agent guide, the notes the earlier notes. A link to a folded section
    # opens it (staff.js).
    for url, folded in (
        (f"/staff/cases/{case.uuid}/", ("#consents", "#children", "#legal", "details.narrative")),
        (f"/staff/cases/legal/{matter.uuid}/", ("#state-agent-heading",)),
        (f"/staff/cases/{case.uuid}/notes/", ("#earlier-notes",)),
    ):
        page.goto(base + url)
        for selector in folded:
            target = page.locator(f"main details:has({selector})" if selector.startswith("#") else f"main {selector}")
            assert target.first.evaluate("d => d.open") is False, (url, selector)
    page.goto(f"{base}/staff/cases/{case.uuid}/notes/#earlier-notes")
    assert page.locator("details.section:has(#earlier-notes)").evaluate("d => d.open") is True
    for page in signed_in.values():
        page.context.close()
