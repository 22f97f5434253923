"""The staff pages of the community-led monitoring (issue 17, part 3): who reads a service's answers (its
organisation's coordinators and analysts, its focal point), what they see (nothing under 5, a protected table
from 5, an audited read), and the alert page for the coordinators of the organisations that refer there."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from amparo.audit.models import AuditEntry
from amparo.campaigns import feedback_selectors as selectors
from amparo.campaigns.feedback_models import FeedbackAlert
from amparo.today.models import Kind, Notification

from .feedback_world import GOOD, TURNED_AWAY, World, answer, make_world

pytestmark = pytest.mark.django_db


@pytest.fixture
def world(demo_directory: None) -> World:
    return make_world()


def test_the_organisation_reads_a_protected_table_from_5_answers(
    world: World, verified_client_for: Callable[..., Client]
) -> None:
    url = reverse("feedback:service", args=[world.sal.service.uuid])
    coordinator = verified_client_for(world.coordinator, HTTP_ACCEPT_LANGUAGE="en")
    answer(world, GOOD, 3)
    page = coordinator.get(url).content.decode()
    assert "nothing is shown" in page.replace("Nada", "nothing") or "no se muestra nada" in page
    assert "<table" not in page
    answer(world, GOOD, 4)
    answer(world, TURNED_AWAY, 2)
    for user in (world.coordinator, world.analyst, world.focal):
        response = verified_client_for(user).get(url)
        assert response.status_code == 200
        html = response.content.decode()
        assert "<table" in html and ">9</td>" in html  # the row totals: 9 answers
        assert "menos de 5" in html or "oculto" in html  # the 2 turned away is hidden
    reads = AuditEntry.objects.filter(action="campaigns.feedback.read")
    assert reads.count() == 4 and reads.order_by("seq").last().detail["hidden_cells"] > 0  # type: ignore[union-attr]
    listing = verified_client_for(world.coordinator).get(reverse("feedback:services")).content.decode()
    assert world.sal.service.name in listing and ">9</td>" in listing


def test_other_organisations_and_roles_get_a_404(world: World, verified_client_for: Callable[..., Client]) -> None:
    answer(world, GOOD, 6)
    url = reverse("feedback:service", args=[world.sal.service.uuid])
    for user in (world.outsider, world.referring_coordinator, world.caseworker):
        assert verified_client_for(user).get(url).status_code == 404
    listing = verified_client_for(world.outsider).get(reverse("feedback:services")).content.decode()
    assert world.sal.service.name not in listing


def test_the_alert_page_for_a_referring_coordinator_names_no_count(
    world: World, verified_client_for: Callable[..., Client]
) -> None:
    answer(world, TURNED_AWAY, 4, month=selectors.month_start(timezone.localdate()))
    alert = FeedbackAlert.objects.get()
    url = reverse("feedback:alert", args=[alert.uuid])
    referring = verified_client_for(world.referring_coordinator)
    response = referring.get(url)
    assert response.status_code == 200
    html = response.content.decode()
    assert world.sal.service.name in html and "Al menos 3" in html and "4 personas" not in html
    assert reverse("feedback:service", args=[world.sal.service.uuid]) not in html  # she may not read the answers
    assert verified_client_for(world.outsider).get(url).status_code == 404
    assert verified_client_for(world.focal).get(url).status_code == 200
    # Her notice is on her notifications page (opening it marks it read and leads here).
    notices = referring.get(reverse("today:notifications")).content.decode()
    assert "reportaron discriminación una y otra vez" in notices
    notice = Notification.objects.get(recipient=world.referring_coordinator, kind=Kind.FEEDBACK_ALERT)
    assert referring.post(reverse("today:notifications_read"), {"notification": notice.pk})["Location"] == url
