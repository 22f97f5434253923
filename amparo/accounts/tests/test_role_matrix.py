"""Every staff URL against every role (and anonymous): the expected answer for each cell.

A staff URL that is not in EXPECTED fails the suite, so no page can be added without deciding who may open it; a page
that also takes a POST (a form) has that POST in POSTS, or the suite fails too.
Object URLs are tried with objects of the user's own organisation; test_cross_organisation checks the rest.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta

import pytest
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver, reverse
from django.utils import timezone

from amparo.access import STAFF_RULES
from amparo.accounts.models import Invitation, Membership, Organization, User
from amparo.accounts.roles import CASE_ROLES, PLATFORM_ADMIN, REPORT_RECIPIENT_ROLES, ROLES_REQUIRING_2FA, Role
from amparo.cases.models import Case as CaseModel
from amparo.directory.models import FocalPoint, Place, Sensitisation, Service
from amparo.referrals.models import Referral
from amparo.safechannel.models import Report

from .matrix_case import ALL_ROLES, ANON, OPEN, Case, rule_modules

pytestmark = pytest.mark.django_db


def _org(world: dict[str, object]) -> list[object]:
    return [world["org"].uuid]  # type: ignore[attr-defined]


def _case(world: dict[str, object]) -> list[object]:
    return [world["case"].uuid]  # type: ignore[attr-defined]


def _legal_matter(world: dict[str, object]) -> list[object]:
    return [world["legal_matter"].uuid]  # type: ignore[attr-defined]


def _referral(world: dict[str, object]) -> list[object]:
    return [world["referral"].uuid]  # type: ignore[attr-defined]


EXPECTED: dict[str, Case] = {
    # The staff's day (amparo/today): every role has a home, notifications and e-mail preferences; the language
    # switch is open like the sign-in page it also serves. Marking read with no id marks all of one's own: 302.
    "today:home": Case(frozenset(ALL_ROLES)),
    "today:notifications": Case(frozenset(ALL_ROLES)),
    "today:notifications_read": Case(frozenset(ALL_ROLES), method="post", ok=302),
    "today:preferences": Case(frozenset(ALL_ROLES)),
    "today:set_language": Case(OPEN, method="post"),
    "accounts:session": Case(frozenset(ALL_ROLES)),
    "accounts:members": Case(frozenset({Role.COORDINATOR, PLATFORM_ADMIN}), _org),
    "accounts:revoke_invitation": Case(
        frozenset({Role.COORDINATOR, PLATFORM_ADMIN}),
        lambda w: [w["invitation"].pk],  # type: ignore[attr-defined]
        "post",
        302,
    ),
    "audit:trail": Case(frozenset({Role.COORDINATOR, PLATFORM_ADMIN}), _org),
    "directory_staff:gaps": Case(frozenset({Role.COORDINATOR, PLATFORM_ADMIN})),
    "directory_staff:verify_list": Case(frozenset({Role.FOCAL_POINT, Role.COORDINATOR, PLATFORM_ADMIN})),
    "directory_staff:focal_point_requests": Case(frozenset({Role.COORDINATOR, PLATFORM_ADMIN})),
    # No decision in the POST: the page says so (400) to those who may decide.
    "directory_staff:focal_point_decide": Case(
        frozenset({Role.COORDINATOR, PLATFORM_ADMIN}),
        lambda w: [w["pending_focal_point"].uuid],  # type: ignore[attr-defined]
        "post",
        400,
    ),
    "directory_staff:verify_service": Case(
        frozenset({Role.FOCAL_POINT, Role.COORDINATOR, PLATFORM_ADMIN}),
        lambda w: [w["service"].uuid],  # type: ignore[attr-defined]
    ),
    "safechannel_staff:inbox": Case(REPORT_RECIPIENT_ROLES),
    "safechannel_staff:report": Case(REPORT_RECIPIENT_ROLES, lambda w: [w["report"].uuid]),  # type: ignore[attr-defined]
    "safechannel_staff:attachment": Case(
        REPORT_RECIPIENT_ROLES,
        lambda w: [w["report"].uuid, w["attachment"].uuid],  # type: ignore[attr-defined]
    ),
    "safechannel_staff:settings": Case(frozenset({Role.COORDINATOR, PLATFORM_ADMIN}), _org),
    # Cases: need to know (assigned caseworker and lawyer, coordinator of the organisation); POSTs without a valid
    # form answer 400 to those allowed.
    "cases:list": Case(CASE_ROLES),
    "cases:new": Case(CASE_ROLES),
    "cases:follow_ups": Case(CASE_ROLES),
    "cases:detail": Case(CASE_ROLES, _case),
    "cases:edit": Case(CASE_ROLES, _case),
    "cases:team": Case(frozenset({Role.COORDINATOR}), _case),
    "cases:child_update": Case(
        CASE_ROLES,
        lambda w: [w["case"].uuid, w["child"].code],  # type: ignore[attr-defined]
    ),
    "cases:incident_new": Case(CASE_ROLES, _case),
    "cases:incident_edit": Case(
        CASE_ROLES,
        lambda w: [w["case"].uuid, w["incident"].pk],  # type: ignore[attr-defined]
    ),
    "cases:risk": Case(CASE_ROLES, _case),
    "cases:consent": Case(CASE_ROLES, _case, "post", 400),
    "cases:action": Case(CASE_ROLES, _case, "post", 400),
    "cases:child": Case(CASE_ROLES, _case, "post", 400),
    "cases:closure": Case(CASE_ROLES, _case, "post", 400),
    # Legal aid on the matrix case (its caseworker, its legal advisor, the coordinator); Ombudsman monitoring.
    "legal:matter_new": Case(CASE_ROLES, _case),
    "legal:matter": Case(CASE_ROLES, _legal_matter),
    "legal:event_edit": Case(
        CASE_ROLES,
        lambda w: [w["legal_matter"].uuid, w["legal_event"].pk],  # type: ignore[attr-defined]
    ),
    "legal:upcoming": Case(CASE_ROLES),
    "legal:document_upload": Case(CASE_ROLES, _legal_matter, "post", 302),  # no file: back to the page, with a message
    "legal:document": Case(
        CASE_ROLES,
        lambda w: [w["legal_matter"].uuid, w["legal_document"].uuid],  # type: ignore[attr-defined]
    ),
    # A caseworker's day (issue 13, items 2 and 6): search (a POST without a query: 400), notes and files (a note
    # without text: 400; an upload without a file: back to the page with a message), the printable summary.
    "cases:search": Case(CASE_ROLES),
    "cases:notes": Case(CASE_ROLES, _case),
    "cases:note_add": Case(CASE_ROLES, _case, "post", 400),
    "cases:file_upload": Case(CASE_ROLES, _case, "post", 302),
    "cases:file": Case(
        CASE_ROLES,
        lambda w: [w["case"].uuid, w["case_file"].uuid],  # type: ignore[attr-defined]
    ),
    "cases:summary": Case(CASE_ROLES, _case),
    # Coordinators (issue 13, item 8): caseload and closure queue of their organisation; member changes (a POST
    # without an action: 400).
    "cases:caseload": Case(frozenset({Role.COORDINATOR}), _org),
    "cases:closures": Case(frozenset({Role.COORDINATOR}), _org),
    # Transfers: proposed by the case's coordinator; answered by a coordinator of the receiving organisation (a
    # POST without a decision: 400).
    "cases:transfer": Case(frozenset({Role.COORDINATOR}), _case),
    "cases:transfers": Case(frozenset({Role.COORDINATOR})),
    "cases:transfer_decide": Case(
        frozenset({Role.COORDINATOR}),
        lambda w: [w["transfer"].uuid],  # type: ignore[attr-defined]
        "post",
        400,
    ),
    "accounts:member_update": Case(
        frozenset({Role.COORDINATOR, PLATFORM_ADMIN}),
        lambda w: [w["membership"].pk],  # type: ignore[attr-defined]
        "post",
        400,
    ),
    "monitoring:alerts": Case(frozenset({Role.MONITOR})),
    # Referrals: sent from a case by its need-to-know side; received by the focal point covering the service.
    "referrals:new": Case(CASE_ROLES, _case),
    # From a safe-channel report: its recipients (without the unlocked key they get the "locked" page, 200).
    "referrals:new_from_report": Case(CASE_ROLES, lambda w: [w["report"].uuid]),  # type: ignore[attr-defined]
    "referrals:inbox": Case(frozenset({Role.FOCAL_POINT})),
    "referrals:detail": Case(CASE_ROLES | {Role.FOCAL_POINT}, _referral),
    "referrals:print": Case(CASE_ROLES | {Role.FOCAL_POINT}, _referral),
    # Sign-in, enrolment, invitations and password reset: open pages (they check their own state).
    "accounts:login": Case(OPEN),
    "accounts:verify": Case(OPEN),
    "accounts:logout": Case(OPEN),
    "accounts:setup_2fa": Case(OPEN),
    "accounts:accept_invitation": Case(OPEN),
    "accounts:open_invitation": Case(OPEN, lambda w: ["not-a-token"]),
    "accounts:password_reset": Case(OPEN),
    "accounts:password_reset_done": Case(OPEN),
    "accounts:password_reset_confirm": Case(OPEN, lambda w: ["MQ", "set-password"]),
}


# Pages that are also forms: their POST, tried by every role and anonymous like the entries above (the GET of the
# same URL is in EXPECTED). The POST is empty, as no browser of an allowed user sends it: the page shows its form
# again (200), says what is missing (400) or goes back to itself (302); nothing is saved. Every staff URL that
# takes both methods is listed here (test_every_form_post_has_a_rule), among them each form a caseworker's day
# sends (cases/tests/test_browser_day.py): the search, the intake, the incident, the risk questions, the referral
# and its next step, the legal matter.
POSTS: dict[str, Case] = {
    "today:preferences": Case(frozenset(ALL_ROLES), method="post", ok=400),
    "accounts:members": Case(frozenset({Role.COORDINATOR, PLATFORM_ADMIN}), _org, "post", 200),
    "directory_staff:verify_service": Case(
        frozenset({Role.FOCAL_POINT, Role.COORDINATOR, PLATFORM_ADMIN}),
        lambda w: [w["service"].uuid],  # type: ignore[attr-defined]
        "post",
        400,
    ),
    "safechannel_staff:report": Case(REPORT_RECIPIENT_ROLES, lambda w: [w["report"].uuid], "post", 200),  # type: ignore[attr-defined]
    "safechannel_staff:settings": Case(frozenset({Role.COORDINATOR, PLATFORM_ADMIN}), _org, "post", 400),
    "cases:search": Case(CASE_ROLES, method="post", ok=400),
    "cases:new": Case(CASE_ROLES, method="post"),
    "cases:edit": Case(CASE_ROLES, _case, "post"),
    "cases:team": Case(frozenset({Role.COORDINATOR}), _case, "post"),
    "cases:child_update": Case(
        CASE_ROLES,
        lambda w: [w["case"].uuid, w["child"].code],  # type: ignore[attr-defined]
        "post",
    ),
    "cases:incident_new": Case(CASE_ROLES, _case, "post"),
    "cases:incident_edit": Case(
        CASE_ROLES,
        lambda w: [w["case"].uuid, w["incident"].pk],  # type: ignore[attr-defined]
        "post",
    ),
    "cases:risk": Case(CASE_ROLES, _case, "post"),
    "cases:transfer": Case(frozenset({Role.COORDINATOR}), _case, "post"),
    "legal:matter_new": Case(CASE_ROLES, _case, "post"),
    "legal:matter": Case(CASE_ROLES, _legal_matter, "post", 302),
    "legal:event_edit": Case(
        CASE_ROLES,
        lambda w: [w["legal_matter"].uuid, w["legal_event"].pk],  # type: ignore[attr-defined]
        "post",
    ),
    "referrals:new": Case(CASE_ROLES, _case, "post", 400),
    "referrals:new_from_report": Case(CASE_ROLES, lambda w: [w["report"].uuid], "post"),  # type: ignore[attr-defined]
    "referrals:detail": Case(CASE_ROLES | {Role.FOCAL_POINT}, _referral, "post", 400),
}
# The newer apps' pages: one module per part of each app (<app>/tests/matrix_rules, see matrix_case.py).
for _module in rule_modules():
    EXPECTED.update(_module.EXPECTED)
    POSTS.update(_module.POSTS)
RULES: list[tuple[str, Case]] = [*EXPECTED.items(), *POSTS.items()]


def staff_url_names() -> set[str]:
    """Names of every URL under /staff/ in the project's URLconf."""
    names: set[str] = set()

    def walk(patterns: list[URLPattern | URLResolver], prefix: str, namespace: str) -> None:
        for p in patterns:
            route = prefix + str(p.pattern)
            if isinstance(p, URLResolver):
                ns = f"{namespace}{p.namespace}:" if p.namespace else namespace
                walk(p.url_patterns, route, ns)
            elif route.startswith("staff/"):
                assert p.name, f"unnamed staff URL {route}"
                names.add(namespace + p.name)

    walk(get_resolver().url_patterns, "", "")
    return names


