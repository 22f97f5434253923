"""Monitoring protocols: indicators computed from real referrals, services and survey answers, snapshots and their
comparison, the plan pages (forms with bad input, access, print, PDF) and the scheduler's command."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from io import StringIO

import pytest
from django.core.management import call_command
from django.test import Client
from django.utils import timezone, translation

from amparo.accounts.models import Membership, User
from amparo.accounts.models import Organization as MemberOrganization
from amparo.accounts.roles import Role
from amparo.audit.models import AuditEntry
from amparo.cases.models import Case
from amparo.directory.demo import places_load
from amparo.directory.models import Place, Service
from amparo.directory.services import ensure_service_types
from amparo.networks import monitoring
from amparo.networks.models import Indicator, MonitoringPlan, Snapshot
from amparo.networks.monitoring import Value, compare, period_bounds, snapshot_take
from amparo.referrals.models import Referral, ReferralEvent
from amparo.surveys.models import Submission
from amparo.surveys.tests.factories import make_form

from .gap_world import make_service, sensitise, today

pytestmark = pytest.mark.django_db
Kind = Indicator.Kind


def test_period_bounds() -> None:
    day = date(2026, 11, 17)
    assert period_bounds("month", day) == (date(2026, 11, 1), date(2026, 12, 1))
    assert period_bounds("quarter", day) == (date(2026, 10, 1), date(2027, 1, 1))
    assert period_bounds("half", day) == (date(2026, 7, 1), date(2027, 1, 1))
    assert period_bounds("year", day) == (date(2026, 1, 1), date(2027, 1, 1))
    assert period_bounds("quarter", date(2026, 2, 1)) == (date(2026, 1, 1), date(2026, 4, 1))


@dataclass
class World:
    org: MemberOrganization
    cucuta: Place
    service: Service
    case: Case
    users: dict[str, User]


@pytest.fixture
def world(db: None) -> World:
    ensure_service_types()
    places_load()
    facts = ("no_id_required", "serves_irregular_migrants", "trans_affirming", "sex_worker_friendly")
    service = make_service("CO54001", ("hiv",), facts=facts)
    sensitise(service)
    make_service("CO54001", ("mental-health",), verified_days_ago=400)
    org = MemberOrganization.objects.create(name="Red de prueba")
    users: dict[str, User] = {}
    for role in (Role.COORDINATOR, Role.ANALYST, Role.MONITOR, Role.CASEWORKER):
        user = User.objects.create_user(
            username=f"{role}@net.example.org", email=f"{role}@net.example.org", password="x" * 16
        )
        Membership.objects.create(user=user, organization=org, role=role)
        users[role] = user
    case = Case.objects.create(organization=org, full_name="Nombre-Que-No-Sale")
    return World(org, Place.objects.get(pcode="CO54001"), service, case, users)


def referral(w: World, sent: datetime, *events: tuple[str, timedelta]) -> Referral:
    r = Referral.objects.create(
        case=w.case, service=w.service, service_type="health", respond_by=sent + timedelta(days=3), sent_at=sent
    )
    for status, after in events:
        ReferralEvent.objects.create(referral=r, status=status, at=sent + after)
    return r


def plan_with(w: World, *kinds: str, period: str = "month") -> MonitoringPlan:
    plan = MonitoringPlan.objects.create(organization=w.org, name="Cúcuta 2027", place=w.cucuta, period=period)
    for kind in kinds:
        Indicator.objects.create(
            plan=plan,
            kind=kind,
            baseline=50,
            baseline_on=today() - timedelta(days=60),
            target=40,
            target_on=today() + timedelta(days=300),
        )
    return plan


def test_referral_indicators_from_counts_and_times(world: World) -> None:
    start, end = period_bounds("month", today())
    sent = timezone.make_aware(datetime.combine(start, datetime.min.time())) + timedelta(hours=1)
    accepted = (Referral.Status.ACCEPTED, timedelta(hours=5))
    for days in (1, 2, 3, 4):
        referral(world, sent, accepted, (Referral.Status.ATTENDED, timedelta(days=days)))
    referral(world, sent, (Referral.Status.DECLINED, timedelta(hours=2)))
    referral(world, sent, (Referral.Status.DECLINED, timedelta(hours=2)))
    referral(world, sent)  # not answered: not counted
    value = monitoring.referral_acceptance(world.cucuta, start, end)
    assert value == Value(66.7, 6)
    # Four attended: fewer than 5, no figure.
    assert monitoring.time_to_attention(world.cucuta, start, end) == Value(None, 4, monitoring.NOTE_FEWER)
    referral(world, sent, accepted, (Referral.Status.ATTENDED, timedelta(days=10)))
    assert monitoring.time_to_attention(world.cucuta, start, end) == Value(3.0, 5)  # median of 1, 2, 3, 4, 10
    # Elsewhere: nothing.
    bogota = Place.objects.get(pcode="CO11001")
    assert monitoring.referral_acceptance(bogota, start, end) == Value(None, 0, monitoring.NOTE_NONE)
    # The department holds Cúcuta.
    assert monitoring.referral_acceptance(Place.objects.get(pcode="CO54"), start, end).n == 7


def test_stale_services_gaps_and_discrimination(world: World) -> None:
    start, end = period_bounds("month", today())
    assert monitoring.stale_services(world.cucuta, today()) == Value(1.0, 2)
    assert monitoring.discrimination(world.cucuta, start, end) == Value(None, 0, monitoring.NOTE_NO_SURVEY)
    version = make_form(world.org)
    for i in range(6):
        Submission.objects.create(
            form=version.form,
            version=version,
            organization=world.org,
            instance_id=f"uuid:{uuid.uuid4()}",
            source=Submission.Source.WEB,
            raw_instance="<data/>",
            municipality_pcode="CO54001",
            answers={"barriers": ["xenophobia"] if i < 3 else ["cost"]},
            statistics_consent=True,
            interview_date=today(),
        )
    assert monitoring.discrimination(world.cucuta, start, end) == Value(50.0, 6)


def test_snapshot_taken_audited_replaced_in_its_period_and_compared(world: World) -> None:
    coordinator = world.users[Role.COORDINATOR]
    plan = plan_with(world, Kind.STALE_SERVICES, Kind.OPEN_GAPS, Kind.REFERRAL_ACCEPTANCE)
    last_month = period_bounds("month", today())[0] - timedelta(days=1)
    first = snapshot_take(actor=coordinator, plan=plan, today=last_month)
    assert first.values["stale_services"]["value"] == 1.0
    assert first.values["referral_acceptance"] == {"value": None, "n": 0, "note": "no_data"}
    assert "CO54001:hiv" not in first.open_gaps and "CO54001:legal-aid" in first.open_gaps
    # This month: the stale service is verified again, a legal-aid service opens and the HIV one closes.
    Service.objects.filter(last_verified_on__lt=today() - timedelta(days=100)).update(last_verified_on=today())
    legal = make_service(
        "CO54001",
        ("legal-aid",),
        facts=("no_id_required", "serves_irregular_migrants", "trans_affirming", "sex_worker_friendly"),
    )
    sensitise(legal)
    from amparo.directory.services import services_reindex

    world.service.status = Service.Status.INACTIVE
    world.service.save()
    services_reindex([world.service.pk])
    second = snapshot_take(actor=coordinator, plan=plan)
    again = snapshot_take(actor=coordinator, plan=plan)
    assert again.pk == second.pk and plan.snapshots.count() == 2
    assert AuditEntry.objects.filter(action="network.snapshot.take").count() == 3
    comparison = monitoring.latest_comparison(plan)
    assert comparison is not None and comparison.previous == first
    by_kind = {c.kind: c for c in comparison.changes}
    assert by_kind[Kind.STALE_SERVICES].status == "improved" and by_kind[Kind.STALE_SERVICES].delta == -1.0
    assert by_kind[Kind.REFERRAL_ACCEPTANCE].status == "unknown"
    assert "CO54001:legal-aid" in comparison.gaps_closed
    assert "CO54001:hiv" in comparison.gaps_opened
    assert by_kind[Kind.OPEN_GAPS].status == "same"  # one closed, one opened


def test_compare_directions() -> None:
    plan = MonitoringPlan(name="x")
    up = Indicator(plan=plan, kind=Kind.REFERRAL_ACCEPTANCE, target=80)
    down = Indicator(plan=plan, kind=Kind.TIME_TO_ATTENTION, target=2)
    before = Snapshot(values={"referral_acceptance": {"value": 60, "n": 9}, "time_to_attention": {"value": 3, "n": 9}})
    after = Snapshot(values={"referral_acceptance": {"value": 85, "n": 9}, "time_to_attention": {"value": 4, "n": 9}})
    result = compare([up, down], after, before)
    assert [(c.status, c.on_target) for c in result.changes] == [("improved", True), ("worse", False)]


def test_a_plan_without_indicators_takes_no_snapshot(world: World) -> None:
    plan = plan_with(world)
    with pytest.raises(monitoring.SnapshotRefused):
        snapshot_take(actor=None, plan=plan)
    assert not Snapshot.objects.exists()


def test_scheduler_command(world: World) -> None:
    plan_with(world, Kind.STALE_SERVICES)
    plan_with(world)
    out = StringIO()
    call_command("take_network_snapshots", stdout=out)
    assert "1 snapshots taken, 1 plans without indicators skipped" in out.getvalue()
    assert Snapshot.objects.count() == 1
    with pytest.raises(Exception, match="not a plan UUID"):
        call_command("take_network_snapshots", "--plan", "nope")


# --- Pages --------------------------------------------------------------------------------------------------------


def indicator_post(kind: str, **overrides: str) -> dict[str, str]:
    fields = {
        "use": "on",
        "baseline": "60",
        "baseline_on": (today() - timedelta(days=10)).isoformat(),
        "target": "80",
        "target_on": (today() + timedelta(days=200)).isoformat(),
        "responsible_person": "Coordinación de la mesa",
        **overrides,
    }
    return {f"{kind}-{k}": v for k, v in fields.items()}


def plan_post(w: World, **indicator: str) -> dict[str, str]:
    return {
        "name": "Mesa de Cúcuta",
        "organization": str(w.org.pk),
        "place": str(w.cucuta.pk),
        "period": "quarter",
        **indicator_post(Kind.REFERRAL_ACCEPTANCE, **indicator),
    }


@pytest.fixture
def client_for(world: World, verified_client_for: Callable[..., Client]) -> Callable[[str], Client]:
    return lambda role: verified_client_for(world.users[role])


def test_coordinator_creates_a_plan_and_takes_a_snapshot(world: World, client_for: Callable[[str], Client]) -> None:
    coordinator = client_for(Role.COORDINATOR)
    answer = coordinator.post("/staff/networks/monitoring/new/", plan_post(world))
    assert answer.status_code == 302
    plan = MonitoringPlan.objects.get()
    assert plan.organization == world.org and plan.indicators.get().kind == Kind.REFERRAL_ACCEPTANCE
    assert AuditEntry.objects.filter(action="network.plan.create").count() == 1
    assert coordinator.post(f"/staff/networks/monitoring/{plan.uuid}/snapshot/").status_code == 302
    with translation.override("en"):
        page = coordinator.get(f"/staff/networks/monitoring/{plan.uuid}/", HTTP_ACCEPT_LANGUAGE="en")
    assert page.status_code == 200
    assert plan.snapshots.count() == 1
    printed = coordinator.get(f"/staff/networks/monitoring/{plan.uuid}/print/")
    assert printed.status_code == 200 and "Mesa de Cúcuta" in printed.content.decode()
    pdf = coordinator.get(f"/staff/networks/monitoring/{plan.uuid}/pdf/")
    assert pdf.status_code == 200 and pdf["Content-Type"] == "application/pdf"
    assert pdf.content.startswith(b"%PDF") and len(pdf.content) > 2000


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        ({"use": ""}, "at least one indicator"),
        ({"target_on": "2000-01-01"}, "must come after the baseline date"),
        ({"target": "40"}, "cannot be below the baseline"),
        ({"target": "140"}, "from 0 to 100"),
        ({"baseline": ""}, "Needed for an indicator"),
        ({"baseline": "abc"}, "Enter a number"),
    ],
)
def test_bad_plans_are_refused_with_a_message(
    world: World, client_for: Callable[[str], Client], overrides: dict[str, str], message: str
) -> None:
    coordinator = client_for(Role.COORDINATOR)
    with translation.override("en"):
        answer = coordinator.post(
            "/staff/networks/monitoring/new/", plan_post(world, **overrides), HTTP_ACCEPT_LANGUAGE="en"
        )
    assert answer.status_code == 400
    assert message in answer.content.decode()
    assert not MonitoringPlan.objects.exists() and not Indicator.objects.exists()


def test_readers_read_and_do_not_edit_and_other_organisations_see_nothing(
    world: World, client_for: Callable[[str], Client], verified_client_for: Callable[..., Client]
) -> None:
    plan = plan_with(world, Kind.STALE_SERVICES)
    snapshot_take(actor=None, plan=plan)
    for role in (Role.ANALYST, Role.MONITOR):
        reader = client_for(role)
        assert reader.get(f"/staff/networks/monitoring/{plan.uuid}/").status_code == 200
        assert reader.get(f"/staff/networks/monitoring/{plan.uuid}/edit/").status_code == 404
        assert reader.post(f"/staff/networks/monitoring/{plan.uuid}/snapshot/").status_code == 404
    assert client_for(Role.CASEWORKER).get(f"/staff/networks/monitoring/{plan.uuid}/").status_code == 404
    other = MemberOrganization.objects.create(name="Otra red")
    outsider = User.objects.create_user(username="c@otra.example.org", email="c@otra.example.org", password="x" * 16)
    Membership.objects.create(user=outsider, organization=other, role=Role.COORDINATOR)
    client = verified_client_for(outsider)
    before = AuditEntry.objects.count()
    for suffix in ("", "edit/", "print/", "pdf/", f"snapshots/{plan.snapshots.get().pk}/"):
        assert client.get(f"/staff/networks/monitoring/{plan.uuid}/{suffix}").status_code == 404
    assert client.post(f"/staff/networks/monitoring/{plan.uuid}/snapshot/").status_code == 404
    assert plan.name not in client.get("/staff/networks/monitoring/").content.decode()
    assert AuditEntry.objects.count() == before


def test_gap_page_filters_bad_input_and_audit(world: World, client_for: Callable[[str], Client]) -> None:
    analyst = client_for(Role.ANALYST)
    with translation.override("en"):
        page = analyst.get("/staff/networks/gaps/?place=CO54001", HTTP_ACCEPT_LANGUAGE="en")
        assert page.status_code == 200
        text = page.content.decode()
        assert "Cúcuta" in text and "No service" in text and "no survey data" in text
        assert AuditEntry.objects.filter(action="network.gaps.read").count() == 1
        unknown = analyst.get("/staff/networks/gaps/?place=XX999", HTTP_ACCEPT_LANGUAGE="en")
        assert unknown.status_code == 400 and "We do not know the place code" in unknown.content.decode()
        assert analyst.get("/staff/networks/gaps/?zone=moon").status_code == 400
        # A municipality with no service at all: every need says so, no error.
        empty = analyst.get("/staff/networks/gaps/?place=CO11001&need=hiv&group=trans", HTTP_ACCEPT_LANGUAGE="en")
        assert empty.status_code == 200 and "No active service of this kind." in empty.content.decode()
        nothing = analyst.get("/staff/networks/gaps/?place=CO11001&zone=rural", HTTP_ACCEPT_LANGUAGE="en")
        assert "No municipality matches these filters." in nothing.content.decode()
    assert client_for(Role.CASEWORKER).get("/staff/networks/gaps/").status_code == 404


def test_a_monitor_reads_the_plans_of_her_areas(world: World, verified_client_for: Callable[..., Client]) -> None:
    plan = plan_with(world, Kind.STALE_SERVICES)
    ombudsman = MemberOrganization.objects.create(name="Defensoría de prueba")
    monitor = User.objects.create_user(username="m@def.example.org", email="m@def.example.org", password="x" * 16)
    Membership.objects.create(user=monitor, organization=ombudsman, role=Role.MONITOR)
    client = verified_client_for(monitor)
    assert client.get(f"/staff/networks/monitoring/{plan.uuid}/").status_code == 404
    ombudsman.areas.add(Place.objects.get(pcode="CO54"))
    assert client.get(f"/staff/networks/monitoring/{plan.uuid}/").status_code == 200
    assert client.get(f"/staff/networks/monitoring/{plan.uuid}/edit/").status_code == 404


def test_demo_plan_has_two_snapshots_that_differ(demo_directory: None) -> None:
    from amparo.core.registry import DemoRun
    from amparo.networks.monitoring_demo import DEMO_ORGANIZATION, load_demo_monitoring

    MemberOrganization.objects.create(name=DEMO_ORGANIZATION)
    run = DemoRun(reset=False, stdout=StringIO())  # type: ignore[arg-type]
    load_demo_monitoring(run)
    load_demo_monitoring(run)  # twice: the same plan, the same two snapshots
    plan = MonitoringPlan.objects.get()
    assert plan.indicators.count() == 5 and plan.snapshots.count() == 2
    comparison = monitoring.latest_comparison(plan)
    assert comparison is not None and comparison.previous is not None
    assert len(comparison.gaps_closed) == 2
    assert {c.kind for c in comparison.improved} >= {Kind.OPEN_GAPS}
