"""The public feedback form about a service (issue 17, part 3) over HTTP: the public-page promises in es/en/pt (no
cookie, no third party, quick exit first, under 30 KB, no script needed), what is stored, bad input (nothing
answered, an unknown service, another site's form, an oversized body, a replay, a flood): a clear page, never a
500; and the signal and the link on the directory's service page."""

from __future__ import annotations

import re
import uuid

import pytest
from django.core.cache import cache
from django.test import Client, override_settings
from django.urls import reverse
from django.utils import timezone, translation
from pytest_django.live_server_helper import LiveServer

from amparo.campaigns import feedback_selectors as selectors
from amparo.campaigns.feedback_models import ServiceFeedback
from amparo.core.tests.conftest import PublicPage
from amparo.core.tests.test_public_pages import (
    page_problems as core_page_problems,
)
from amparo.core.tests.test_public_pages import (
    parse,
    structure_problems,
)

from .feedback_world import GOOD, World, answer, make_world

pytestmark = pytest.mark.django_db


@pytest.fixture
def world(demo_directory: None) -> World:
    cache.clear()  # the rate-limit counters of other tests
    return make_world(referral=False)


def form_url(world: World, lang: str = "es") -> str:
    return f"/{lang}/services/{world.sal.uuid}/feedback/"


def page_problems(live_server: LiveServer, page: PublicPage) -> tuple[list[str], str]:
    """Every public-page promise of core's tests, and the page's text."""
    problems, text, _weight = core_page_problems(live_server.url, page)
    return problems, text


def form_data(client: Client, url: str, **answers: str) -> dict[str, str]:
    """What the page's form sends: its token, the month offered first, and the answers given."""
    html = client.get(url).content.decode()
    token = re.search(r'name="form_token" value="([^"]+)"', html)
    assert token is not None
    return {"form_token": token.group(1), "visit_month": timezone.localdate().strftime("%Y-%m"), **answers}


def test_the_form_keeps_every_public_promise_in_three_languages(live_server: LiveServer, world: World) -> None:
    words = {"es": "no es una queja", "en": "is not a complaint", "pt": "não é uma reclamação"}
    for lang in ("es", "en", "pt"):
        problems, html = page_problems(live_server, PublicPage(f"feedback-{lang}", form_url(world, lang), 200, lang))
        assert not problems, problems
        assert words[lang] in html.lower()
        assert "Personería" in html  # where a complaint goes, from the directory (the demo's Personería)
    problems, _html = page_problems(live_server, PublicPage("feedback-404", form_url(world).replace(
        str(world.sal.uuid), str(uuid.UUID(int=1))), 404, "es"))  # fmt: skip
    assert not problems, problems


def test_an_answer_is_stored_and_thanked_without_cookie_or_address(public_client: Client, world: World) -> None:
    url = form_url(world)
    data = form_data(public_client, url, attended="yes", respected="no", turned_away="", reasons="migrant")
    response = public_client.post(url, data, REMOTE_ADDR="203.0.113.7", HTTP_USER_AGENT="Phone/1.0")
    assert response.status_code == 200 and not response.cookies
    assert "Gracias" in response.content.decode()
    saved = ServiceFeedback.objects.values().get()
    assert saved["visit_month"] == selectors.month_start(timezone.localdate())
    assert (saved["attended"], saved["respected"], saved["turned_away"], saved["for_migrant"]) == (
        True, False, True, True,
    )  # fmt: skip
    assert "203.0.113.7" not in str(saved) and "Phone" not in str(saved)
    # The same form sent again (a reload, a double tap) is counted once.
    again = public_client.post(url, data)
    assert again.status_code == 200 and ServiceFeedback.objects.count() == 1