def test_every_staff_url_has_a_rule() -> None:
    names = staff_url_names()
    assert names, "no staff URLs found"
    assert not names - set(EXPECTED), f"staff URLs without an expected rule in the matrix: {names - set(EXPECTED)}"
    assert not set(EXPECTED) - names, f"rules for URLs that no longer exist: {set(EXPECTED) - names}"


def test_every_form_post_has_a_rule(world: dict[str, object]) -> None:
    """A staff page that also takes a POST has that POST in POSTS, for the same roles as its GET: none is left
    untried by the matrix. Found by asking: an allowed user's POST on every GET page answers 405 unless listed."""
    clients: dict[str, Client] = world["clients"]  # type: ignore[assignment]
    unlisted = []
    for name, case in EXPECTED.items():
        if case.allowed == OPEN or case.method != "get":
            continue
        who = next(role for role in ALL_ROLES if role in case.allowed)
        world["invitation"] = fresh_invitation(world)
        if clients[who].post(reverse(name, args=case.args(world))).status_code != 405 and name not in POSTS:
            unlisted.append(name)
    assert not unlisted, f"staff pages that take a POST without a rule in POSTS: {unlisted}"
    for name, case in POSTS.items():
        assert case.method == "post" and EXPECTED[name].method == "get", name
        assert case.allowed == EXPECTED[name].allowed, name


