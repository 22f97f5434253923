"""Web entry in a real Chromium (make test-browser), with JavaScript off as on a phone that blocks it: an enumerator
signs in, fills a short form through its pages (a required message, a page skipped by relevance), checks the
summary and sends it; the submission arrives once, from the web, with the answers she chose."""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

import pytest
from django_otp.plugins.otp_totp.models import TOTPDevice
from playwright.sync_api import Browser

from amparo.accounts.models import Organization
from amparo.accounts.roles import Role
from amparo.accounts.tests.test_auth_http import code_for
from amparo.core.tests.browser import chromium
from amparo.safechannel.tests.conftest import PASSWORD, make_staff
from amparo.surveys.models import Submission
from amparo.surveys.services import publish_xlsform
from amparo.surveys.tests.test_webentry import short_form_xlsx

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    with chromium() as launched:
        yield launched


def test_a_short_form_entered_through_the_pages_with_javascript_off(browser: Browser, live_server: Any) -> None:
    org = Organization.objects.create(name="Red Violeta (web entry, browser)")
    coordinator = make_staff("coord@webentry-browser.example.org", org, Role.COORDINATOR, with_key=False)
    enumerator = make_staff("enc@webentry-browser.example.org", org, Role.ENUMERATOR, with_key=False)
    version = publish_xlsform(organization=org, filename="bienestar.xlsx", data=short_form_xlsx(), user=coordinator)
    version.form.enumerators.add(enumerator)

    context = browser.new_context(locale="es-CO", java_script_enabled=False)
    page = context.new_page()
    base = live_server.url
    page.goto(f"{base}/staff/login/?next=/staff/surveys/entry/")
    page.fill("input[name=email]", enumerator.email)
    page.fill("input[name=password]", PASSWORD)
    page.locator("main form button[type=submit]").click()
    if page.locator("input[name=token]").count():
        page.fill("input[name=token]", code_for(TOTPDevice.objects.get(user=enumerator)))
        page.locator("main form button[type=submit]").click()
    page.wait_for_url(re.compile(r"/staff/surveys/entry/$"))

    page.get_by_role("link", name="Encuesta de bienestar").click()
    assert page.title() == "Encuesta de bienestar · Amparo"
    assert page.locator("#quick-exit").is_visible()

    # Continue without the required answer: the message next to the question
    page.get_by_role("button", name="Continuar").click()
    assert page.locator("#q-data-consent-error").inner_text() == "Esta pregunta necesita una respuesta."

    page.get_by_label("Sí").check()
    page.get_by_role("button", name="Continuar").click()
    assert page.get_by_role("heading", name="Sobre usted").is_visible()
    page.get_by_label("Cúcuta").check()
    page.get_by_label("Edad").fill("34")
    page.get_by_label("Llegada").fill("2025-06-30")
    page.get_by_role("button", name="Continuar").click()
    # with an age, "where you work" is relevant: the page comes back with it, keeping what she wrote
    assert page.get_by_role("status").filter(has_text="abren más preguntas").is_visible()
    assert page.get_by_label("Edad").input_value() == "34"
    page.get_by_label("Calle").check()
    page.get_by_label("Bar").check()
    page.get_by_role("button", name="Continuar").click()

    assert page.get_by_text("Gracias por su tiempo").is_visible()
    page.get_by_role("button", name="Continuar").click()
    assert page.get_by_role("heading", name="Revisa las respuestas antes de enviar").is_visible()
    assert page.get_by_text("Calle, Bar").is_visible()
    assert not Submission.objects.exists()

    page.get_by_role("button", name="Enviar la entrevista").click()
    assert page.get_by_text("La entrevista se envió. Gracias.").is_visible()
    submission = Submission.objects.get()
    assert submission.source == "web" and submission.enumerator == enumerator
    assert submission.answers["age"] == 34 and submission.answers["places"] == ["street", "bar"]
    assert submission.municipality_pcode == "CO54001" and submission.answers["arrived"] == "2025-06-30"
    context.close()
