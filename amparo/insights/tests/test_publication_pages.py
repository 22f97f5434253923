"""The staff pages of publications over HTTP: prepare (one-time token), review by a second person with a second
factor, send back, withdraw, rebuild; the preparer, another organisation and other roles refused."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from django.test import Client
from django.utils import translation

from amparo.insights import services
from amparo.insights.models import Publication

from .publication_world import World, builder, last_whole_month, make_world, record_consented_cases

pytestmark = pytest.mark.django_db
NEW = "/staff/insights/publications/new/"


@pytest.fixture
def world() -> World:
    return make_world()


def form_data(client: Client, **change: object) -> dict[str, object]:
    page = client.get(NEW)
    assert page.status_code == 200
    form = page.context["form"]
    start, end = last_whole_month()
    data: dict[str, object] = {
        "form_token": form["form_token"].initial,
        "organization": form.fields["organization"].choices[0][0],
        "scope": "country",
        "country": "CO",
        "first_month": f"{start:%Y-%m}",
        "last_month": f"{end:%Y-%m}",
        "languages": ["es", "en", "pt"],
    }
    data.update(change)
    return data


def detail(publication: Publication) -> str:
    return f"/staff/insights/publications/{publication.uuid}/"


def test_a_coordinator_prepares_and_a_resubmitted_form_builds_nothing_more(
    world: World, verified_client_for: Callable[..., Client]
) -> None:
    record_consented_cases(world, 12)
    client = verified_client_for(world.coordinator)
    data = form_data(client)
    response = client.post(NEW, data)
    publication = Publication.objects.get()
    assert response.status_code == 302 and response["Location"] == detail(publication)
    assert publication.status == Publication.Status.PENDING and publication.languages == ["es", "en", "pt"]
    again = client.post(NEW, data)
    assert again.status_code == 302 and again["Location"] == detail(publication)
    assert Publication.objects.count() == 1
    with translation.override("en"):
        page = client.get(detail(publication), HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert "another person of your organisation must review it" in page
    assert 'name="decision"' not in page  # the preparer gets no review form


def test_bad_input_is_a_form_message_not_a_500(world: World, verified_client_for: Callable[..., Client]) -> None:
    client = verified_client_for(world.coordinator)
    current = last_whole_month()[1].replace(day=28)
    changes: list[dict[str, object]] = [
        {"last_month": f"{current.year + (current.month == 12)}-{current.month % 12 + 1:02d}"},
        {"first_month": "2026-13"},
        {"first_month": "last spring"},
        {"scope": "country", "country": ""},
        {"languages": []},
        {"organization": "not-an-organisation"},
    ]
    for change in changes:
        response = client.post(NEW, form_data(client, **change))
        assert response.status_code == 400, change
    assert not Publication.objects.exists()


def test_the_preparer_cannot_approve_even_by_forging_the_post(
    world: World, verified_client_for: Callable[..., Client]
) -> None:
    publication = services.publication_prepare(
        actor=world.coordinator, organization=world.org, scope="region", country="",
        first_month=last_whole_month()[0], last_month=last_whole_month()[1], languages=["es"],
        build=builder([[30, 12], [25, 40]]),
    )  # fmt: skip
    client = verified_client_for(world.coordinator)
    response = client.post(f"{detail(publication)}review/", {"decision": "approve"})
    assert response.status_code == 400
    publication.refresh_from_db()
    assert publication.status == Publication.Status.PENDING


def test_an_analyst_without_a_second_factor_may_send_back_but_not_approve(
    world: World, verified_client_for: Callable[..., Client]
) -> None:
    publication = services.publication_prepare(
        actor=world.coordinator, organization=world.org, scope="region", country="",
        first_month=last_whole_month()[0], last_month=last_whole_month()[1], languages=["es"],
        build=builder([[30, 12], [25, 40]]),
    )  # fmt: skip
    analyst = Client()
    analyst.force_login(world.analyst, backend="django.contrib.auth.backends.ModelBackend")
    with translation.override("en"):
        page = analyst.get(detail(publication), HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert 'value="approve"' in page and "sign in with your second factor" in page
    assert analyst.post(f"{detail(publication)}review/", {"decision": "approve"}).status_code == 400
    publication.refresh_from_db()
    assert publication.status == Publication.Status.PENDING
    sent_back = analyst.post(f"{detail(publication)}review/", {"decision": "return", "reason": "Check March."})
    assert sent_back.status_code == 302
    publication.refresh_from_db()
    assert publication.status == Publication.Status.RETURNED and publication.return_reason == "Check March."


def test_a_second_person_approves_then_a_coordinator_withdraws(
    world: World, verified_client_for: Callable[..., Client], public_client: Client
) -> None:
    publication = services.publication_prepare(
        actor=world.coordinator, organization=world.org, scope="region", country="",
        first_month=last_whole_month()[0], last_month=last_whole_month()[1], languages=["es"],
        build=builder([[30, 12], [25, 40]]),
    )  # fmt: skip
    assert public_client.get(f"/es/figures/{publication.uuid}/").status_code == 404  # not public yet
    monitor = verified_client_for(world.monitor)
    assert monitor.post(f"{detail(publication)}review/", {"decision": "approve"}).status_code == 302
    assert public_client.get(f"/es/figures/{publication.uuid}/").status_code == 200
    # Analysts and monitors do not withdraw; a coordinator does, with a reason.
    assert monitor.post(f"{detail(publication)}withdraw/", {"reason": "x"}).status_code == 404
    coordinator = verified_client_for(world.second_coordinator)
    assert coordinator.post(f"{detail(publication)}withdraw/", {"reason": ""}).status_code == 400
    assert coordinator.post(f"{detail(publication)}withdraw/", {"reason": "A mistake."}).status_code == 302
    publication.refresh_from_db()
    assert publication.status == Publication.Status.WITHDRAWN
    # The rebuild form starts from the withdrawn publication's parameters.
    form = coordinator.get(f"{NEW}?replaces={publication.uuid}").context["form"]
    assert form.initial["scope"] == "region" and form.initial["replaces"] == publication.uuid


def test_other_roles_and_other_organisations_reach_nothing(
    world: World, verified_client_for: Callable[..., Client]
) -> None:
    publication = services.publication_prepare(
        actor=world.coordinator, organization=world.org, scope="region", country="",
        first_month=last_whole_month()[0], last_month=last_whole_month()[1], languages=["es"],
        build=builder([[30, 12], [25, 40]]),
    )  # fmt: skip
    for user in (world.caseworker, world.outsider):
        client = verified_client_for(user)
        assert client.get(detail(publication)).status_code == 404
        assert client.post(f"{detail(publication)}review/", {"decision": "approve"}).status_code == 404
        assert client.get(f"{NEW}?replaces={publication.uuid}").status_code == 404
    listing = verified_client_for(world.outsider).get("/staff/insights/publications/")
    assert listing.status_code == 200 and str(publication.uuid) not in listing.content.decode()
    publication.refresh_from_db()
    assert publication.status == Publication.Status.PENDING
