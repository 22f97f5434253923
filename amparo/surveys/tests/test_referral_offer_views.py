"""The referral offer's pages: at the end of a stored interview (her own for the enumerator, her organisation's for a
coordinator; audited; another's a 404) and the printable card for phone interviews (bad input: a 400 page)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from django.test import Client
from django.urls import reverse

from amparo.accounts.models import Membership, Organization, User
from amparo.accounts.roles import Role
from amparo.audit.models import AuditEntry
from amparo.surveys import demo
from amparo.surveys.models import Form, Submission
from amparo.surveys.services import receive_submission

pytestmark = pytest.mark.django_db

ANSWERS = {
    "consent": "yes",
    "safe_now": "yes",
    "statistics_consent": "yes",
    "municipality": "CO54001",
    "zone_type": "border",
    "gender_identity": "trans_woman",
    "pause_violence": "continue",
    "violence_by": "police",
    "violence_type_police": "physical_assault",
    "sexual_violence_recent": "no",
    "pause_control": "continue",
    "debt": "yes",
    "pause_services": "continue",
    "needs": "sti_hiv protection",
    "referral_wanted": "yes",
    "interview_date": "2026-12-01",
}


def _member(org: Organization, email: str, role: str) -> User:
    user = User.objects.create_user(username=email, email=email, password="x-Unused-9")
    Membership.objects.create(user=user, organization=org, role=role)
    return user


@pytest.fixture
def world(demo_directory: None) -> dict[str, Any]:
    org = Organization.objects.create(name="Red Violeta")
    other = Organization.objects.create(name="Otra Red")
    users = {
        "enumerator": _member(org, "enc@example.org", Role.ENUMERATOR),
        "colleague": _member(org, "enc2@example.org", Role.ENUMERATOR),
        "coordinator": _member(org, "coord@example.org", Role.COORDINATOR),
        "analyst": _member(org, "analyst@example.org", Role.ANALYST),
        "outsider": _member(other, "coord@other.example.org", Role.COORDINATOR),
    }
    version = demo.publish_instrument(org, users["coordinator"])
    version.form.enumerators.add(users["enumerator"], users["colleague"])
    submission, _created = receive_submission(
        xml=demo.instance_for(version, ANSWERS, "uuid:offer-1"),
        source=Submission.Source.WEB,
        forms=Form.objects.filter(pk=version.form_id),
        enumerator=users["enumerator"],
    )
    return {"org": org, "users": users, "submission": submission}


def _offer(world: dict[str, Any]) -> str:
    return reverse("surveys:offer", args=[world["submission"].uuid])


def test_the_enumerator_sees_the_services_for_what_she_named_and_the_read_is_audited(
    world: dict[str, Any], verified_client_for: Callable[..., Client]
) -> None:
    client = verified_client_for(world["users"]["enumerator"], HTTP_ACCEPT_LANGUAGE="es")
    response = client.get(_offer(world))
    assert response.status_code == 200
    page = response.content.decode()
    assert "Cúcuta" in page
    assert "Pruebas o tratamiento de VIH o ITS, PrEP, condones" in page  # her words, from the instrument
    assert "/routes/sti-hiv-covid/?place=CO54001" in page  # the pathway, resolved for her municipality
    assert "/routes/trafficking/" in page  # her answer about a debt points to the trafficking pathway, apart
    assert page.index("sti-hiv-covid") < page.index("/routes/trafficking/")
    assert "km" in page  # nearest services, with their distance
    # She asked for a referral: the enumerator cannot open a case, and is told who does; nothing is opened.
    assert reverse("cases:new") not in page
    assert reverse("surveys:offer_card") + "?place=CO54001&amp;need=sti_hiv&amp;need=protection" in page
    entry = AuditEntry.objects.get(action="survey.submission.read")
    assert entry.detail == {"purpose": "referral_offer", "needs": 2, "suggested": 2}
    assert (entry.object_type, entry.object_id) == ("surveys.submission", str(world["submission"].uuid))
    assert entry.actor_id == world["users"]["enumerator"].pk


def test_a_coordinator_gets_the_way_to_a_case_and_its_referral_never_a_referral_itself(
    world: dict[str, Any], verified_client_for: Callable[..., Client]
) -> None:
    client = verified_client_for(world["users"]["coordinator"], HTTP_ACCEPT_LANGUAGE="en")
    page = client.get(_offer(world)).content.decode()
    assert reverse("cases:new") in page
    assert "Health (incl. PEP, emergency contraception, STI/HIV, COVID-19 vaccination); Protection" in page
    from amparo.cases.models import Case
    from amparo.referrals.models import Referral

    assert Case.objects.count() == 0 and Referral.objects.count() == 0


@pytest.mark.parametrize("who", ["colleague", "outsider", "analyst"])
def test_anyone_else_gets_a_404_and_nothing_is_read(
    world: dict[str, Any], verified_client_for: Callable[..., Client], who: str
) -> None:
    client = verified_client_for(world["users"][who])
    assert client.get(_offer(world)).status_code == 404
    assert not AuditEntry.objects.filter(action="survey.submission.read").exists()


def test_the_web_entry_sent_page_leads_to_the_offer_of_that_interview(
    world: dict[str, Any], verified_client_for: Callable[..., Client]
) -> None:
    """The instrument asks her needs: after sending, the enumerator is led to that interview's offer; a colleague
    (also assigned to the form) who names it, or a page naming nothing valid, gets the page without the link."""
    submission = world["submission"]
    sent = reverse("surveys:entry_sent", args=[submission.form.uuid])
    enumerator = verified_client_for(world["users"]["enumerator"])
    page = enumerator.get(sent, {"interview": str(submission.uuid)})
    assert page.status_code == 200 and f'href="{_offer(world)}"' in page.content.decode()
    assert enumerator.get(_offer(world)).status_code == 200
    colleague = verified_client_for(world["users"]["colleague"])
    for interview in (str(submission.uuid), "not-a-uuid", "00000000-0000-0000-0000-000000000000"):
        page = colleague.get(sent, {"interview": interview})
        assert page.status_code == 200 and _offer(world) not in page.content.decode(), interview
    assert _offer(world) not in enumerator.get(sent).content.decode()  # no interview named: no link


def test_the_card_shows_services_not_what_she_said(
    world: dict[str, Any], verified_client_for: Callable[..., Client]
) -> None:
    client = verified_client_for(world["users"]["enumerator"], HTTP_ACCEPT_LANGUAGE="es")
    empty = client.get(reverse("surveys:offer_card"))
    assert empty.status_code == 200 and 'name="need"' in empty.content.decode()
    response = client.get(reverse("surveys:offer_card"), {"place": "CO54001", "need": ["trafficking", "sti_hiv"]})
    page = response.content.decode()
    assert response.status_code == 200
    assert "Servicios cerca de ti" in page and "Cúcuta" in page
    assert "Salir de una situación" not in page.split("</form>")[-1]  # her words stay off the printed card
    assert page.count("<section>") == 2
    assert not AuditEntry.objects.filter(action="survey.submission.read").exists()  # no interview behind it


@pytest.mark.parametrize(
    ("query", "message"),
    [
        ({"place": "CO99999"}, "We do not know this municipality"),
        ({"place": "x" * 40}, "We do not know this municipality"),
        ({"need": "astrology"}, "One of the needs is not on the list"),
    ],
)
def test_the_card_refuses_what_is_not_on_its_lists_with_a_400(
    world: dict[str, Any], verified_client_for: Callable[..., Client], query: dict[str, str], message: str
) -> None:
    client = verified_client_for(world["users"]["coordinator"], HTTP_ACCEPT_LANGUAGE="en")
    response = client.get(reverse("surveys:offer_card"), query)
    assert response.status_code == 400
    assert message in response.content.decode()


def test_an_encrypted_interview_not_yet_decrypted_has_no_offer(
    world: dict[str, Any], verified_client_for: Callable[..., Client]
) -> None:
    Submission.objects.filter(pk=world["submission"].pk).update(encrypted=True)
    client = verified_client_for(world["users"]["coordinator"])
    assert client.get(_offer(world)).status_code == 404
