"""Referrals through real HTTP against a live server: refused without consent, withdrawal hides the shared fields at
once, need-to-know 404s, the lifecycle (incl. "service unavailable"), audited reads, the printable form and the
health clock."""

from __future__ import annotations

import re
from datetime import timedelta
from typing import Any

import pytest
from django.utils import timezone

from amparo.accounts.tests.http import Browser, Response
from amparo.audit.models import AuditEntry
from amparo.cases import services as case_services
from amparo.cases.vocab import ConsentKind
from amparo.directory.models import Place
from amparo.directory.taxonomy import SERVICE_TYPE_BY_CODE
from amparo.referrals import services
from amparo.referrals.models import Priority, Referral, ServiceType
from amparo.referrals.selectors import DIRECTORY_TYPES

from .conftest import CUCUTA, SURVIVOR_NAME, SURVIVOR_PHONE, World, add_incident, focal_point_for, signed_in

pytestmark = pytest.mark.django_db(transaction=True)


def post_form(browser: Browser, path: str, fields: list[tuple[str, str]]) -> Response:
    """GET the form page for its CSRF token, then POST the fields (repeated names allowed)."""
    page = browser.get(path)
    assert page.status in {200, 400}, (path, page.status)
    match = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page.text)
    assert match, f"no CSRF token on {path}"
    return browser.request(path, [("csrfmiddlewaretoken", match.group(1)), *fields])


def send(
    browser: Browser,
    world: World,
    *,
    service_type: str = ServiceType.HEALTH,
    service: Any = None,
    focal: bool = True,
    shared: tuple[str, ...] = ("age_band", "incident_summary", "health_clock"),
    priority: str = Priority.NORMAL,
    case: Any = None,
) -> Response:
    service = service or world.hospital
    case = case or world.case
    fields = [
        ("service_type", service_type),
        ("service", str(service.uuid)),
        ("focal_point", str(world.focal.uuid) if focal else ""),
        ("priority", priority),
        ("reason", "Atención de urgencia tras agresión sexual."),
        *[("shared_fields", code) for code in shared],
    ]
    return post_form(browser, f"/staff/referrals/new/{case.uuid}/?type={service_type}", fields)


def transition(browser: Browser, referral: Referral, to_status: str, **extra: str) -> Response:
    return post_form(browser, f"/staff/referrals/{referral.uuid}/", [("to_status", to_status), *extra.items()])


def test_directory_type_mapping_uses_published_codes() -> None:
    assert set(DIRECTORY_TYPES) == set(ServiceType.values)
    for codes in DIRECTORY_TYPES.values():
        assert all(code in SERVICE_TYPE_BY_CODE for code in codes)


def test_referral_without_consent_is_refused(live_server: Any, world: World) -> None:
    caseworker = signed_in(live_server, world.staff["caseworker"])
    page = caseworker.get(f"/staff/referrals/new/{world.case.uuid}/?type=psychosocial")
    assert page.status == 200 and str(world.psychology.uuid) in page.text  # offered: nearest mental-health services
    assert 'role="alert"' in page.text  # she has not consented to psychosocial referrals: said before sending
    refused = send(caseworker, world, service_type=ServiceType.PSYCHOSOCIAL, service=world.psychology, focal=False)
    assert refused.status == 400
    assert 'role="alert"' in refused.text and "errorlist nonfield" in refused.text  # the consent, not the form
    assert not Referral.objects.exists()
    assert not AuditEntry.objects.filter(action="referral.send").exists()
    # A withdrawn health consent refuses a health referral just the same.
    case_services.consent_withdraw(actor=world.staff["caseworker"], case=world.case, kind=ConsentKind.SHARE_HEALTH)
    assert send(caseworker, world).status == 400
    assert not Referral.objects.exists()


