"""The catalogue of public pages that the public-page tests (HTTP and browser) walk.

Every page a survivor can reach without an account is listed here once, so that a promise proved for "every public
page" really covers every one of them. The pathways are resolved for Cúcuta (CO54001), a border city of the demo.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass

import pytest

CUCUTA = "CO54001"
PATHWAY_SLUGS = (
    "sexual-violence-72h",
    "urgent-protection",
    "criminal-complaint",
    "my-children",
    "eviction",
    "sti-hiv-covid",
    "trafficking",
)
# A search that finds services in the demo: mental health near Cúcuta, trans-affirming, no ID asked.
SEARCH_WITH_RESULTS = f"need=mental-health&place={CUCUTA}&fact=trans_affirming&fact=no_id_required"


@dataclass(frozen=True)
class PublicPage:
    key: str
    path: str  # path and query string, as a browser would request it
    status: int
    lang: str
    results: bool | None = None  # search pages: whether result cards must (True) or must not (False) appear

    @property
    def query(self) -> str:
        return self.path.partition("?")[2]


def _catalogue() -> dict[str, tuple[str, int, str, bool | None]]:
    pages: dict[str, tuple[str, int, str, bool | None]] = {
        "home-es": ("/es/", 200, "es", None),
        "home-en": ("/en/", 200, "en", None),
        "home-pt": ("/pt/", 200, "pt", None),
        "home-es-cucuta": (f"/es/?place={CUCUTA}", 200, "es", None),
        "search-form": ("/es/services/", 200, "es", None),
        "search-results": (f"/es/services/?{SEARCH_WITH_RESULTS}", 200, "es", True),
        "search-results-text": (f"/es/services/?q=psicologa&place={CUCUTA}", 200, "es", True),
        "search-results-en": (f"/en/services/?{SEARCH_WITH_RESULTS}", 200, "en", True),
        "search-no-results": ("/es/services/?q=9999999999", 200, "es", False),
        "service-detail": ("/es/services/{service}/", 200, "es", None),
        "service-detail-pt": ("/pt/services/{service}/", 200, "pt", None),
    }
    for slug in PATHWAY_SLUGS:
        pages[f"pathway-{slug}"] = (f"/es/routes/{slug}/?place={CUCUTA}", 200, "es", None)
    pages.update(
        {
            "pathway-no-place": ("/es/routes/sexual-violence-72h/", 200, "es", None),
            "pathway-print": (f"/es/routes/sexual-violence-72h/print/?place={CUCUTA}", 200, "es", None),
            "pathway-card": (f"/es/routes/sexual-violence-72h/card/?place={CUCUTA}", 200, "es", None),
            "channel-home": ("/es/channel/", 200, "es", None),
            "channel-home-pt": ("/pt/channel/", 200, "pt", None),
            "channel-choose-place": ("/es/channel/report/", 200, "es", None),
            "channel-report-form": (f"/es/channel/report/?place={CUCUTA}", 200, "es", None),
            "channel-report-form-en": (f"/en/channel/report/?place={CUCUTA}", 200, "en", None),
            "channel-login": ("/es/channel/login/", 200, "es", None),
            "bad-request-channel": ("/es/channel/report/?place=ZZ999", 400, "es", None),
            "safety-es": ("/es/safety/", 200, "es", None),
            "safety-en": ("/en/safety/", 200, "en", None),
            "bad-request-pathway": ("/es/routes/sexual-violence-72h/?place=ZZ999", 400, "es", None),
            "bad-request-search": ("/es/services/?place=ZZ999&q=psicologa", 400, "es", None),
            "not-found-es": ("/es/no-such-page/?from=qr", 404, "es", None),
            "not-found-pt": ("/pt/no-such-page/", 404, "pt", None),
            "not-found-service": (f"/en/services/{uuid.UUID(int=1)}/", 404, "en", None),
            "not-found-pathway": ("/es/routes/no-such-route/", 404, "es", None),
        }
    )
    return pages


PAGES = _catalogue()


def _service_in_cucuta() -> str:
    from amparo.directory.models import ServiceAtLocation

    sal = (
        ServiceAtLocation.objects.filter(place__pcode=CUCUTA, service__status="active", service__trans_affirming=True)
        .order_by("pk")
        .first()
    )
    assert sal is not None, "the demo directory has no active service in Cúcuta"
    return str(sal.uuid)


def _resolve(key: str) -> PublicPage:
    path, status, lang, results = PAGES[key]
    if "{service}" in path:
        path = path.format(service=_service_in_cucuta())
    return PublicPage(key, path, status, lang, results)


def _channel_receiver() -> None:
    """An organisation that receives safe-channel reports from Colombia, so the report form is complete."""
    from amparo.accounts.models import Membership, Organization, User
    from amparo.directory.models import Place
    from amparo.safechannel.services import channel_setup

    organization = Organization.objects.create(name="Casa Receptora (test)")
    organization.areas.add(Place.objects.get(pcode="CO"))
    user = User.objects.create_user(username="receptora@example.org", email="receptora@example.org")
    Membership.objects.create(user=user, organization=organization, role="caseworker")
    channel_setup(actor=user, organization=organization)


@pytest.fixture(params=list(PAGES))
def public_page(request: pytest.FixtureRequest, demo_directory: None) -> PublicPage:
    """One public page (the test runs once per page), with the demo directory loaded."""
    _channel_receiver()
    return _resolve(request.param)


@pytest.fixture
def public_pages(demo_directory: None) -> list[PublicPage]:
    """Every public page, with the demo directory loaded."""
    _channel_receiver()
    return [_resolve(key) for key in PAGES]


# --- Measured page weights, printed at the end of the run -------------------------------------------------------

WEIGHTS: dict[str, tuple[int, int, int]] = {}  # page key -> (bytes transferred, of which HTML, everything gzip -6)


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter) -> None:
    if not WEIGHTS:
        return
    width = max(len(key) for key in WEIGHTS)
    terminalreporter.section("public page weights (bytes, HTML + CSS + JS, as transferred)")
    terminalreporter.write_line(f"{'page':<{width}}  transferred  html-gzip  all-gzip-6")
    for key, (total, html, recompressed) in sorted(WEIGHTS.items(), key=lambda item: -item[1][0]):
        terminalreporter.write_line(f"{key:<{width}}  {total:>11}  {html:>9}  {recompressed:>10}")