def test_matrix_agrees_with_the_declared_rules() -> None:
    """The roles each staff_view declares are the roles this matrix expects (a second, independent list)."""
    declared = {f"{fn.__module__}.{fn.__name__}": roles for fn, roles in STAFF_RULES.items()}
    for name, case in EXPECTED.items():
        if case.allowed == OPEN:
            continue
        from django.urls import resolve

        args = case.args(WORLD_PLACEHOLDER)
        match = resolve(reverse(name, args=args))
        func = match.func
        key = f"{func.__module__}.{func.__name__}"
        assert declared.get(key) == case.allowed, name


class _Placeholder(dict[str, object]):
    def __getitem__(self, key: str) -> object:
        class Obj:
            uuid = "00000000-0000-0000-0000-000000000000"
            pk = 1
            code = "N-AAAAAA"

        return Obj()


WORLD_PLACEHOLDER = _Placeholder()


@pytest.fixture
def world(demo_directory: None, verified_client_for: Callable[..., Client]) -> dict[str, object]:
    org = Organization.objects.create(name="Red Violeta (demo)")
    service = Service.objects.filter(organization__kind="health").select_related("organization").first()
    assert service is not None
    org.directory_organization = service.organization
    org.save()
    clients: dict[str, Client] = {ANON: Client()}
    users: dict[str, User] = {}
    for role in Role.values:
        user = User.objects.create_user(username=f"{role}@example.org", email=f"{role}@example.org", password="x" * 16)
        Membership.objects.create(user=user, organization=org, role=role)
        users[role] = user
    admin = User.objects.create_superuser(username="root@example.org", email="root@example.org", password="x" * 16)
    users[PLATFORM_ADMIN] = admin
    focal = FocalPoint.objects.create(
        entity=service.organization,
        display_name="Punto Focal",
        user=users[Role.FOCAL_POINT],
        managed_by=org,
        grant=FocalPoint.Grant.APPROVED,
    )
    focal.services.add(service)
    Sensitisation.objects.create(
        focal_point=focal,
        trained_on=timezone.localdate() - timedelta(days=30),
        expires_on=timezone.localdate() + timedelta(days=300),
        trainer_name="Formadora Demo",
    )
    for role, user in users.items():
        clients[role] = verified_client_for(user)
    # Another member organisation registered a focal point at the entity `org` answers for: waiting for approval.
    pending = FocalPoint.objects.create(
        entity=service.organization,
        display_name="Punto Focal Pendiente",
        managed_by=Organization.objects.create(name="Red Externa (demo)"),
    )
    pending.services.add(service)
    report = channel_report(org, users[Role.COORDINATOR])
    surveys: dict[str, object] = {}
    for module in rule_modules():
        surveys.update(module.world(org, users))
    return {
        **surveys,
        "org": org,
        "service": service,
        "pending_focal_point": pending,
        "clients": clients,
        "users": users,
        "report": report,
        "attachment": report.attachments.get(),
        "case": (case := matrix_case(org, users)),
        "child": case.children.get(),
        "case_file": matrix_case_file(case, users),
        "transfer": matrix_incoming_transfer(org),
        "membership": Membership.objects.get(user=users[Role.ENUMERATOR], organization=org),
        "incident": case.incidents.get(),
        "referral": matrix_referral(case, service, focal, users),
        "legal_matter": (legal_matter := matrix_legal_matter(org, users)),
        "legal_document": legal_matter.documents.get(),  # type: ignore[attr-defined]
        "legal_event": legal_matter.events.get(),  # type: ignore[attr-defined]
    }