def test_lifecycle_send_receive_accept_attend_close(live_server: Any, world: World) -> None:
    add_incident(world, hours_ago=300)  # outside every clinical window: the chosen priority stays
    caseworker = signed_in(live_server, world.staff["caseworker"])
    sent = send(caseworker, world)
    assert sent.status == 302, sent.text[:3000]
    referral = Referral.objects.get()
    assert sent.location == f"/staff/referrals/{referral.uuid}/"
    assert referral.status == Referral.Status.SENT and referral.priority == Priority.NORMAL
    assert timedelta(days=13, hours=23) < referral.respond_by - referral.sent_at <= timedelta(days=14)
    assert referral.shared_fields == ["age_band", "incident_summary", "health_clock"]
    assert AuditEntry.objects.filter(action="referral.send", object_id=str(referral.uuid)).count() == 1
    # The sender's page lists the referral (the case's list) and its own detail page opens.
    back = f'href="/staff/cases/{world.case.uuid}/"'  # both pages lead back to the case (they were dead ends)
    new_page = caseworker.get(f"/staff/referrals/new/{world.case.uuid}/")
    assert str(referral.uuid) in new_page.text and back in new_page.text
    detail = caseworker.get(f"/staff/referrals/{referral.uuid}/")
    assert detail.status == 200 and back in detail.text

    focal = signed_in(live_server, world.staff["focal"])
    inbox = focal.get("/staff/referrals/inbox/")
    assert inbox.status == 200 and str(referral.uuid) in inbox.text and world.case.code in inbox.text
    assert SURVIVOR_NAME not in inbox.text
    page = focal.get(f"/staff/referrals/{referral.uuid}/")
    assert page.status == 200 and SURVIVOR_NAME not in page.text and SURVIVOR_PHONE not in page.text
    assert 'value="received"' in page.text and 'value="closed"' not in page.text
    assert back not in page.text  # the focal point does not see the case

    # Each side may make only its own moves.
    assert transition(focal, referral, "closed").status == 400
    assert transition(caseworker, referral, "accepted").status == 400
    assert transition(focal, referral, "accepted").status == 400  # not received yet
    for step in ("received", "accepted"):
        assert transition(focal, referral, step).status == 302
    attended = transition(focal, referral, "attended", feedback="Atendida; PEP no indicada por el tiempo.")
    assert attended.status == 302
    referral.refresh_from_db()
    assert referral.status == Referral.Status.ATTENDED and referral.feedback.startswith("Atendida")
    assert transition(caseworker, referral, "closed").status == 302
    referral.refresh_from_db()
    assert referral.status == Referral.Status.CLOSED
    assert list(referral.events.values_list("status", flat=True)) == [
        "sent", "received", "accepted", "attended", "closed",
    ]  # fmt: skip
    assert AuditEntry.objects.filter(action="referral.transition", object_id=str(referral.uuid)).count() == 4
    # Finished: out of the open inbox, in the finished list.
    assert str(referral.uuid) not in focal.get("/staff/referrals/inbox/").text
    assert str(referral.uuid) in focal.get("/staff/referrals/inbox/?finished=1").text


def test_decline_with_service_unavailable_and_sender_cancels(live_server: Any, world: World) -> None:
    caseworker = signed_in(live_server, world.staff["caseworker"])
    assert send(caseworker, world).status == 302
    assert send(caseworker, world).status == 302
    first, second = Referral.objects.order_by("pk")
    focal = signed_in(live_server, world.staff["focal"])
    assert transition(focal, first, "received").status == 302
    assert transition(focal, first, "declined").status == 400  # a decline needs a reason
    declined = transition(focal, first, "declined", decline_reason="service_unavailable")
    assert declined.status == 302
    first.refresh_from_db()
    assert first.status == Referral.Status.DECLINED and first.decline_reason == "service_unavailable"
    assert transition(caseworker, first, "closed").status == 400  # declined is final
    # The sender cancels an open referral at any point.
    assert transition(caseworker, second, "closed", confirm="on").status == 302
    second.refresh_from_db()
    assert second.status == Referral.Status.CLOSED