def test_bad_input_is_a_clear_page_never_a_500(public_client: Client, world: World) -> None:
    url = form_url(world)
    nothing = public_client.post(url, form_data(public_client, url))
    assert nothing.status_code == 400 and "Responde al menos una pregunta" in nothing.content.decode()
    contradiction = public_client.post(url, form_data(public_client, url, turned_away="no", reasons="trans"))
    assert contradiction.status_code == 400
    forged = public_client.post(url, {**form_data(public_client, url, attended="yes"), "form_token": "x"})
    assert forged.status_code == 400
    month = public_client.post(url, {**form_data(public_client, url, attended="yes"), "visit_month": "1999-01"})
    assert month.status_code == 400
    wrong = public_client.post(url, {**form_data(public_client, url, attended="maybe")})
    assert wrong.status_code == 400
    other_site = public_client.post(
        url, form_data(public_client, url, attended="yes"), HTTP_SEC_FETCH_SITE="cross-site"
    )
    assert other_site.status_code == 403
    big = public_client.post(url, {**form_data(public_client, url, attended="yes"), "pad": "x" * 10_000})
    assert big.status_code == 400 and "demasiado grande" in big.content.decode()
    unknown = public_client.get(f"/es/services/{uuid.UUID(int=1)}/feedback/")
    assert unknown.status_code == 404
    assert public_client.put(url).status_code == 405
    assert not ServiceFeedback.objects.exists()
    # A token of another service's form is refused too.
    other = world.sal.__class__.objects.exclude(pk=world.sal.pk).filter(service__status="active").first()
    assert other is not None
    foreign = form_data(public_client, f"/es/services/{other.uuid}/feedback/", attended="yes")
    assert public_client.post(url, foreign).status_code == 400


@override_settings(FEEDBACK_RATE_LIMITS={"feedback_global": (100, 60), "feedback_client": (3, 3600),
                                         "feedback_service": (100, 86400)})  # fmt: skip
def test_a_flood_from_one_address_gets_a_clear_page(public_client: Client, world: World) -> None:
    url = form_url(world)
    statuses = [
        public_client.post(url, form_data(public_client, url, attended="yes"), REMOTE_ADDR="198.51.100.1").status_code
        for _ in range(5)
    ]
    assert statuses == [200, 200, 200, 429, 429]
    refused = public_client.post(url, form_data(public_client, url, attended="yes"), REMOTE_ADDR="198.51.100.1")
    assert "Muchas respuestas" in refused.content.decode()
    # Another address still gets through: the budget is per client (a keyed hash that is never stored).
    other = public_client.post(url, form_data(public_client, url, attended="yes"), REMOTE_ADDR="198.51.100.2")
    assert other.status_code == 200
    assert ServiceFeedback.objects.count() == 4


@override_settings(FEEDBACK_RATE_LIMITS={"feedback_global": (100, 60), "feedback_client": (100, 3600),
                                         "feedback_service": (2, 86400)})  # fmt: skip
def test_one_service_cannot_be_flooded_past_its_daily_budget(public_client: Client, world: World) -> None:
    url = form_url(world)
    statuses = [
        public_client.post(url, form_data(public_client, url, attended="no"), REMOTE_ADDR=f"192.0.2.{i}").status_code
        for i in range(4)
    ]
    assert statuses == [200, 200, 429, 429]


def test_the_service_page_links_the_form_and_shows_the_signal_from_11(live_server: LiveServer, world: World) -> None:
    with translation.override("es"):  # reverse() follows the active language, which an earlier test may have left
        service_page = PublicPage("service", reverse("directory:service", args=[world.sal.uuid]), 200, "es")
    problems, html = page_problems(live_server, service_page)
    assert not problems, problems
    assert form_url(world) in html and "nos contaron de forma anónima" not in html
    answer(world, GOOD, 11)
    problems, html = page_problems(live_server, service_page)
    assert not problems, problems
    assert "11 personas nos contaron" in html and "Ninguna dijo" in html
    en_page = PublicPage("service-en", f"/en/services/{world.sal.uuid}/", 200, "en")
    problems, html = page_problems(live_server, en_page)
    assert not problems and "11 people told us" in html


def test_the_thanks_and_refusal_pages_keep_the_public_promises(live_server: LiveServer, world: World) -> None:
    """POSTed pages are checked through the same structure rules (fetched here with a real POST)."""
    import urllib.request

    client = Client(HTTP_HOST="localhost")
    url = form_url(world)
    data = form_data(client, url, attended="yes")
    body = "&".join(f"{k}={v}" for k, v in data.items()).encode()
    for payload, status in ((body, 200), (b"visit_month=2020-01", 400)):
        request = urllib.request.Request(live_server.url + url, data=payload, method="POST")  # noqa: S310
        try:
            with urllib.request.urlopen(request, timeout=30) as response:  # noqa: S310
                got, headers, html = response.status, response.headers, response.read().decode()
        except urllib.error.HTTPError as error:
            got, headers, html = error.code, error.headers, error.read().decode()
        assert got == status
        assert not headers.get_all("Set-Cookie")
        assert not structure_problems(PublicPage("posted", url, status, "es"), parse(html))
