"""The situation reports' staff pages: the button that queues a background task, the worker that builds it, the
status, the download; bad input as form messages (400), other organisations and password-only sessions refused."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, timedelta
from typing import Any

import pytest
from django.core.management import call_command
from django.test import Client
from django.urls import reverse
from django.utils import timezone, translation
from django_tasks_db.models import DBTaskResult

from amparo.audit.models import AuditEntry
from amparo.insights.models import ReportFailure, ReportScope, ReportStatus, SituationReport
from amparo.insights.report_services import ReportRequest, report_build, report_request, reports_recover
from amparo.insights.tasks import build_situation_report

from .report_world import PERIOD, World, add_cases, build_world

pytestmark = pytest.mark.django_db


@pytest.fixture
def world() -> World:
    world = build_world()
    add_cases(world.org, "CO54001", 14, date(2026, 2, 1))
    add_cases(world.org, "CO11001", 3, date(2026, 3, 1))
    return world


def _form(**changes: Any) -> dict[str, Any]:
    data = {
        "scope": "organisation",
        "country": "",
        "first_month": "2026-01",
        "last_month": "2026-06",
        "language": "en",
        "form_token": "tok-" + "a" * 20,
    }
    return {**data, **changes}


def _built(world: World, organization: Any = None) -> SituationReport:
    request = ReportRequest(
        scope_kind=ReportScope.ORGANISATION, start=PERIOD[0], end=PERIOD[1], language="en", scope_organization=world.org
    )
    report = report_build(report_request(actor=None, organization=organization or world.org, request=request).pk)
    assert report is not None and report.status == ReportStatus.BUILT
    return report


@pytest.mark.django_db(transaction=True)
def test_the_button_queues_a_task_that_the_worker_builds(
    world: World, verified_client_for: Callable[..., Client]
) -> None:
    client = verified_client_for(world.users["coordinator"], HTTP_ACCEPT_LANGUAGE="en")
    page = client.get(reverse("insights_reports:new"))
    assert page.status_code == 200 and 'name="form_token"' in page.content.decode()
    answer = client.post(reverse("insights_reports:new"), _form(organization=world.org.pk))
    report = SituationReport.objects.get()
    assert answer.status_code == 302 and answer["Location"] == reverse("insights_reports:detail", args=[report.uuid])
    assert report.status == ReportStatus.QUEUED and report.requested_by == world.users["coordinator"]
    (task,) = DBTaskResult.objects.all()  # stored with the report, in the same transaction
    status = client.get(answer["Location"]).content.decode()
    assert "Waiting to be built" in status and reverse("insights_reports:pdf", args=[report.uuid]) not in status
    # The real worker of django-tasks-db (`manage.py db_worker`) picks the task and builds the report.
    call_command("db_worker", batch=True, interval=0, no_startup_delay=True, worker_id="test")
    task.refresh_from_db()
    assert task.status == "SUCCESSFUL"
    report.refresh_from_db()
    assert report.status == ReportStatus.BUILT
    status = client.get(answer["Location"]).content.decode()
    assert "Ready" in status and reverse("insights_reports:pdf", args=[report.uuid]) in status
    listing = client.get(reverse("insights_reports:list")).content.decode()
    assert reverse("insights_reports:pdf", args=[report.uuid]) in listing
    download = client.get(reverse("insights_reports:pdf", args=[report.uuid]))
    assert download.status_code == 200 and download["Content-Type"] == "application/pdf"
    assert download["Content-Disposition"].startswith("attachment;") and ".pdf" in download["Content-Disposition"]
    assert "no-store" in download["Cache-Control"]
    assert download.content == bytes(report.pdf or b"")
    entry = AuditEntry.objects.filter(action="insights.report.download").get()
    assert entry.actor_id == world.users["coordinator"].pk and entry.object_id == str(report.uuid)


def test_a_resubmitted_form_asks_for_one_report(world: World, verified_client_for: Callable[..., Client]) -> None:
    client = verified_client_for(world.users["coordinator"], HTTP_ACCEPT_LANGUAGE="en")
    first = client.post(reverse("insights_reports:new"), _form(organization=world.org.pk))
    again = client.post(reverse("insights_reports:new"), _form(organization=world.org.pk))
    report = SituationReport.objects.get()
    assert first["Location"] == again["Location"] == reverse("insights_reports:detail", args=[report.uuid])
    assert DBTaskResult.objects.count() == 1


def test_bad_input_is_a_form_message_never_a_500(world: World, verified_client_for: Callable[..., Client]) -> None:
    coordinator = verified_client_for(world.users["coordinator"], HTTP_ACCEPT_LANGUAGE="en")
    analyst = verified_client_for(world.users["analyst"], HTTP_ACCEPT_LANGUAGE="en")
    cases = [
        (coordinator, _form(organization=world.org.pk, scope="planet"), "not one of the available choices"),
        (coordinator, _form(organization=world.org.pk, first_month="2026-06", last_month="2026-01"), "empty"),
        (coordinator, _form(organization=world.org.pk, first_month="2024-01", last_month="2026-06"), "at most 24"),
        (coordinator, _form(organization=world.org.pk, first_month="enero"), "not a month"),
        (coordinator, _form(organization=world.org.pk, scope="country", country="ZZ"), "Choose the country"),
        (coordinator, _form(organization=world.org.pk, scope="country", country=""), "Choose the country"),
        (coordinator, _form(organization=world.other.pk), "not one of the available choices"),
        (coordinator, _form(organization=world.org.pk, form_token="<script>"), "out of date"),
        (analyst, _form(organization=world.org.pk, scope="region"), "Only a coordinator"),
        (coordinator, {}, "This field is required"),
    ]
    for client, data, words in cases:
        with translation.override("en"):
            answer = client.post(reverse("insights_reports:new"), data)
        assert answer.status_code == 400, (data, answer.status_code)
        assert words in answer.content.decode(), (data, words)
    assert not SituationReport.objects.exists()


def test_an_analyst_asks_for_her_organisation_and_a_coordinator_for_a_country(
    world: World, verified_client_for: Callable[..., Client]
) -> None:
    analyst = verified_client_for(world.users["analyst"], HTTP_ACCEPT_LANGUAGE="en")
    assert analyst.post(reverse("insights_reports:new"), _form(organization=world.org.pk)).status_code == 302
    coordinator = verified_client_for(world.users["coordinator"], HTTP_ACCEPT_LANGUAGE="en")
    data = _form(organization=world.org.pk, scope="country", country="CO", form_token="tok-" + "b" * 20)
    assert coordinator.post(reverse("insights_reports:new"), data).status_code == 302
    country = SituationReport.objects.get(scope_kind=ReportScope.COUNTRY)
    assert country.organization == world.org and country.scope_country == "CO" and country.threshold == 11
    assert set(SituationReport.objects.values_list("status", flat=True)) == {ReportStatus.QUEUED}
    # Each ends built by its task (run here by calling the task's function).
    for report in SituationReport.objects.all():
        assert build_situation_report.call(report.pk) == ReportStatus.BUILT


def test_a_failed_report_says_why_in_our_words(world: World, verified_client_for: Callable[..., Client]) -> None:
    request = ReportRequest(scope_kind=ReportScope.COUNTRY, start=PERIOD[0], end=PERIOD[1], language="en", country="PE")
    report = report_build(report_request(actor=None, organization=world.org, request=request).pk)
    assert report is not None and report.status == ReportStatus.FAILED
    client = verified_client_for(world.users["analyst"], HTTP_ACCEPT_LANGUAGE="en")
    page = client.get(reverse("insights_reports:detail", args=[report.uuid])).content.decode()
    assert "There are no figures for this scope in this period" in page and "Traceback" not in page
    download = client.get(reverse("insights_reports:pdf", args=[report.uuid]))
    assert download.status_code == 400 and "not built" in download.content.decode()


def test_other_organisations_and_password_only_sessions_reach_no_report(
    world: World, verified_client_for: Callable[..., Client]
) -> None:
    report = _built(world)
    platform = _built(world, organization=None)
    SituationReport.objects.filter(pk=platform.pk).update(organization=None)
    urls = [
        reverse("insights_reports:detail", args=[report.uuid]),
        reverse("insights_reports:pdf", args=[report.uuid]),
    ]
    outsider = verified_client_for(world.users["other_coordinator"])
    before = AuditEntry.objects.count()
    for url in urls:
        assert outsider.get(url).status_code == 404, url
    assert str(report.uuid) not in outsider.get(reverse("insights_reports:list")).content.decode()
    # A report built for no organisation is the platform administrators' alone.
    own = verified_client_for(world.users["coordinator"])
    assert own.get(reverse("insights_reports:detail", args=[platform.uuid])).status_code == 404
    assert own.get(reverse("insights_reports:detail", args=[report.uuid])).status_code == 200
    password_only = Client()
    password_only.force_login(world.users["coordinator"], backend="django.contrib.auth.backends.ModelBackend")
    for url in [*urls, reverse("insights_reports:list"), reverse("insights_reports:new")]:
        answer = password_only.get(url)
        assert answer.status_code == 302 and "/staff/" in answer["Location"] and "pdf" not in answer["Location"]
    caseworker = verified_client_for(world.users["caseworker"])
    assert caseworker.get(reverse("insights_reports:list")).status_code == 404
    assert AuditEntry.objects.count() == before  # nothing was read


def test_the_menu_leads_to_the_reports(world: World, verified_client_for: Callable[..., Client]) -> None:
    client = verified_client_for(world.users["analyst"], HTTP_ACCEPT_LANGUAGE="en")
    assert reverse("insights_reports:list") in client.get(reverse("today:home")).content.decode()
    caseworker = verified_client_for(world.users["caseworker"], HTTP_ACCEPT_LANGUAGE="en")
    assert reverse("insights_reports:list") not in caseworker.get(reverse("today:home")).content.decode()


def test_a_build_cut_short_is_said_at_once_and_recorded_as_interrupted(
    world: World, verified_client_for: Callable[..., Client], settings: Any
) -> None:
    """A worker that dies mid-build leaves the report "being built" for ever: the page stops asking to look again
    once the timeout has passed, and the daily command records it as failed so the person asks again."""
    settings.INSIGHTS_REPORT_BUILD_TIMEOUT_MINUTES = 30
    request = ReportRequest(
        scope_kind=ReportScope.ORGANISATION, start=PERIOD[0], end=PERIOD[1], language="en", scope_organization=world.org
    )
    dead = report_request(actor=None, organization=world.org, request=request)
    alive = report_request(actor=None, organization=world.org, request=request)
    now = timezone.now()
    SituationReport.objects.filter(pk=dead.pk).update(status=ReportStatus.BUILDING, started_at=now - timedelta(hours=2))
    SituationReport.objects.filter(pk=alive.pk).update(
        status=ReportStatus.BUILDING, started_at=now - timedelta(minutes=5)
    )
    client = verified_client_for(world.users["coordinator"], HTTP_ACCEPT_LANGUAGE="en")
    with translation.override("en"):
        page = client.get(reverse("insights_reports:detail", args=[dead.uuid])).content.decode()
        assert "probably cut short" in page and "Look again" not in page
        page = client.get(reverse("insights_reports:detail", args=[alive.uuid])).content.decode()
        assert "Look again" in page and "cut short" not in page
        assert "Cut short: ask again" in client.get(reverse("insights_reports:list")).content.decode()

    call_command("purge_situation_reports")
    dead.refresh_from_db()
    alive.refresh_from_db()
    assert (dead.status, dead.failure) == (ReportStatus.FAILED, ReportFailure.INTERRUPTED)
    assert alive.status == ReportStatus.BUILDING and alive.failure == ""
    entry = AuditEntry.objects.filter(action="insights.report.build").get()
    assert entry.detail["failure"] == "interrupted" and entry.object_id == str(dead.uuid)
    with translation.override("en"):
        page = client.get(reverse("insights_reports:detail", args=[dead.uuid])).content.decode()
    assert str(ReportFailure.INTERRUPTED.label) in page.replace("&#x27;", "'")
    # A second run finds nothing more; a build that ends late (it was alive after all) still records its PDF.
    assert reports_recover() == 0
    built = report_build(alive.pk)
    assert built is None  # not waiting: the worker that holds it finishes it, a second task does not start it again
    call_command("audit_verify")