def test_withdrawal_hides_shared_fields_at_once(live_server: Any, world: World) -> None:
    caseworker = signed_in(live_server, world.staff["caseworker"])
    assert send(caseworker, world, shared=("full_name", "contact", "age_band")).status == 302
    referral = Referral.objects.get()
    focal = signed_in(live_server, world.staff["focal"])
    before = focal.get(f"/staff/referrals/{referral.uuid}/")
    assert SURVIVOR_NAME in before.text and SURVIVOR_PHONE in before.text
    assert SURVIVOR_NAME in focal.get(f"/staff/referrals/{referral.uuid}/print/").text

    case_services.consent_withdraw(actor=world.staff["caseworker"], case=world.case, kind=ConsentKind.SHARE_HEALTH)
    after = focal.get(f"/staff/referrals/{referral.uuid}/")
    assert after.status == 200
    assert SURVIVOR_NAME not in after.text and SURVIVOR_PHONE not in after.text
    assert "Atención de urgencia" not in after.text  # the reason is hers too
    printed = focal.get(f"/staff/referrals/{referral.uuid}/print/")
    assert SURVIVOR_NAME not in printed.text and world.case.code in printed.text
    read = AuditEntry.objects.filter(action="referral.read", object_id=str(referral.uuid)).order_by("seq").last()
    assert read is not None and read.detail["consent_active"] is False and read.detail["fields"] == []


def test_focal_point_of_another_service_gets_404(live_server: Any, world: World) -> None:
    caseworker = signed_in(live_server, world.staff["caseworker"])
    assert send(caseworker, world).status == 302
    referral = Referral.objects.get()
    other = signed_in(live_server, world.staff["other_focal"])
    assert str(referral.uuid) not in other.get("/staff/referrals/inbox/").text
    for path in (f"/staff/referrals/{referral.uuid}/", f"/staff/referrals/{referral.uuid}/print/"):
        assert other.get(path).status == 404, path
    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', other.get("/staff/referrals/inbox/").text)
    assert token is not None
    posted = other.request(
        f"/staff/referrals/{referral.uuid}/", {"csrfmiddlewaretoken": token.group(1), "to_status": "received"}
    )
    assert posted.status == 404
    assert other.get(f"/staff/referrals/new/{world.case.uuid}/").status == 404  # focal points do not send
    referral.refresh_from_db()
    assert referral.status == Referral.Status.SENT
    # A focal point addressed through the service it covers (no person named) sees it.
    assert send(caseworker, world, focal=False).status == 302
    unnamed = Referral.objects.get(focal_point__isnull=True)
    focal = signed_in(live_server, world.staff["focal"])
    assert focal.get(f"/staff/referrals/{unnamed.uuid}/").status == 200


def test_a_referral_naming_a_focal_point_is_hidden_from_their_colleagues(live_server: Any, world: World) -> None:
    colleague = focal_point_for(world, "colega@hospital.example.org", world.hospital)  # covers the same service
    caseworker = signed_in(live_server, world.staff["caseworker"])
    assert send(caseworker, world, focal=True).status == 302
    assert send(caseworker, world, focal=False).status == 302
    named = Referral.objects.get(focal_point=world.focal)
    unnamed = Referral.objects.get(focal_point__isnull=True)

    # The focal point named sees both: the one naming them and the one addressed to the service they cover.
    focal = signed_in(live_server, world.staff["focal"])
    inbox = focal.get("/staff/referrals/inbox/").text
    assert str(named.uuid) in inbox and str(unnamed.uuid) in inbox
    assert focal.get(f"/staff/referrals/{named.uuid}/").status == 200

    # Their colleague covering the hospital sees only the referral addressed to the service, with no person named.
    assert colleague.user is not None
    other = signed_in(live_server, colleague.user)
    inbox = other.get("/staff/referrals/inbox/").text
    assert str(unnamed.uuid) in inbox and str(named.uuid) not in inbox
    assert other.get(f"/staff/referrals/{unnamed.uuid}/").status == 200
    assert other.get(f"/staff/referrals/{unnamed.uuid}/print/").status == 200
    for path in (f"/staff/referrals/{named.uuid}/", f"/staff/referrals/{named.uuid}/print/"):
        assert other.get(path).status == 404, path
    assert transition(other, unnamed, "received").status == 302  # their own move on the service's referral
    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', other.get("/staff/referrals/inbox/").text)
    assert token is not None
    posted = other.request(
        f"/staff/referrals/{named.uuid}/", {"csrfmiddlewaretoken": token.group(1), "to_status": "received"}
    )
    assert posted.status == 404
    named.refresh_from_db()
    assert named.status == Referral.Status.SENT
    assert not AuditEntry.objects.filter(
        action="referral.read", object_id=str(named.uuid), actor_id=colleague.user_id
    ).exists()