def matrix_case(org: Organization, users: dict[str, User]) -> CaseModel:
    """A case of the organisation, assigned to its caseworker and its legal advisor."""
    from amparo.cases import services as case_services

    intake = case_services.Intake(full_name="Nombre", consents=["services"])
    case = case_services.case_open(actor=users[Role.CASEWORKER], organization=org, intake=intake)
    case.caseworkers.add(users[Role.LEGAL_ADVISOR])
    case_services.child_add(
        actor=users[Role.CASEWORKER], case=case, age_band="0-11", risks=[], care_arrangement="kinship",
        care_notes="", next_follow_up=None,
    )  # fmt: skip
    case_services.incident_record(
        actor=users[Role.CASEWORKER], case=case, occurred_at=timezone.now() - timedelta(days=2), time_known=True,
        first_reported_at=timezone.now(), place=Place.objects.get(pcode="CO54001"), answers={"physical": True},
        context_tags=[], perpetrator_types=["client"], perpetrator_count=1, description="",
    )  # fmt: skip
    return case


def matrix_incoming_transfer(org: Organization) -> object:
    """A case of a third organisation proposed to `org` (waiting for its coordinator's answer)."""
    from amparo.cases import casework_services
    from amparo.cases import services as case_services

    sender = Organization.objects.create(name="Red Remitente (demo)")
    coordinator = User.objects.create_user(username="c@remitente.example.org", email="c@remitente.example.org")
    Membership.objects.create(user=coordinator, organization=sender, role=Role.COORDINATOR)
    case = case_services.case_open(
        actor=coordinator, organization=sender, intake=case_services.Intake(full_name="Otra", consents=["services"])
    )
    return casework_services.case_transfer_request(
        actor=coordinator, case=case, to_organization=org, consent_method="verbal", travels=["profile"], reason=""
    )


