"""Issue 13, item 8: a coordinator changes a member's role or deactivates her (audited, her sessions ended at
once), sees the caseload per person and the closure queue with the checklist answers and who asked."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta

import pytest
from django.contrib.sessions.models import Session
from django.test import Client
from django.utils import timezone

from amparo.accounts.models import Membership
from amparo.accounts.roles import Role
from amparo.audit.models import AuditEntry
from amparo.cases import services

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