def test_a_finished_referral_no_longer_shows_what_she_shared_to_the_receiver(live_server: Any, world: World) -> None:
    caseworker = signed_in(live_server, world.staff["caseworker"])
    for _ in range(2):
        assert send(caseworker, world, shared=("full_name", "contact", "age_band")).status == 302
    declined, cancelled = Referral.objects.order_by("pk")
    focal = signed_in(live_server, world.staff["focal"])
    for referral in (declined, cancelled):
        page = focal.get(f"/staff/referrals/{referral.uuid}/")
        assert SURVIVOR_NAME in page.text and SURVIVOR_PHONE in page.text and "Atención de urgencia" in page.text
        assert "referral-finished" not in page.text
        printed = focal.get(f"/staff/referrals/{referral.uuid}/print/")
        assert SURVIVOR_NAME in printed.text and "referral-finished" not in printed.text

    # The focal point declines one (service unavailable, with feedback); the sender cancels the other.
    assert transition(focal, declined, "received").status == 302
    answer = transition(
        focal, declined, "declined", decline_reason="service_unavailable", feedback="Sin cupo hasta el lunes."
    )
    assert answer.status == 302
    assert transition(caseworker, cancelled, "closed", confirm="on").status == 302

    # The receiving side keeps the metadata (in the finished list, the page opens) and nothing she shared.
    finished_list = focal.get("/staff/referrals/inbox/?finished=1").text
    assert str(declined.uuid) in finished_list and str(cancelled.uuid) in finished_list
    for referral in (declined, cancelled):
        page = focal.get(f"/staff/referrals/{referral.uuid}/")
        assert page.status == 200
        assert "referral-finished" in page.text  # the notice
        assert world.case.code in page.text and world.hospital.name in page.text
        for secret in (SURVIVOR_NAME, SURVIVOR_PHONE, "Atención de urgencia", "Sin cupo"):
            assert secret not in page.text, (referral.status, secret)
        printed = focal.get(f"/staff/referrals/{referral.uuid}/print/")
        assert printed.status == 200 and "referral-finished" in printed.text and world.case.code in printed.text
        for secret in (SURVIVOR_NAME, SURVIVOR_PHONE, "Atención de urgencia", "Sin cupo"):
            assert secret not in printed.text, (referral.status, secret)
        read = AuditEntry.objects.filter(
            action="referral.read", object_id=str(referral.uuid), actor_id=world.staff["focal"].pk
        ).order_by("seq")
        last = read.last()
        assert last is not None and last.detail["fields"] == [] and last.detail["finished"] is True
        assert last.detail["consent_active"] is True and last.detail["side"] == "receiver"
        assert read.first().detail["fields"] == ["age_band", "contact", "full_name"]  # type: ignore[union-attr]

    # The sender's side still sees everything, under her consent.
    page = caseworker.get(f"/staff/referrals/{declined.uuid}/")
    assert page.status == 200 and "referral-finished" not in page.text
    assert SURVIVOR_NAME in page.text and SURVIVOR_PHONE in page.text and "Atención de urgencia" in page.text
    assert "Sin cupo hasta el lunes." in page.text  # the receiving service's answer
    assert SURVIVOR_NAME in caseworker.get(f"/staff/referrals/{declined.uuid}/print/").text
    read = AuditEntry.objects.filter(action="referral.read", actor_id=world.staff["caseworker"].pk).order_by("seq")
    assert read.last().detail["finished"] is False  # type: ignore[union-attr]