def matrix_case_file(case: CaseModel, users: dict[str, User]) -> object:
    """A file on the matrix case (stored encrypted like a legal document)."""
    from amparo.cases import casework_services
    from amparo.core.uploads import CleanFile

    return casework_services.case_file_add(
        actor=users[Role.CASEWORKER], case=case, clean=CleanFile("informe.pdf", "application/pdf", b"%PDF-1.4 informe")
    )


def matrix_referral(case: CaseModel, service: Service, focal: FocalPoint, users: dict[str, User]) -> Referral:
    """A referral of the case to the service its focal point covers (with her consent to share)."""
    from amparo.cases import services as case_services
    from amparo.referrals import services as referral_services

    actor = users[Role.CASEWORKER]
    case_services.consent_record(actor=actor, case=case, kind="share_other", method="verbal")
    return referral_services.referral_send(
        actor=actor, case=case, service=service, focal_point=focal, service_type="other",
        shared_fields=["age_band"], priority="normal", reason="",
    )  # fmt: skip


def matrix_legal_matter(org: Organization, users: dict[str, User]) -> object:
    """A legal matter, with a hearing, on the organisation's matrix case (created just before in `world`)."""
    from amparo.cases import legal_services

    case = CaseModel.objects.filter(organization=org).order_by("pk").first()
    assert case is not None
    actor = users[Role.CASEWORKER]
    matter = legal_services.legal_matter_open(actor=actor, case=case, kind="custody", lawyer=users[Role.LEGAL_ADVISOR])
    legal_services.legal_event_add(
        actor=actor, matter=matter, kind="hearing", due_at=timezone.now() + timedelta(days=2)
    )
    from amparo.core.uploads import CleanFile

    legal_services.legal_document_add(
        actor=actor, matter=matter, clean=CleanFile("acta.pdf", "application/pdf", b"%PDF-1.4 acta")
    )
    return matter


