"""The networks' analysis on the read replica (core/db_router.py, docs/architecture.md "Scale"): with
DATABASE_REPLICA_URL the network of a place (ties, referral flows, actors), the coverage-gap matrix (service points,
survey demand) and the discrimination indicator are read on the `replica` connection, with the same figures; the
pages' audit entries and recording a tie are written on default, and never reach the replica."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from datetime import date, timedelta
from typing import Any

import pytest
from django.db import connections
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from amparo.accounts.models import Membership, User
from amparo.accounts.models import Organization as MemberOrganization
from amparo.accounts.roles import Role
from amparo.audit.models import AuditEntry
from amparo.directory.models import Service
from amparo.directory.services import ensure_service_types
from amparo.networks import selectors, services
from amparo.networks.gap_selectors import GapQuery, discrimination_counts, gap_matrix
from amparo.networks.models import Tie, TieKind
from amparo.networks.services import TieData
from amparo.referrals.models import Referral
from amparo.surveys.models import Submission
from amparo.surveys.tests.factories import make_form

from .gap_world import make_service, today
from .netcore_world import coordinator, organization, places, send_referrals

pytestmark = [pytest.mark.replica, pytest.mark.django_db(transaction=True, databases="__all__")]

ANALYTIC_TABLES = (
    Referral._meta.db_table,
    Tie._meta.db_table,
    Submission._meta.db_table,
    "directory_serviceatlocation",
)


def _is_read(sql: str) -> bool:
    """A read, or on PostgreSQL the transaction around reads (psycopg logs BEGIN and COMMIT) and the server-side
    cursor of `.iterator()` (DECLARE ... FOR SELECT, which a hot standby allows)."""
    sql = sql.lstrip().upper()
    if sql.startswith("DECLARE "):
        return " FOR SELECT " in sql
    return sql.startswith(("SELECT", "BEGIN", "COMMIT"))


def _reads_only(queries: list[dict[str, Any]]) -> bool:
    return all(_is_read(q["sql"]) for q in queries)


def _touching(queries: list[dict[str, Any]], table: str) -> list[str]:
    return [q["sql"] for q in queries if table in q["sql"]]


@pytest.fixture
def world() -> dict[str, Any]:
    where = places()
    ensure_service_types()
    hospital = organization("Hospital Cúcuta", "health", where["CO54001"])
    collective = organization("Colectiva Cúcuta", "sex-worker-led", where["CO54001"])
    member = MemberOrganization.objects.create(name="Colectiva (miembro)", directory_organization=collective)
    user = coordinator(member)
    services.tie_add(
        actor=user,
        organization=member,
        data=TieData(
            TieKind.JOINT_TRAINING, f"o{collective.pk}", f"o{hospital.pk}", where["CO54001"], date(2026, 1, 1), None
        ),
    )
    send_referrals(member, Service.objects.create(organization=hospital, name="Urgencias"), ["attended"] * 5)
    make_service("CO54001", ("hiv",), facts=("trans_affirming",))
    version = make_form(member)
    for barrier in ["transphobia"] * 5 + ["no_id"]:
        Submission.objects.create(
            form=version.form,
            version=version,
            organization=member,
            instance_id=f"uuid:{uuid.uuid4()}",
            source=Submission.Source.WEB,
            raw_instance="<data/>",
            answers={"needs": ["hiv"], "barriers": [barrier]},
            municipality_pcode="CO54001",
            statistics_consent=True,
            interview_date=today() - timedelta(days=3),
        )
    analyst = User.objects.create_user(username="a@example.org", email="a@example.org", password="x" * 16)
    Membership.objects.create(user=analyst, organization=member, role=Role.ANALYST)
    return {"places": where, "member": member, "user": user, "analyst": analyst, "hospital": hospital}


def test_the_network_the_gaps_and_the_indicator_are_read_on_the_replica(replica: Any, world: dict[str, Any]) -> None:
    cucuta = world["places"]["CO54001"]
    start, end = selectors.default_period()
    with CaptureQueriesContext(replica) as on_replica, CaptureQueriesContext(connections["default"]) as on_default:
        network = selectors.network_for(cucuta, start, end)
        matrix = gap_matrix(GapQuery(scope=cucuta))
        respondents, named = discrimination_counts(cucuta, today() - timedelta(days=30), today() + timedelta(days=1))
    # The same figures as on default (the replica mirrors it).
    assert [(f.sent, f.attended) for f in network.flows] == [(5, 5)]
    assert len(network.ties) == 1 and f"o{world['hospital'].pk}" in network.actors
    assert matrix.rows[0].demand is not None and matrix.rows[0].demand.respondents == 6
    assert (respondents, named) == (6, 5)
    assert on_replica.captured_queries and _reads_only(on_replica.captured_queries)
    for table in ANALYTIC_TABLES:
        assert _touching(on_replica.captured_queries, table), table
        assert not _touching(on_default.captured_queries, table), table


def test_the_pages_audit_on_default_and_recording_a_tie_never_touches_the_replica(
    replica: Any, world: dict[str, Any], verified_client_for: Callable[..., Client]
) -> None:
    client = verified_client_for(world["analyst"])
    with CaptureQueriesContext(replica) as on_replica:
        assert client.get(reverse("networks:network") + "?place=CO54001").status_code == 200
        assert client.get(reverse("networks:gaps") + "?place=CO54001").status_code == 200
    assert _touching(on_replica.captured_queries, Tie._meta.db_table)
    assert _reads_only(on_replica.captured_queries)
    assert AuditEntry.objects.filter(action__in=["network.read", "network.gaps.read"]).count() == 2
    where = world["places"]
    with CaptureQueriesContext(replica) as on_replica:
        services.tie_add(
            actor=world["user"],
            organization=world["member"],
            data=TieData(
                TieKind.REFERRAL_AGREEMENT,
                f"o{world['hospital'].pk}",
                f"o{organization('Casa Refugio', 'ngo', where['CO54001']).pk}",
                where["CO54001"],
                date(2026, 2, 1),
                None,
            ),
        )
    assert on_replica.captured_queries == []
    assert Tie.objects.count() == 2