def test_opening_the_inbox_is_audited_per_sending_organisation(live_server: Any, world: World) -> None:
    casa_case = case_services.case_open(
        actor=world.staff["casa"],
        organization=world.casa,
        intake=case_services.Intake(
            full_name="Otra Sobreviviente",
            age_band="18-25",
            place=Place.objects.get(pcode=CUCUTA),
            consents=[ConsentKind.SERVICES, ConsentKind.SHARE_HEALTH],
        ),
    )
    red_caseworker = signed_in(live_server, world.staff["caseworker"])
    for _ in range(2):
        assert send(red_caseworker, world).status == 302
    casa_caseworker = signed_in(live_server, world.staff["casa"])
    assert send(casa_caseworker, world, case=casa_case).status == 302
    listed = AuditEntry.objects.filter(action="referral.inbox.read")
    assert not listed.exists()

    focal = signed_in(live_server, world.staff["focal"])
    inbox = focal.get("/staff/referrals/inbox/")
    assert inbox.status == 200 and world.case.code in inbox.text and casa_case.code in inbox.text
    rows = {entry.organization_id: entry for entry in listed}
    assert set(rows) == {world.red.pk, world.casa.pk} and listed.count() == 2
    assert all(entry.actor_id == world.staff["focal"].pk for entry in rows.values())
    assert rows[world.red.pk].detail == {"rows": 2, "codes": [world.case.code], "finished": False}
    assert rows[world.casa.pk].detail == {"rows": 1, "codes": [casa_case.code], "finished": False}
    assert SURVIVOR_NAME not in str(rows[world.red.pk].detail)

    # The finished list is audited too; an empty inbox lists nobody and records nothing.
    referral = Referral.objects.filter(case=casa_case).get()
    assert transition(casa_caseworker, referral, "closed", confirm="on").status == 302
    focal.get("/staff/referrals/inbox/?finished=1")
    last = listed.order_by("seq").last()
    assert last is not None and last.organization_id == world.casa.pk
    assert last.detail == {"rows": 1, "codes": [casa_case.code], "finished": True}
    count = listed.count()
    assert signed_in(live_server, world.staff["other_focal"]).get("/staff/referrals/inbox/").status == 200
    assert listed.count() == count


def test_other_organisation_gets_404_for_every_referral_url(live_server: Any, world: World) -> None:
    caseworker = signed_in(live_server, world.staff["caseworker"])
    assert send(caseworker, world).status == 302
    referral = Referral.objects.get()
    paths = [
        f"/staff/referrals/new/{world.case.uuid}/",
        f"/staff/referrals/new/{world.case.uuid}/?type=health",
        f"/staff/referrals/{referral.uuid}/",
        f"/staff/referrals/{referral.uuid}/print/",
    ]
    for who in ("casa", "casa_coordinator", "unassigned"):
        outsider = signed_in(live_server, world.staff[who])
        for path in paths:
            assert outsider.get(path).status == 404, (who, path)
        home = outsider.get("/staff/")
        token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', home.text)
        assert token is not None
        for path, data in (
            (f"/staff/referrals/{referral.uuid}/", {"to_status": "closed"}),
            (
                f"/staff/referrals/new/{world.case.uuid}/",
                {"service_type": "health", "service": str(world.hospital.uuid)},
            ),
        ):
            assert outsider.request(path, {"csrfmiddlewaretoken": token.group(1), **data}).status == 404, (who, path)
    assert Referral.objects.get().status == Referral.Status.SENT and Referral.objects.count() == 1
    # Not found and not allowed look the same.
    assert caseworker.get("/staff/referrals/00000000-0000-0000-0000-000000000000/").status == 404