def channel_report(org: Organization, coordinator: User) -> Report:
    """A safe-channel report with one attachment, received by the organisation."""
    from amparo.core.uploads import CleanFile
    from amparo.safechannel import services

    place = Place.objects.get(pcode="CO54001")
    org.areas.add(place)
    services.channel_setup(actor=coordinator, organization=org)
    data = services.NewReport(
        place=place,
        what_happened="texto",
        happened=[],
        persecuted="no",
        state_agent="no",
        wants=[],
        contact_how="channel",
        files=[CleanFile("a.pdf", "application/pdf", b"%PDF-1.4 test")],
    )
    return services.report_create(organization=org, data=data)[0]


def fresh_invitation(world: dict[str, object]) -> Invitation:
    return Invitation.objects.create(
        organization=world["org"],  # type: ignore[misc]
        email="new@example.org",
        role=Role.CASEWORKER,
        token_hash=f"{timezone.now().timestamp()}-{Invitation.objects.count()}",
        expires_at=timezone.now() + timedelta(days=1),
    )


def test_role_matrix(world: dict[str, object]) -> None:
    clients: dict[str, Client] = world["clients"]  # type: ignore[assignment]
    failures = []
    for name, case in RULES:
        for who, client in clients.items():
            world["invitation"] = fresh_invitation(world)
            url = reverse(name, args=case.args(world))
            response = client.post(url) if case.method == "post" else client.get(url)
            if case.allowed == OPEN:
                ok = response.status_code < 500
                expected = "< 500"
            elif who == ANON:
                ok = response.status_code == 302 and "/staff/login/" in response["Location"]
                expected = "302 to login"
            elif who in case.allowed:
                ok = response.status_code == case.ok
                expected = str(case.ok)
            else:
                ok = response.status_code == 404
                expected = "404"
            if not ok:
                failures.append(f"{name} as {who}: got {response.status_code}, expected {expected}")
    assert not failures, "\n".join(failures)


