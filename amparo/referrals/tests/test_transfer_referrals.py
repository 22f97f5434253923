"""A case transferred to another organisation leaves no referral dangling (cases.signals.case_transferred): when the
receiving organisation accepts, every referral of the case not finished yet is cancelled, since it was sent under
her consents to the sending organisation, which do not travel. The focal point reads why and no longer sees what
she shared; each cancellation is audited in the sending organisation's trail, the transfer on both sides; the
receiving organisation is told what was open, so that it can refer her again. Declined, nothing changes."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from django.test import Client

from amparo.audit.models import AuditEntry
from amparo.cases import casework_services
from amparo.cases import services as case_services
from amparo.cases.models import CaseTransfer
from amparo.cases.vocab import ConsentKind
from amparo.referrals import services
from amparo.referrals.models import Priority, Referral, ReferralEvent, ServiceType

from .conftest import SURVIVOR_NAME, World

pytestmark = pytest.mark.django_db

REASON = "Cancelled: her case was transferred to another organisation, which may refer her again"


def _refer(world: World, *, focal: bool = True, service_type: str = ServiceType.HEALTH) -> Referral:
    return services.referral_send(
        actor=world.staff["caseworker"], case=world.case,
        service=world.hospital if service_type == ServiceType.HEALTH else world.psychology,
        focal_point=(world.focal if service_type == ServiceType.HEALTH else world.other_focal) if focal else None,
        service_type=service_type, shared_fields=["full_name", "age_band"], priority=Priority.NORMAL, reason="",
    )  # fmt: skip


def _move(world: World, referral: Referral, *statuses: str) -> None:
    for status in statuses:
        services.referral_transition(
            actor=world.staff["focal"], referral=referral, to_status=status, sender=False, receiver=True,
            decline_reason="service_unavailable" if status == "declined" else "",
        )  # fmt: skip


def _propose(world: World) -> CaseTransfer:
    return casework_services.case_transfer_request(
        actor=world.staff["coordinator"], case=world.case, to_organization=world.casa, consent_method="written",
        travels=["identity", "profile"], reason="Se muda a otra ciudad.",
    )  # fmt: skip


def test_an_accepted_transfer_cancels_the_open_referrals_and_tells_both_sides(
    world: World, verified_client_for: Callable[..., Client]
) -> None:
    case_services.consent_record(
        actor=world.staff["caseworker"], case=world.case, kind=ConsentKind.SHARE_PSYCHOSOCIAL, method="verbal"
    )
    accepted = _refer(world)
    _move(world, accepted, "received", "accepted")
    waiting = _refer(world, focal=False)
    attended = _refer(world, service_type=ServiceType.PSYCHOSOCIAL)
    services.referral_transition(
        actor=world.staff["other_focal"], referral=attended, to_status="received", sender=False, receiver=True
    )
    for status in ("accepted", "attended"):
        services.referral_transition(
            actor=world.staff["other_focal"], referral=attended, to_status=status, sender=False, receiver=True
        )
    declined = _refer(world)
    _move(world, declined, "received", "declined")
    unfinished = {accepted.pk: "accepted", waiting.pk: "sent", attended.pk: "attended"}

    # Before proposing, the sending coordinator is told what an acceptance would cancel.
    sender = verified_client_for(world.staff["coordinator"], HTTP_ACCEPT_LANGUAGE="en")
    page = sender.get(f"/staff/cases/{world.case.uuid}/transfer/").content.decode()
    assert "these 3 referrals are cancelled" in page and world.psychology.name in page
    transfer = _propose(world)
    assert set(Referral.objects.filter(status="closed").values_list("pk", flat=True)) == set()  # not yet

    receiver = verified_client_for(world.staff["casa_coordinator"], HTTP_ACCEPT_LANGUAGE="en")
    assert receiver.post(f"/staff/cases/transfers/{transfer.uuid}/", {"decision": "accept"}).status_code == 302
    transfer.refresh_from_db()
    new_case = transfer.new_case
    assert new_case is not None

    # Every unfinished referral is closed, with its reason and an event; the declined one stays as it was.
    for referral in Referral.objects.filter(pk__in=unfinished):
        assert (referral.status, referral.close_reason) == ("closed", "case_transferred")
        assert ReferralEvent.objects.filter(referral=referral).last().status == "closed"  # type: ignore[union-attr]
    assert Referral.objects.get(pk=declined.pk).status == "declined"
    assert Referral.objects.get(pk=declined.pk).close_reason == ""

    # Audited: each cancellation in the sending organisation's trail, the transfer on both sides with the count.
    cancelled = AuditEntry.objects.filter(action="referral.transition", detail__reason="case_transferred")
    assert {e.object_id for e in cancelled} == {str(Referral.objects.get(pk=pk).uuid) for pk in unfinished}
    assert {e.organization_id for e in cancelled} == {world.red.pk}
    assert all(e.detail["transfer"] == str(transfer.uuid) for e in cancelled)
    for action, organization in (("case.transfer.accept", world.red), ("case.transfer.receive", world.casa)):
        entry = AuditEntry.objects.get(action=action)
        assert entry.organization_id == organization.pk and entry.detail["referrals_cancelled"] == 3, action

    # The focal point reads why, and no longer sees what she shared.
    focal = verified_client_for(world.staff["focal"], HTTP_ACCEPT_LANGUAGE="en")
    detail = focal.get(f"/staff/referrals/{accepted.uuid}/").content.decode()
    assert REASON in detail and "This referral is finished" in detail and SURVIVOR_NAME not in detail
    assert REASON in focal.get(f"/staff/referrals/{accepted.uuid}/print/").content.decode()
    assert REASON in focal.get("/staff/referrals/inbox/?finished=1").content.decode()
    # The sending organisation reads it on its (now closed) case.
    closed_case = sender.get(f"/staff/cases/{world.case.uuid}/").content.decode()
    assert closed_case.count(REASON) == 3

    # The receiving organisation is told what was open: type, service, its organisation, status, date sent.
    assert [(item["type"], item["status"]) for item in transfer.open_referrals] == [
        ("health", "accepted"), ("health", "sent"), ("psychosocial", "attended")
    ]  # fmt: skip
    assert set(transfer.open_referrals[0]) == {"type", "service", "organization", "status", "sent_on"}
    received = receiver.get(f"/staff/cases/{new_case.uuid}/").content.decode()
    assert "Transferred from Red Violeta (test)" in received
    assert received.count(world.hospital.name) == 2 and world.psychology.name in received
    assert "Doctora Punto Focal" not in received  # who the referral named stays behind
    assert not new_case.referrals.exists()  # nothing is sent anew without her consents there


def test_a_declined_transfer_leaves_the_referrals_as_they_were(
    world: World, verified_client_for: Callable[..., Client]
) -> None:
    referral = _refer(world)
    transfer = _propose(world)
    receiver = verified_client_for(world.staff["casa_coordinator"], HTTP_ACCEPT_LANGUAGE="en")
    assert receiver.post(f"/staff/cases/transfers/{transfer.uuid}/", {"decision": "decline"}).status_code == 302
    referral.refresh_from_db()
    assert (referral.status, referral.close_reason) == ("sent", "")
    assert not AuditEntry.objects.filter(action="referral.transition").exists()
    transfer.refresh_from_db()
    assert transfer.open_referrals == []
