"""Referrals straight from a safe-channel report, through real HTTP against a live server: refused until she gives
her consent for the type herself in the channel; only the incident summary and her contact can be shared, copied
encrypted; the focal point sees them; her withdrawal erases the copy at once (and a later consent does not bring it
back); she sees where she was referred; another organisation gets 404; a case opened from the report follows the
consents she manages in the channel."""

from __future__ import annotations

import re
from typing import Any

import pytest
from django.db import connection

from amparo.accounts.tests.http import Browser, Response
from amparo.audit.models import AuditEntry
from amparo.cases import services as case_services
from amparo.cases.models import Consent
from amparo.cases.vocab import ConsentKind, ConsentMethod
from amparo.directory.models import Place
from amparo.referrals import services as referral_services
from amparo.referrals.models import Priority, Referral, ServiceType
from amparo.safechannel import services as channel
from amparo.safechannel.forms import SHARING_CHOICES
from amparo.safechannel.models import Report, SharingConsent
from amparo.safechannel.tests.conftest import file_report, receipt_of

from .conftest import CUCUTA, World, signed_in
from .test_referrals_http import post_form

pytestmark = pytest.mark.django_db(transaction=True)

PHONE = "+57 300 555 0199"  # what she wrote in the report form (safechannel.tests.conftest.report_fields)


@pytest.fixture
def channel_world(world: World) -> World:
    """The referral world's organisation receives safe-channel reports from Cúcuta."""
    world.red.areas.add(Place.objects.get(pcode=CUCUTA))
    channel.channel_setup(actor=world.staff["coordinator"], organization=world.red)
    return world


def file_and_sign_in(live_server: Any) -> tuple[Browser, Report]:
    """She files a report of sexual assault (persecuted, WhatsApp contact) and signs in with her receipt."""
    survivor = Browser(live_server.url)
    sent = file_report(survivor)
    assert sent.status == 200, sent.text[:2000]
    login = survivor.request("/es/channel/login/", {"receipt": receipt_of(sent)}, referer=False)
    assert login.status == 302
    return survivor, Report.objects.get()


def share(survivor: Browser, *kinds: str) -> Response:
    return survivor.request("/es/channel/inbox/sharing/", [("sharing", kind) for kind in kinds], referer=False)


def send_from_report(
    staff: Browser, world: World, report: Report, shared: tuple[str, ...] = ("incident_summary", "contact")
) -> Response:
    fields = [
        ("service_type", ServiceType.HEALTH),
        ("service", str(world.hospital.uuid)),
        ("focal_point", str(world.focal.uuid)),
        ("priority", Priority.NORMAL),
        ("reason", "Atención en salud tras agresión sexual."),
        *[("shared_fields", code) for code in shared],
    ]
    return post_form(staff, f"/staff/referrals/new/report/{report.uuid}/?type=health", fields)


def stored_copies() -> list[str]:
    with connection.cursor() as cursor:
        cursor.execute("SELECT shared_copy FROM referrals_referral")
        return [row[0] for row in cursor.fetchall()]


def test_the_channel_offers_one_consent_per_referral_type() -> None:
    assert {code for code, _ in SHARING_CHOICES} == set(channel.SHARING_KINDS)
    assert set(channel.SHARING_KINDS) == {k for k in ConsentKind.values if k.startswith("share_")}


