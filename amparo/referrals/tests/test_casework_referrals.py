"""Issue 13, item 7: the PEP/EC clock shared by default inside the windows, focal points listed with their
institution and distance, the case page's banner that clears once the health referral is attended, printed clocks
as a date and time, a confirmation before cancelling, and the lawyer chosen among the organisation's legal
advisors (added to the case team, audited)."""

from __future__ import annotations

import re
from collections.abc import Callable

import pytest
from django.test import Client
from django.utils import formats, timezone, translation

from amparo.accounts.roles import Role
from amparo.audit.models import AuditEntry
from amparo.cases import legal_services
from amparo.referrals import services
from amparo.referrals.models import Referral
from amparo.safechannel.tests.conftest import make_staff

from .conftest import World, add_incident

pytestmark = pytest.mark.django_db


@pytest.fixture
def client_for(verified_client_for: Callable[..., Client]) -> Callable[..., Client]:
    """A verified client whose browser asks for English (the staff pages' default is Spanish)."""

    def make(user: object, **kwargs: str) -> Client:
        return verified_client_for(user, **({"HTTP_ACCEPT_LANGUAGE": "en"} | kwargs))

    return make


def _send(world: World, **kwargs: object) -> Referral:
    args: dict[str, object] = {
        "actor": world.staff["caseworker"],
        "case": world.case,
        "service": world.hospital,
        "focal_point": world.focal,
        "service_type": "health",
        "shared_fields": ["age_band", "health_clock"],
        "priority": "normal",
        "reason": "",
    }
    return services.referral_send(**(args | kwargs))  # type: ignore[arg-type]


def _checked(html: str, name: str, value: str) -> bool:
    tag = re.search(rf'<input[^>]*name="{name}"[^>]*value="{value}"[^>]*>', html)
    assert tag is not None, (name, value)
    return "checked" in tag.group(0)


def test_the_clock_is_shared_by_default_inside_the_windows_only(
    world: World, client_for: Callable[..., Client]
) -> None:
    client = client_for(world.staff["caseworker"])
    url = f"/staff/referrals/new/{world.case.uuid}/?type=health"
    assert not _checked(client.get(url).content.decode(), "shared_fields", "health_clock")  # no incident yet
    add_incident(world, hours_ago=30)
    page = client.get(url).content.decode()
    assert _checked(page, "shared_fields", "health_clock")
    assert not _checked(page, "shared_fields", "full_name")  # identifying fields stay unticked
    # Other referral types never tick it, even inside the window.
    psychosocial = client.get(f"/staff/referrals/new/{world.case.uuid}/?type=psychosocial").content.decode()
    assert not _checked(psychosocial, "shared_fields", "health_clock")


def test_the_clock_is_not_shared_by_default_after_the_windows(world: World, client_for: Callable[..., Client]) -> None:
    add_incident(world, hours_ago=200)
    page = client_for(world.staff["caseworker"]).get(f"/staff/referrals/new/{world.case.uuid}/?type=health")
    assert not _checked(page.content.decode(), "shared_fields", "health_clock")


def test_focal_points_are_listed_with_their_institution_and_distance(
    world: World, client_for: Callable[..., Client]
) -> None:
    world.focal.job_title = "Médica de urgencias"
    world.focal.save()
    page = client_for(world.staff["caseworker"]).get(f"/staff/referrals/new/{world.case.uuid}/?type=health")
    html = page.content.decode()
    option = re.search(rf'<option value="{world.focal.uuid}"[^>]*>([^<]*)</option>', html)
    assert option is not None
    label = option.group(1)
    assert "Doctora Punto Focal" in label and "Médica de urgencias" in label
    assert world.hospital.organization.name.replace("&", "&amp;") in label  # the institution
    assert re.search(r"\(Cúcuta, \d+ km\)", label), label  # where, and how far


def test_the_banner_clears_when_the_health_referral_is_attended(
    world: World, client_for: Callable[..., Client]
) -> None:
    add_incident(world, hours_ago=20)
    client = client_for(world.staff["caseworker"])
    page = client.get(f"/staff/cases/{world.case.uuid}/").content.decode()
    assert "Refer to health now" in page
    referral = _send(world)
    page = client.get(f"/staff/cases/{world.case.uuid}/").content.decode()
    assert "Refer to health now" not in page and "waiting to be attended" in page
    focal = world.staff["focal"]
    for status in ("received", "accepted", "attended"):
        services.referral_transition(actor=focal, referral=referral, to_status=status, sender=False, receiver=True)
    page = client.get(f"/staff/cases/{world.case.uuid}/").content.decode()
    assert "Refer to health now" not in page and "waiting to be attended" not in page
    assert 'role="alert">Health priority' not in page and "Health referral attended" in page
    # Closing the attended referral keeps the banner cleared (it was attended).
    services.referral_transition(
        actor=world.staff["caseworker"], referral=referral, to_status="closed", sender=True, receiver=False
    )
    assert "Refer to health now" not in client.get(f"/staff/cases/{world.case.uuid}/").content.decode()


def test_a_declined_health_referral_brings_the_alarm_back(world: World, client_for: Callable[..., Client]) -> None:
    add_incident(world, hours_ago=20)
    referral = _send(world)
    focal = world.staff["focal"]
    services.referral_transition(actor=focal, referral=referral, to_status="received", sender=False, receiver=True)
    services.referral_transition(
        actor=focal,
        referral=referral,
        to_status="declined",
        sender=False,
        receiver=True,
        decline_reason="service_unavailable",
    )
    page = client_for(world.staff["caseworker"]).get(f"/staff/cases/{world.case.uuid}/").content.decode()
    assert "Refer to health now" in page


