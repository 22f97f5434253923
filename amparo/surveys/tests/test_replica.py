"""The characterisation on the read replica (core/db_router.py, docs/architecture.md "Scale"): with
DATABASE_REPLICA_URL its counting queries run on the `replica` connection, its audit entry is written on default, and
receiving a submission never touches the replica; without it, everything runs on default."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from django.db import connections
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from amparo.accounts.models import Membership, Organization, User
from amparo.accounts.roles import Role
from amparo.audit.models import AuditEntry
from amparo.core.db_router import REPLICA, analytics_db
from amparo.surveys.models import FormVersion, Submission
from amparo.surveys.tests.factories import make_form, make_submission

SUBMISSIONS = Submission._meta.db_table


def _world() -> tuple[User, FormVersion]:
    org = Organization.objects.create(name="Red Violeta")
    analyst = User.objects.create_user(username="analista@example.org", email="analista@example.org")
    Membership.objects.create(user=analyst, organization=org, role=Role.ANALYST)
    version = make_form(org)
    for _ in range(6):
        make_submission(version, {"violence": "clients police"})
    make_submission(version, {"stats": "no"})  # no consent to statistics: left out
    return analyst, version


def _reads_only(queries: list[dict[str, Any]]) -> bool:
    """Reads, and on PostgreSQL the transaction around them (psycopg logs its BEGIN and COMMIT) with SET LOCAL."""
    return all(q["sql"].lstrip().upper().startswith(("SELECT", "SET LOCAL", "BEGIN", "COMMIT")) for q in queries)


def _page(client: Client, version: FormVersion) -> Any:
    response = client.get(reverse("surveys:characterisation", args=[version.form.uuid]))
    assert response.status_code == 200
    return response.context["reading"]


@pytest.mark.replica
@pytest.mark.django_db(transaction=True, databases="__all__")
def test_with_a_replica_the_characterisation_is_counted_there_and_audited_on_default(
    replica: Any, verified_client_for: Callable[..., Client]
) -> None:
    analyst, version = _world()
    client = verified_client_for(analyst)
    assert analytics_db() == REPLICA
    with CaptureQueriesContext(replica) as on_replica, CaptureQueriesContext(connections["default"]) as on_default:
        reading = _page(client, version)
    assert reading.page.respondents == 6 and reading.left_out_no_consent == 1  # the same data, read there
    assert on_replica.captured_queries and _reads_only(on_replica.captured_queries)
    counting = [q["sql"] for q in on_replica.captured_queries if "GROUP BY" in q["sql"]]
    assert counting and all(SUBMISSIONS in sql for sql in counting)
    # Default: the session, the form, the access check and the audit entry; no submission is read there.
    assert not any(SUBMISSIONS in q["sql"] for q in on_default.captured_queries)
    assert any(q["sql"].upper().startswith("INSERT") and "audit" in q["sql"] for q in on_default.captured_queries)
    assert AuditEntry.objects.get(action="survey.characterisation.read").detail["counted"] == 6


@pytest.mark.replica
@pytest.mark.django_db(transaction=True, databases="__all__")
def test_with_a_replica_receiving_and_publishing_never_touch_it(replica: Any) -> None:
    with CaptureQueriesContext(replica) as on_replica:
        _analyst, version = _world()
        make_submission(version, {"violence": "armed_groups"})
    assert on_replica.captured_queries == []
    assert Submission.objects.filter(form=version.form).count() == 8


@pytest.mark.django_db
def test_without_a_replica_the_characterisation_is_counted_on_default(
    verified_client_for: Callable[..., Client],
) -> None:
    if REPLICA in connections.settings:
        pytest.skip("this run is configured with DATABASE_REPLICA_URL")
    analyst, version = _world()
    with CaptureQueriesContext(connections["default"]) as on_default:
        reading = _page(verified_client_for(analyst), version)
    assert reading.page.respondents == 6
    assert any("GROUP BY" in q["sql"] and SUBMISSIONS in q["sql"] for q in on_default.captured_queries)
