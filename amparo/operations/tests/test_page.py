"""The runs page (/staff/operations/): a coordinator sees the schedule and the recent runs with their outcome; the
summaries (counts over every organisation) are for platform administrators only. Roles and sessions that may not
open it are tried by the role matrix (matrix_rules/operations.py)."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone, translation

from amparo.accounts.models import Membership, Organization, User
from amparo.accounts.roles import Role
from amparo.operations.models import JobRun, RunStatus

pytestmark = pytest.mark.django_db


def _user(email: str, role: str | None, org: Organization, superuser: bool = False) -> User:
    user = User.objects.create_user(username=email, email=email, password="x" * 20, is_superuser=superuser)
    if role:
        Membership.objects.create(user=user, organization=org, role=role)
    return user


@pytest.fixture
def runs() -> list[JobRun]:
    slot = timezone.now() - timedelta(hours=3)
    return [
        JobRun.objects.create(
            job="purge_cases",
            slot=slot,
            status=RunStatus.OK,
            started_at=slot,
            finished_at=slot,
            summary="Purged 12 closed case(s).",
        ),
        JobRun.objects.create(
            job="audit_verify", slot=slot, status=RunStatus.FAILED, finished_at=slot, error_class="CommandError"
        ),
        # Every minute: its runs that went well would fill the list, so only its failures are listed.
        JobRun.objects.create(job="flush_link_visits", slot=slot, status=RunStatus.OK, summary="Moved 7 visit(s)"),
        JobRun.objects.create(
            job="flush_link_visits",
            slot=slot - timedelta(minutes=1),
            status=RunStatus.FAILED,
            error_class="ConnectionError",
        ),
    ]


def _page(client: Client) -> str:
    with translation.override("en"):
        response = client.get(reverse("operations:runs"), HTTP_ACCEPT_LANGUAGE="en")
    assert response.status_code == 200
    assert "no-store" in response["Cache-Control"]
    return response.content.decode()


def test_a_coordinator_sees_the_runs_and_the_next_ones_but_not_the_counts(
    runs: list[JobRun], verified_client_for: Callable[..., Client]
) -> None:
    org = Organization.objects.create(name="Red Violeta (demo)")
    page = _page(verified_client_for(_user("coord@example.org", Role.COORDINATOR, org)))
    assert "purge_cases" in page and "audit_verify" in page
    assert "Failed" in page and "CommandError" in page and "Done" in page
    assert "daily at 02:10" in page and "Next run" in page  # the schedule, with each job's next time
    assert "Purged 12 closed case(s)." not in page
    assert '<a href="/staff/operations/" aria-current="page">' in page  # in the staff menu, marked current


def test_a_platform_administrator_sees_the_counts(
    runs: list[JobRun], verified_client_for: Callable[..., Client]
) -> None:
    org = Organization.objects.create(name="Red Violeta (demo)")
    page = _page(verified_client_for(_user("admin@example.org", None, org, superuser=True)))
    assert "Purged 12 closed case(s)." in page and "CommandError" in page
    runs_table = page[page.index('id="runs"') :]
    assert "ConnectionError" in runs_table and "Moved 7 visit(s)" not in runs_table


def test_a_caseworker_neither_opens_it_nor_finds_it_in_the_menu(
    runs: list[JobRun], verified_client_for: Callable[..., Client]
) -> None:
    org = Organization.objects.create(name="Red Violeta (demo)")
    client = verified_client_for(_user("cw@example.org", Role.CASEWORKER, org))
    with translation.override("en"):
        assert client.get(reverse("operations:runs")).status_code == 404
        home = client.get(reverse("today:home"), HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert "/staff/operations/" not in home