def test_the_printed_clock_is_a_date_and_time_not_hours_left(world: World, client_for: Callable[..., Client]) -> None:
    add_incident(world, hours_ago=10)
    referral = _send(world)
    incident = world.case.incidents.get()
    pep_end = timezone.localtime(incident.occurred_at + services.PEP_WINDOW)
    client = client_for(world.staff["focal"], HTTP_ACCEPT_LANGUAGE="es-CO")
    printed = client.get(f"/staff/referrals/{referral.uuid}/print/").content.decode()
    assert "hours left" not in printed and "horas restantes" not in printed and "hour left" not in printed
    with translation_es():
        expected = f"{formats.date_format(pep_end, 'DATE_FORMAT')}, {formats.time_format(pep_end, 'TIME_FORMAT')}"
    assert "PEP" in printed and expected in printed, expected
    assert "America/Bogota" in printed
    # The screen keeps the live count.
    assert "hours left" in client_for(world.staff["focal"]).get(f"/staff/referrals/{referral.uuid}/").content.decode()


def translation_es() -> translation.override:

    return translation.override("es")


def test_cancelling_asks_for_confirmation(world: World, client_for: Callable[..., Client]) -> None:
    referral = _send(world)
    client = client_for(world.staff["caseworker"])
    url = f"/staff/referrals/{referral.uuid}/"
    first = client.post(url, {"to_status": "closed"})
    assert first.status_code == 200 and 'name="confirm"' in first.content.decode()
    referral.refresh_from_db()
    assert referral.status == "sent"
    assert not AuditEntry.objects.filter(action="referral.transition").exists()
    confirmed = client.post(url, {"to_status": "closed", "confirm": "on"})
    assert confirmed.status_code == 302
    referral.refresh_from_db()
    assert referral.status == "closed"
    assert AuditEntry.objects.filter(action="referral.transition", object_id=str(referral.uuid)).count() == 1


def test_closing_an_attended_referral_needs_no_confirmation(world: World) -> None:
    referral = _send(world)
    sender = {"sender": True, "receiver": False}
    assert services.needs_cancel_confirmation(referral, "closed", False, **sender)
    assert not services.needs_cancel_confirmation(referral, "closed", True, **sender)
    # The receiving side may not close it: no confirmation page, the move is refused (400) as before.
    assert not services.needs_cancel_confirmation(referral, "closed", False, sender=False, receiver=True)
    referral.status = Referral.Status.ATTENDED
    assert not services.needs_cancel_confirmation(referral, "closed", False, **sender)
    assert not services.needs_cancel_confirmation(referral, "received", False, **sender)


def test_the_lawyer_is_chosen_among_the_organisations_legal_advisors(
    world: World, client_for: Callable[..., Client]
) -> None:
    lawyer = make_staff("abogada@red.example.org", world.red, Role.LEGAL_ADVISOR, with_key=False)
    outside = make_staff("abogada@casa.example.org", world.casa, Role.LEGAL_ADVISOR, with_key=False)
    choices = set(legal_services.lawyer_choices(world.case))
    assert lawyer in choices and outside not in choices
    assert world.staff["unassigned"] not in choices  # a caseworker not on the case is not offered
    assert not world.case.caseworkers.filter(pk=lawyer.pk).exists()
    client = client_for(world.staff["caseworker"])
    page = client.get(f"/staff/cases/{world.case.uuid}/legal/new/").content.decode()
    lawyer_select = re.search(r'<select name="lawyer".*?</select>', page, re.S)
    assert lawyer_select is not None
    assert f'value="{lawyer.pk}"' in lawyer_select.group(0) and f'value="{outside.pk}"' not in lawyer_select.group(0)
    # The lawyers are named as such, first; a caseworker is not the lawyer by default (she chooses one).
    options = re.findall(r'<option value="(\d*)"( selected)?>([^<]*)</option>', lawyer_select.group(0))
    assert options[1] == (str(lawyer.pk), "", "abogada · Legal advisor"), options
    assert (str(world.staff["caseworker"].pk), "", "gestora") in options
    assert [value for value, selected, _ in options if selected] == [""]
    # A legal advisor opening a matter on a case she is on is the lawyer by default.
    own = client_for(lawyer).get(f"/staff/cases/{world.case.uuid}/legal/new/")
    assert own.status_code == 404  # not on the case yet: she does not see it
    response = client.post(
        f"/staff/cases/{world.case.uuid}/legal/new/", {"kind": "criminal_complaint", "lawyer": lawyer.pk}
    )
    assert response.status_code == 302
    assert world.case.caseworkers.filter(pk=lawyer.pk).exists()  # on the team: she can open the case now
    entry = AuditEntry.objects.filter(action="case.assign", object_id=str(world.case.uuid)).last()
    assert entry is not None and entry.detail["added"] == [lawyer.pk] and entry.detail["as"] == "lawyer"
    assert client_for(lawyer).get(f"/staff/cases/{world.case.uuid}/").status_code == 200
    own_page = client_for(lawyer).get(f"/staff/cases/{world.case.uuid}/legal/new/").content.decode()
    assert f'<option value="{lawyer.pk}" selected>' in own_page
    # A forged POST naming another organisation's lawyer is refused with the form, never a 500.
    refused = client.post(f"/staff/cases/{world.case.uuid}/legal/new/", {"kind": "custody", "lawyer": outside.pk})
    assert refused.status_code == 400
    assert not world.case.caseworkers.filter(pk=outside.pk).exists()