def test_referral_from_a_report_with_her_consent_and_erased_on_withdrawal(
    live_server: Any, channel_world: World
) -> None:
    world = channel_world
    # The caseworker signs in first, so the report key is sealed to her when the report arrives.
    staff = signed_in(live_server, world.staff["caseworker"])
    survivor, report = file_and_sign_in(live_server)
    assert report.organization == world.red
    page = staff.get(f"/staff/channel/reports/{report.uuid}/")
    assert page.status == 200 and f"/staff/referrals/new/report/{report.uuid}/" in page.text

    # Without her consent given in the channel: refused, nothing stored.
    form = staff.get(f"/staff/referrals/new/report/{report.uuid}/?type=health")
    assert form.status == 200 and "Ella lo da en el canal" in form.text
    refused = send_from_report(staff, world, report)
    assert refused.status == 400 and "No se envió nada" in refused.text
    assert not Referral.objects.exists()

    # She agrees, in the channel, to be referred for health care.
    inbox = survivor.get("/es/channel/inbox/")
    assert inbox.status == 200 and 'id="sharing"' in inbox.text
    assert share(survivor, ConsentKind.SHARE_HEALTH, "not-a-kind").status == 400  # a forged choice changes nothing
    assert channel.sharing_consents(report) == set()
    assert share(survivor, ConsentKind.SHARE_HEALTH).status == 302
    assert channel.sharing_consents(report) == {ConsentKind.SHARE_HEALTH}
    assert AuditEntry.objects.filter(action="safechannel.sharing_consent", object_id=str(report.uuid)).exists()

    # A report can share nothing it does not hold: a name is refused by the form.
    named = send_from_report(staff, world, report, shared=("full_name", "contact"))
    assert named.status == 400 and not Referral.objects.exists()
    sent = send_from_report(staff, world, report)
    assert sent.status == 302, sent.text[:3000]
    referral = Referral.objects.get()
    assert referral.report == report and referral.case is None
    # Sexual assault reported minutes ago: the PEP window may be open, so the health referral is an emergency.
    assert referral.priority == Priority.EMERGENCY
    assert referral.shared_fields == ["contact", "incident_summary"]
    assert all(PHONE not in value and "Cúcuta" not in value for value in stored_copies())
    assert AuditEntry.objects.filter(action="referral.send", object_id=str(referral.uuid)).exists()

    # The focal point of the hospital finds it and reads what she agreed to share (audited).
    focal = signed_in(live_server, world.staff["focal"])
    received = focal.get("/staff/referrals/inbox/")
    assert received.status == 200 and referral.subject_code in received.text
    detail = focal.get(f"/staff/referrals/{referral.uuid}/")
    assert detail.status == 200 and PHONE in detail.text and "Agresión sexual · Cúcuta" in detail.text
    assert "Marfil-4471" not in detail.text  # her own words stay in the report
    printed = focal.get(f"/staff/referrals/{referral.uuid}/print/")
    assert printed.status == 200 and PHONE in printed.text and referral.subject_code in printed.text
    assert AuditEntry.objects.filter(action="referral.read", object_id=str(referral.uuid)).count() == 2
    assert post_form(focal, f"/staff/referrals/{referral.uuid}/", [("to_status", "received")]).status == 302

    # She sees where she was referred, and its status.
    mine = survivor.get("/es/channel/inbox/")
    assert world.hospital.name in mine.text and "Recibida" in mine.text

    # She withdraws: the copy is erased at once, and the focal point sees nothing of her.
    assert share(survivor).status == 302
    assert stored_copies() == [""]
    after = focal.get(f"/staff/referrals/{referral.uuid}/")
    assert after.status == 200 and PHONE not in after.text and "Agresión sexual" not in after.text
    assert "retirado" in after.text
    assert PHONE not in focal.get(f"/staff/referrals/{referral.uuid}/print/").text
    entry = AuditEntry.objects.filter(action="safechannel.sharing_consent").order_by("-pk").first()
    assert entry is not None and entry.detail["referral_copies_erased"] == 1
    # Agreeing again later does not bring the erased copy back.
    share(survivor, ConsentKind.SHARE_HEALTH)
    again = focal.get(f"/staff/referrals/{referral.uuid}/")
    assert PHONE not in again.text and "Ninguno" in again.text
    assert SharingConsent.objects.filter(report=report).count() == 2  # the history stays: given, withdrawn, given


