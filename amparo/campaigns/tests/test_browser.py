"""The campaigns' public parts in a real Chromium with JavaScript off: the feedback form reached from a service's
page, answered and thanked without a cookie or a request to another site; a short link that lands on the pathway
and counts the visit without a cookie. Run with `make test-browser`."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from django.core.cache import cache
from django.urls import reverse
from django.utils import translation
from playwright.sync_api import Browser
from pytest_django.live_server_helper import LiveServer

from amparo.campaigns.feedback_models import ServiceFeedback
from amparo.campaigns.models import LinkDay, Material, ShortLink
from amparo.core.tests.browser import chromium, origin, watch

from .conftest import World as CampaignWorld
from .feedback_world import make_world

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    with chromium() as launched:
        yield launched


def test_the_feedback_form_from_a_service_page_with_javascript_off(
    browser: Browser, live_server: LiveServer, demo_directory: None
) -> None:
    cache.clear()  # the rate-limit counters of other tests
    world = make_world(referral=False)
    context = browser.new_context(java_script_enabled=False, locale="es-CO")
    try:
        seen = watch(context)
        page = context.new_page()
        with translation.override("es"):
            service = reverse("directory:service", args=[world.sal.uuid])
        assert page.goto(live_server.url + service).status == 200  # type: ignore[union-attr]
        page.click(f"a[href$='/services/{world.sal.uuid}/feedback/']")
        page.wait_for_load_state("load")
        assert page.locator("#quick-exit").count() == 1  # the quick exit on this page too
        assert "Esto no es una queja." in page.inner_text("main")  # and where a complaint goes
        page.check("input[name=attended][value=no]")
        page.check("input[name=turned_away][value=yes]")
        page.check("input[name=reasons][value=trans]")
        page.click("main form button[type=submit]")
        page.wait_for_load_state("load")
        assert "Gracias" in page.inner_text("main")
        saved = ServiceFeedback.objects.get()
        assert (saved.attended, saved.turned_away, saved.for_trans) == (False, True, True)
        assert saved.visit_month.day == 1  # the month only
        assert context.cookies() == []
        assert seen.foreign_requests(origin(live_server.url)) == []
        assert seen.page_errors == []
    finally:
        context.close()


def test_a_short_link_lands_on_the_pathway_and_counts_the_visit_without_a_cookie(
    browser: Browser, live_server: LiveServer, world: CampaignWorld
) -> None:
    link = ShortLink.objects.get(campaign=world.campaign, kind="pathway", language="pt", material=Material.CARD)
    context = browser.new_context(java_script_enabled=False)
    try:
        seen = watch(context)
        page = context.new_page()
        page.goto(f"{live_server.url}/r/{link.code}")
        page.wait_for_load_state("load")
        assert "/pt/" in page.url and "sexual-violence-72h" in page.url
        assert page.locator("#quick-exit").count() == 1
        assert context.cookies() == []
        assert seen.foreign_requests(origin(live_server.url)) == []
        assert sum(LinkDay.objects.filter(link=link).values_list("visits", flat=True)) == 1
    finally:
        context.close()