def test_cross_organisation_objects_are_404(
    world: dict[str, object], verified_client_for: Callable[..., Client]
) -> None:
    """A coordinator of another organisation reaches none of this organisation's objects by id."""
    other_org = Organization.objects.create(name="Otra Organización (demo)")
    outsider = User.objects.create_user(username="out@example.org", email="out@example.org", password="x" * 16)
    Membership.objects.create(user=outsider, organization=other_org, role=Role.COORDINATOR)
    client = verified_client_for(outsider)
    invitation = fresh_invitation(world)
    org_uuid = world["org"].uuid  # type: ignore[attr-defined]
    assert client.get(reverse("accounts:members", args=[org_uuid])).status_code == 404
    assert client.get(reverse("audit:trail", args=[org_uuid])).status_code == 404
    assert client.post(reverse("accounts:revoke_invitation", args=[invitation.pk])).status_code == 404
    assert client.get(reverse("safechannel_staff:settings", args=[org_uuid])).status_code == 404
    report = world["report"]
    assert client.get(reverse("safechannel_staff:report", args=[report.uuid])).status_code == 404  # type: ignore[attr-defined]
    attachment_url = reverse(
        "safechannel_staff:attachment",
        args=[report.uuid, world["attachment"].uuid],  # type: ignore[attr-defined]
    )
    assert client.get(attachment_url).status_code == 404
    invitation.refresh_from_db()
    assert invitation.revoked_at is None
    service_uuid = world["service"].uuid  # type: ignore[attr-defined]
    assert client.get(reverse("directory_staff:verify_service", args=[service_uuid])).status_code == 404
    legal_matter = world["legal_matter"]
    assert client.get(reverse("legal:matter", args=[legal_matter.uuid])).status_code == 404  # type: ignore[attr-defined]
    assert client.get(reverse("legal:matter_new", args=[world["case"].uuid])).status_code == 404  # type: ignore[attr-defined]
    referral = world["referral"]
    for url in (
        reverse("referrals:new", args=[world["case"].uuid]),  # type: ignore[attr-defined]
        reverse("referrals:new_from_report", args=[report.uuid]),  # type: ignore[attr-defined]
        reverse("referrals:detail", args=[referral.uuid]),  # type: ignore[attr-defined]
        reverse("referrals:print", args=[referral.uuid]),  # type: ignore[attr-defined]
    ):
        assert client.get(url).status_code == 404, url
    assert client.post(reverse("referrals:detail", args=[referral.uuid]), {"to_status": "closed"}).status_code == 404  # type: ignore[attr-defined]
    # ...and its own organisation's pages still work, so the 404s above are about ownership.
    assert client.get(reverse("accounts:members", args=[other_org.uuid])).status_code == 200
    # Not found and not allowed look the same.
    missing = client.get(reverse("accounts:members", args=["00000000-0000-0000-0000-000000000000"]))
    assert missing.status_code == 404


def _outsiders(verified_client_for: Callable[..., Client]) -> dict[str, Client]:
    """A second member organisation with a verified account in every role (and its own directory entry)."""
    other = Organization.objects.create(name="Otra Organización (demo)")
    clients = {}
    for role in Role.values:
        email = f"{role}@otra.example.org"
        user = User.objects.create_user(username=email, email=email, password="x" * 16)
        Membership.objects.create(user=user, organization=other, role=role)
        clients[role] = verified_client_for(user)
    return clients


def _object_urls(world: dict[str, object]) -> dict[str, str]:
    """Every staff URL that names an object of the world's organisation (the others act on the user's own)."""
    world["invitation"] = fresh_invitation(world)
    urls = {}
    for name, case in EXPECTED.items():
        if case.allowed == OPEN or not case.args(world):
            continue
        urls[name] = reverse(name, args=case.args(world))
    return urls


def _own_method_answers(world: dict[str, object]) -> dict[tuple[str, str], int]:
    """What an allowed user of the world's organisation gets for each object URL and method (405: not accepted)."""
    clients: dict[str, Client] = world["clients"]  # type: ignore[assignment]
    answers = {}
    for name, url in _object_urls(world).items():
        allowed = EXPECTED[name].allowed
        who = next(role for role in ALL_ROLES if role in allowed)
        for method in ("get", "post"):
            answers[(name, method)] = getattr(clients[who], method)(url).status_code
    return answers


def test_every_staff_url_and_method_across_organisations(
    world: dict[str, object], verified_client_for: Callable[..., Client]
) -> None:
    """Every role of another organisation, with GET and with POST, on every staff URL that names an object of this
    one: 404 (or 405 where the page takes no such method at all), and not one audit entry is written for them:
    nothing of this organisation was read or changed. A new staff page or form that leaks fails here."""
    from amparo.audit.models import AuditEntry

    own = _own_method_answers(world)
    outsiders = _outsiders(verified_client_for)
    before = AuditEntry.objects.count()
    failures = []
    for name, url in _object_urls(world).items():
        for method in ("get", "post"):
            for role, client in outsiders.items():
                got = getattr(client, method)(url, {"decision": "approve", "to_status": "closed"}).status_code
                if got != 404 and not (got == 405 == own[(name, method)]):
                    failures.append(f"{method.upper()} {name} as another organisation's {role}: {got}")
    assert not failures, "\n".join(failures)
    assert AuditEntry.objects.count() == before, "another organisation's requests read or changed something"
    pending = world["pending_focal_point"]
    pending.refresh_from_db()  # type: ignore[attr-defined]
    assert pending.grant == FocalPoint.Grant.PENDING  # type: ignore[attr-defined]