def test_another_organisation_gets_404(live_server: Any, channel_world: World) -> None:
    world = channel_world
    staff = signed_in(live_server, world.staff["caseworker"])
    survivor, report = file_and_sign_in(live_server)
    share(survivor, ConsentKind.SHARE_HEALTH)
    assert send_from_report(staff, world, report).status == 302
    referral = Referral.objects.get()
    outsider = signed_in(live_server, world.staff["casa_coordinator"])
    for path in (
        f"/staff/referrals/new/report/{report.uuid}/?type=health",
        f"/staff/referrals/{referral.uuid}/",
        f"/staff/referrals/{referral.uuid}/print/",
    ):
        assert outsider.get(path).status == 404, path
    # A focal point of another service does not see it either.
    assert signed_in(live_server, world.staff["other_focal"]).get(f"/staff/referrals/{referral.uuid}/").status == 404


def test_a_case_opened_from_the_report_follows_her_channel_consents(live_server: Any, channel_world: World) -> None:
    world = channel_world
    signed_in(live_server, world.staff["caseworker"])
    survivor, report = file_and_sign_in(live_server)
    share(survivor, ConsentKind.SHARE_LEGAL)
    assert survivor.request("/es/channel/inbox/case-consent/", {"consent": "give"}, referer=False).status == 302
    report.refresh_from_db()
    case = case_services.case_open(
        actor=world.staff["caseworker"],
        organization=world.red,
        intake=case_services.Intake(consents=[ConsentKind.SERVICES], consent_method="safe_channel"),
        source_report=report,
    )
    # Given in the channel after the case exists: recorded on the case, "through the safe channel".
    share(survivor, ConsentKind.SHARE_LEGAL, ConsentKind.SHARE_PSYCHOSOCIAL)
    consent = Consent.objects.get(case=case, kind=ConsentKind.SHARE_PSYCHOSOCIAL)
    assert consent.method == ConsentMethod.SAFE_CHANNEL and consent.recorded_by is None
    assert case_services.has_consent(case, ConsentKind.SHARE_PSYCHOSOCIAL)
    # Withdrawn in the channel: withdrawn on the case at once.
    share(survivor, ConsentKind.SHARE_LEGAL)
    assert not case_services.has_consent(case, ConsentKind.SHARE_PSYCHOSOCIAL)

    # Withdrawn on the case (she told her caseworker): withdrawn in the channel, and the referral copies erased.
    share(survivor, ConsentKind.SHARE_LEGAL, ConsentKind.SHARE_HEALTH)
    referral = referral_services.referral_send_from_report(
        actor=world.staff["caseworker"], report=report, service=world.hospital, focal_point=None,
        content={"gbv_type": "sexual_assault", "contact_how": "whatsapp", "contact_details": PHONE},
        service_type=ServiceType.HEALTH, shared_fields=["contact"], priority=Priority.NORMAL, reason="",
    )  # fmt: skip
    assert stored_copies() != [""]
    case_services.consent_withdraw(actor=world.staff["caseworker"], case=case, kind=ConsentKind.SHARE_HEALTH)
    assert channel.sharing_consents(report) == {ConsentKind.SHARE_LEGAL}
    assert stored_copies() == [""] and not referral_services.shared_view(referral).consent_active
    entry = AuditEntry.objects.filter(action="safechannel.sharing_consent").order_by("-pk").first()
    assert entry is not None and entry.detail["from_case"] is True and entry.detail["referral_copies_erased"] == 1

    # She withdraws her agreement to a case in the channel: her consent to services is withdrawn on the case.
    assert survivor.request("/es/channel/inbox/case-consent/", {"consent": "withdraw"}, referer=False).status == 302
    assert not case_services.has_consent(case, ConsentKind.SERVICES)


def test_the_intake_from_a_report_starts_with_her_channel_consents(live_server: Any, channel_world: World) -> None:
    world = channel_world
    staff = signed_in(live_server, world.staff["caseworker"])
    survivor, report = file_and_sign_in(live_server)
    share(survivor, ConsentKind.SHARE_HEALTH)
    assert survivor.request("/es/channel/inbox/case-consent/", {"consent": "give"}, referer=False).status == 302
    intake = staff.get(f"/staff/cases/new/?report={report.uuid}")
    assert intake.status == 200
    checked = set(re.findall(r'name="consents" value="([a-z_]+)"[^>]*checked', intake.text))
    assert checked == {ConsentKind.SERVICES, ConsentKind.SHARE_HEALTH}