def test_reads_are_audited(live_server: Any, world: World) -> None:
    caseworker = signed_in(live_server, world.staff["caseworker"])
    assert send(caseworker, world).status == 302
    referral = Referral.objects.get()
    reads = AuditEntry.objects.filter(action="referral.read", object_id=str(referral.uuid))
    focal = signed_in(live_server, world.staff["focal"])
    before = reads.count()
    focal.get(f"/staff/referrals/{referral.uuid}/")
    focal.get(f"/staff/referrals/{referral.uuid}/")
    focal.get(f"/staff/referrals/{referral.uuid}/print/")
    mine = list(reads.filter(actor_id=world.staff["focal"].pk).order_by("seq"))
    assert reads.count() == before + 3 and len(mine) == 3
    assert [e.detail["part"] for e in mine] == ["page", "page", "print"]
    assert {e.detail["side"] for e in mine} == {"receiver"}
    assert mine[0].detail["fields"] == ["age_band", "health_clock", "incident_summary"]
    assert mine[0].organization_id == world.red.pk
    assert SURVIVOR_NAME not in str(mine[0].detail)


def test_printable_form_has_the_code_and_not_the_name(live_server: Any, world: World) -> None:
    caseworker = signed_in(live_server, world.staff["caseworker"])
    assert send(caseworker, world).status == 302
    referral = Referral.objects.get()
    printed = caseworker.get(f"/staff/referrals/{referral.uuid}/print/")
    assert printed.status == 200
    assert world.case.code in printed.text and SURVIVOR_NAME not in printed.text
    assert world.hospital.name in printed.text and world.red.name in printed.text
    assert "Atención de urgencia tras agresión sexual." in printed.text  # the reason, shared with her consent
    assert "<script" not in printed.text


def test_recent_incident_makes_a_health_referral_an_emergency(live_server: Any, world: World) -> None:
    add_incident(world, hours_ago=10)
    caseworker = signed_in(live_server, world.staff["caseworker"])
    form = caseworker.get(f"/staff/referrals/new/{world.case.uuid}/?type=health")
    assert "120" in form.text and "health-clock" in form.text
    assert send(caseworker, world, priority=Priority.NORMAL).status == 302
    referral = Referral.objects.get()
    assert referral.priority == Priority.EMERGENCY
    assert timedelta(hours=23) < referral.respond_by - referral.sent_at <= timedelta(hours=24)
    focal = signed_in(live_server, world.staff["focal"])
    page = focal.get(f"/staff/referrals/{referral.uuid}/")
    assert "health-clock" in page.text and "120" in page.text
    # Overdue and urgent first in the inbox.
    normal = Referral.objects.create(
        case=world.case, service=world.hospital, service_type="health", respond_by=timezone.now() + timedelta(days=3)
    )
    overdue = Referral.objects.create(
        case=world.case, service=world.hospital, service_type="health", respond_by=timezone.now() - timedelta(hours=1)
    )
    inbox = focal.get("/staff/referrals/inbox/").text
    order = [inbox.index(str(r.uuid)) for r in (overdue, referral, normal)]
    assert order == sorted(order)
    assert "stale" in inbox  # the overdue mark


def test_clinical_windows_cap_the_answer_time(world: World) -> None:
    now = timezone.now()
    # 60 h after the incident: PEP closes in 12 h, sooner than the 24 h of an emergency.
    add_incident(world, hours_ago=60)
    priority, respond_by = services.priority_and_deadline(world.case, ServiceType.HEALTH, Priority.NORMAL, now)
    incident = world.case.incidents.get()
    assert priority == Priority.EMERGENCY and respond_by == incident.occurred_at + services.PEP_WINDOW
    # Past PEP, inside the 120 h emergency contraception window: capped at its end.
    later = now + timedelta(hours=40)
    priority, respond_by = services.priority_and_deadline(world.case, ServiceType.HEALTH, Priority.URGENT, later)
    assert priority == Priority.EMERGENCY and respond_by == incident.occurred_at + services.EC_WINDOW
    # Other referral types keep their priority; past both windows, health does too.
    assert services.priority_and_deadline(world.case, ServiceType.LEGAL, Priority.NORMAL, now)[0] == Priority.NORMAL
    past = now + timedelta(hours=61)
    priority, respond_by = services.priority_and_deadline(world.case, ServiceType.HEALTH, Priority.URGENT, past)
    assert priority == Priority.URGENT and respond_by == past + timedelta(hours=72)
