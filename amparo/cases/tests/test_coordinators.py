"""Issue 13, item 8: a coordinator changes a member's role or deactivates her (audited, her sessions ended at
once), sees the caseload per person and the closure queue with the checklist answers and who asked."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta
from typing import Any

import pytest
from django.contrib.sessions.models import Session
from django.test import Client
from django.utils import timezone

from amparo.accounts.models import Membership
from amparo.accounts.roles import Role
from amparo.audit.models import AuditEntry
from amparo.cases import casework_services, services
from amparo.cases.models import Case, CaseTransfer

from .conftest import CaseWorld, open_case

pytestmark = pytest.mark.django_db


@pytest.fixture
def client_for(verified_client_for: Callable[..., Client]) -> Callable[..., Client]:
    def make(user: object) -> Client:
        return verified_client_for(user, HTTP_ACCEPT_LANGUAGE="en")

    return make


def _membership(cw: CaseWorld, who: str) -> Membership:
    return Membership.objects.get(user=cw.staff[who], organization=cw.org)


def test_deactivating_a_member_ends_her_sessions_at_once(
    case_world: CaseWorld, client_for: Callable[..., Client]
) -> None:
    case = open_case(case_world)
    worker = client_for(case_world.staff["caseworker"])
    assert worker.get(f"/staff/cases/{case.uuid}/").status_code == 200
    coordinator = client_for(case_world.staff["coordinator"])
    membership = _membership(case_world, "caseworker")
    done = coordinator.post(f"/staff/members/{membership.pk}/", {"action": "deactivate"})
    assert done.status_code == 302
    membership.refresh_from_db()
    assert not membership.active
    # Her open page stops working on the next click: the session is gone, she is sent to sign in.
    again = worker.get(f"/staff/cases/{case.uuid}/")
    assert again.status_code == 302 and "/staff/login/" in again["Location"]
    entry = AuditEntry.objects.get(action="membership.deactivate")
    assert entry.detail == {"role": "caseworker", "sessions_ended": 1}
    assert entry.actor_id == case_world.staff["coordinator"].pk
    # The coordinator's own session is untouched; she cannot deactivate herself.
    own = _membership(case_world, "coordinator")
    coordinator.post(f"/staff/members/{own.pk}/", {"action": "deactivate"})
    own.refresh_from_db()
    assert own.active
    assert coordinator.get("/staff/cases/").status_code == 200


def test_changing_a_role_is_audited_and_ends_her_sessions(
    case_world: CaseWorld, client_for: Callable[..., Client]
) -> None:
    lawyer = client_for(case_world.staff["lawyer"])
    assert lawyer.get("/staff/cases/").status_code == 200
    membership = _membership(case_world, "lawyer")
    coordinator = client_for(case_world.staff["coordinator"])
    assert (
        coordinator.post(f"/staff/members/{membership.pk}/", {"action": "role", "role": "caseworker"}).status_code
        == 302
    )
    membership.refresh_from_db()
    assert membership.role == Role.CASEWORKER
    assert lawyer.get("/staff/cases/").status_code == 302  # signed out
    entry = AuditEntry.objects.get(action="membership.role")
    assert entry.detail == {"from": "legal_advisor", "to": "caseworker", "sessions_ended": 1}
    # An unknown role or a missing action: a 400 page, nothing changed.
    assert coordinator.post(f"/staff/members/{membership.pk}/", {"action": "role", "role": "boss"}).status_code == 400
    assert coordinator.post(f"/staff/members/{membership.pk}/", {}).status_code == 400
    membership.refresh_from_db()
    assert membership.role == Role.CASEWORKER


def test_another_organisations_coordinator_cannot_touch_a_member(
    case_world: CaseWorld, client_for: Callable[..., Client]
) -> None:
    membership = _membership(case_world, "caseworker")
    client_for(case_world.staff["caseworker"])  # she has a session
    sessions = Session.objects.count()
    outsider = client_for(case_world.staff["outsider_coord"])
    assert outsider.post(f"/staff/members/{membership.pk}/", {"action": "deactivate"}).status_code == 404
    membership.refresh_from_db()
    assert membership.active and Session.objects.count() == sessions + 1  # only the outsider's own session added
    # Nor a caseworker of the same organisation.
    worker = client_for(case_world.staff["caseworker2"])
    assert worker.post(f"/staff/members/{membership.pk}/", {"action": "deactivate"}).status_code == 404


def test_caseload_per_person(case_world: CaseWorld, client_for: Callable[..., Client]) -> None:
    first = open_case(case_world)
    open_case(case_world)
    open_case(case_world, by="caseworker2")
    services.case_assign(
        actor=case_world.staff["coordinator"],
        case=first,
        caseworkers=[case_world.staff["caseworker"]],
        supervisor=case_world.staff["coordinator"],
    )
    services.risk_assess(
        actor=case_world.staff["caseworker"],
        case=first,
        persecution="yes",
        indicators=["debt_bondage", "document_retention", "movement_restricted"],
        safety_plan="",
    )
    services.action_add(
        actor=case_world.staff["caseworker"],
        case=first,
        description="Llamar",
        due_on=timezone.localdate() - timedelta(days=2),
        assigned_to=case_world.staff["caseworker"],
    )
    from amparo.cases.selectors import caseload

    rows = {r.user.email: r for r in caseload(case_world.org, today=timezone.localdate())}
    mine = rows["gestora@cases.example.org"]
    assert (mine.assigned, mine.supervised, mine.overdue_actions) == (2, 0, 1)
    assert mine.high_risk == (1 if first.risk_assessments.get().level == "high" else 0)
    assert rows["gestora2@cases.example.org"].assigned == 1
    assert rows["coord@cases.example.org"].supervised == 1
    assert "focal@cases.example.org" not in rows  # no case role
    page = client_for(case_world.staff["coordinator"]).get(f"/staff/cases/orgs/{case_world.org.uuid}/caseload/")
    assert page.status_code == 200 and "gestora2" in page.content.decode()
    assert AuditEntry.objects.filter(action="case.caseload.read").count() == 1
    outsider = client_for(case_world.staff["outsider_coord"])
    assert outsider.get(f"/staff/cases/orgs/{case_world.org.uuid}/caseload/").status_code == 404


def test_the_closure_queue_shows_the_checklist_and_who_asked(
    case_world: CaseWorld, client_for: Callable[..., Client]
) -> None:
    case = open_case(case_world)
    waiting = open_case(case_world)
    services.closure_request(
        actor=case_world.staff["caseworker"], case=waiting, checklist=dict.fromkeys(services.CLOSURE_CHECKLIST, True)
    )
    page = client_for(case_world.staff["coordinator"]).get(f"/staff/cases/orgs/{case_world.org.uuid}/closures/")
    html = page.content.decode()
    assert page.status_code == 200 and waiting.code in html and case.code not in html
    assert "gestora" in html  # who asked
    assert "The safety plan was reviewed with her" in html  # the checklist answers
    entry = AuditEntry.objects.get(action="case.closures.read")
    assert entry.detail["codes"] == [waiting.code]
    assert (
        client_for(case_world.staff["caseworker"]).get(f"/staff/cases/orgs/{case_world.org.uuid}/closures/").status_code
        == 404
    )


# --- Transfer to another organisation -----------------------------------------------------------------------------


def _propose(cw: CaseWorld, client: Client, case: Case, **extra: object) -> Any:
    data: dict[str, object] = {
        "to_organization": cw.other.pk,
        "consent_method": "written",
        "consent": "on",
        "travels": ["identity", "profile", "incidents"],
        "reason": "Se muda a otra ciudad.",
    }
    return client.post(f"/staff/cases/{case.uuid}/transfer/", data | extra)


def test_a_transfer_with_her_consent_carries_only_what_was_chosen(
    case_world: CaseWorld, client_for: Callable[..., Client]
) -> None:
    case = open_case(case_world, consents=("services", "share_health"))
    now = timezone.now()
    services.incident_record(
        actor=case_world.staff["caseworker"],
        case=case,
        occurred_at=now - timedelta(days=3),
        time_known=True,
        first_reported_at=now,
        place=case_world.places["CO54001"],
        answers={"penetration": True},
        context_tags=[],
        perpetrator_types=["client"],
        perpetrator_count=1,
        description="Descripción-Ónix-3310",
    )
    services.risk_assess(
        actor=case_world.staff["caseworker"], case=case, persecution="yes", indicators=[], safety_plan="Plan-Coral-8890"
    )
    casework_services.case_note_add(
        actor=case_world.staff["caseworker"], case=case, noted_on=timezone.localdate(), text="Nota-Ámbar-5521"
    )
    sender = client_for(case_world.staff["coordinator"])
    # Without her consent ticked: the form says so, nothing proposed.
    refused = _propose(case_world, sender, case, consent="")
    assert refused.status_code == 400 and not CaseTransfer.objects.exists()
    assert _propose(case_world, sender, case).status_code == 302
    transfer = CaseTransfer.objects.get()
    assert transfer.status == "pending" and transfer.travels == ["identity", "profile", "incidents"]
    # Audited on both sides at once.
    assert AuditEntry.objects.filter(action="case.transfer.request", organization_id=case_world.org.pk).count() == 1
    assert AuditEntry.objects.filter(action="case.transfer.incoming", organization_id=case_world.other.pk).count() == 1
    # A second proposal while one waits is refused.
    assert _propose(case_world, sender, case).status_code == 400

    receiver = client_for(case_world.staff["outsider_coord"])
    listing = receiver.get("/staff/cases/transfers/").content.decode()
    assert "Red Violeta" in listing and "Valentina" not in listing and case.code not in listing
    accepted = receiver.post(f"/staff/cases/transfers/{transfer.uuid}/", {"decision": "accept"})
    assert accepted.status_code == 302
    transfer.refresh_from_db()
    new_case = transfer.new_case
    assert transfer.status == "accepted" and new_case is not None
    assert new_case.organization == case_world.other and new_case.code != case.code
    # What travelled...
    assert new_case.full_name == case.full_name and new_case.document == case.document
    assert new_case.migratory_status == "irregular" and new_case.place == case.place
    assert new_case.incidents.count() == 1 and new_case.incidents.get().description == ""
    assert set(new_case.consents.values_list("kind", "method")) == {("services", "written")}
    # ...and what stayed: her account, notes, the safety plan, the risk (not chosen), her sharing consents.
    assert new_case.narrative == "" and not new_case.notes.exists() and not new_case.risk_assessments.exists()
    # Found by the receiving organisation's search (indexed under its own keys), not by the sender's any more.
    from amparo.cases.search import search_cases

    assert [c.pk for c in search_cases(Case.objects.filter(organization=case_world.other), "valentina").cases] == [
        new_case.pk
    ]
    case.refresh_from_db()
    assert case.status == "closed" and case.closure_checklist == {"transferred": True}
    assert case.narrative.startswith("Relato")  # stays with the sending organisation
    for action, org in (("case.transfer.accept", case_world.org), ("case.transfer.receive", case_world.other)):
        assert AuditEntry.objects.filter(action=action, organization_id=org.pk).count() == 1, action
    # Each side sees its own case only.
    assert receiver.get(f"/staff/cases/{case.uuid}/").status_code == 404
    assert sender.get(f"/staff/cases/{new_case.uuid}/").status_code == 404
    assert receiver.get(f"/staff/cases/{new_case.uuid}/").status_code == 200
    # Answered once only: sent again, it shows the case the answer opened (test_resubmission.py).
    again = receiver.post(f"/staff/cases/transfers/{transfer.uuid}/", {"decision": "decline"})
    assert again.status_code == 302 and str(new_case.uuid) in again["Location"]
    transfer.refresh_from_db()
    assert transfer.status == "accepted" and Case.objects.filter(organization=case_world.other).count() == 1


def test_a_declined_transfer_leaves_the_case_as_it_was(
    case_world: CaseWorld, client_for: Callable[..., Client]
) -> None:
    case = open_case(case_world)
    assert _propose(case_world, client_for(case_world.staff["coordinator"]), case).status_code == 302
    transfer = CaseTransfer.objects.get()
    # Neither the sender, nor a caseworker of the receiving organisation may answer it.
    assert (
        client_for(case_world.staff["coordinator"])
        .post(f"/staff/cases/transfers/{transfer.uuid}/", {"decision": "accept"})
        .status_code
        == 404
    )
    assert (
        client_for(case_world.staff["outsider"])
        .post(f"/staff/cases/transfers/{transfer.uuid}/", {"decision": "accept"})
        .status_code
        == 404
    )
    receiver = client_for(case_world.staff["outsider_coord"])
    assert receiver.post(f"/staff/cases/transfers/{transfer.uuid}/", {"decision": "maybe"}).status_code == 400
    assert receiver.post(f"/staff/cases/transfers/{transfer.uuid}/", {"decision": "decline"}).status_code == 302
    transfer.refresh_from_db()
    case.refresh_from_db()
    assert transfer.status == "declined" and transfer.new_case is None and case.status == "open"
    assert Case.objects.filter(organization=case_world.other).count() == 0
    assert AuditEntry.objects.filter(action="case.transfer.decline").count() == 2  # both sides


def test_only_the_cases_coordinator_proposes_a_transfer(
    case_world: CaseWorld, client_for: Callable[..., Client]
) -> None:
    case = open_case(case_world)
    assert client_for(case_world.staff["caseworker"]).get(f"/staff/cases/{case.uuid}/transfer/").status_code == 404
    assert client_for(case_world.staff["outsider_coord"]).get(f"/staff/cases/{case.uuid}/transfer/").status_code == 404
    page = client_for(case_world.staff["coordinator"]).get(f"/staff/cases/{case.uuid}/transfer/")
    assert page.status_code == 200 and "Always stays here" in page.content.decode()
    # Her own organisation is not offered, and forging it is refused by the form.
    assert (
        f'value="{case_world.org.pk}"'
        not in page.content.decode().split('name="to_organization"')[1].split("</select>")[0]
    )
    forged = _propose(case_world, client_for(case_world.staff["coordinator"]), case, to_organization=case_world.org.pk)
    assert forged.status_code == 400 and not CaseTransfer.objects.exists()