def test_password_only_session_reaches_nothing(world: dict[str, object]) -> None:
    """A session that passed the password but not the second factor reaches no staff page, GET or POST, and no
    admin page: every one sends it to verification (or to enrolment), nothing is read or written. This holds for
    roles that must use 2FA and for a user of another role who enrolled a device."""
    from django_otp.plugins.otp_totp.models import TOTPDevice

    from amparo.audit.models import AuditEntry

    users: dict[str, User] = world["users"]  # type: ignore[assignment]
    world["invitation"] = fresh_invitation(world)
    urls = [reverse(name, args=case.args(world)) for name, case in EXPECTED.items() if case.allowed != OPEN] + [
        "/admin/",
        "/admin/directory/service/",
        "/admin/directory/focalpoint/add/",
    ]
    TOTPDevice.objects.create(user=users[Role.ANALYST], name="phone", confirmed=True)
    before = AuditEntry.objects.count()
    failures = []
    for role in [*sorted(ROLES_REQUIRING_2FA), Role.ANALYST, PLATFORM_ADMIN]:
        client = Client()
        client.force_login(users[role], backend="django.contrib.auth.backends.ModelBackend")
        for url in urls:
            for method in ("get", "post"):
                response = getattr(client, method)(url)
                target = response.get("Location", "")
                if response.status_code != 302 or not (
                    "/staff/2fa/setup/" in target or "/staff/login/verify/" in target
                ):
                    failures.append(f"{method.upper()} {url} as a password-only {role}: {response.status_code}")
    assert not failures, "\n".join(failures)
    assert AuditEntry.objects.count() == before
    assert not Invitation.objects.filter(revoked_at__isnull=False).exists()


def test_staff_responses_are_never_cached(world: dict[str, object]) -> None:
    """Every staff URL, as a user allowed to open it (and the admin, the sign-in pages): `Cache-Control: no-store,
    private`, so no decrypted page stays in the browser's disk cache after sign-out."""
    clients: dict[str, Client] = world["clients"]  # type: ignore[assignment]
    failures = []
    for name, case in RULES:
        who = ANON if case.allowed == OPEN else next(role for role in ALL_ROLES if role in case.allowed)
        world["invitation"] = fresh_invitation(world)
        url = reverse(name, args=case.args(world))
        response = clients[who].post(url) if case.method == "post" else clients[who].get(url)
        directives = {d.strip() for d in response.get("Cache-Control", "").split(",")}
        if not {"no-store", "private"} <= directives:
            failures.append(f"{name}: {response.status_code} Cache-Control={response.get('Cache-Control')!r}")
    for url in ("/admin/", "/admin/directory/service/", "/admin/directory/focalpoint/add/"):
        response = clients[Role.COORDINATOR].get(url)
        directives = {d.strip() for d in response.get("Cache-Control", "").split(",")}
        if response.status_code != 200 or not {"no-store", "private"} <= directives:
            failures.append(f"{url}: {response.status_code} Cache-Control={response.get('Cache-Control')!r}")
    assert not failures, "\n".join(failures)


def test_admin_is_for_coordinators_and_platform_admins(world: dict[str, object]) -> None:
    clients: dict[str, Client] = world["clients"]  # type: ignore[assignment]
    for who, client in clients.items():
        index = client.get("/admin/")
        services = client.get("/admin/directory/service/")
        if who in {Role.COORDINATOR, PLATFORM_ADMIN}:
            assert index.status_code == 200 and services.status_code == 200, who
        else:
            assert index.status_code == 302, who
            assert client.get(index["Location"]).status_code == 302  # admin login hands over to staff login
            assert services.status_code == 302, who
