"""Retention of survey submissions: `manage.py purge_surveys` and a coordinator's purge of one form (DESIGN rule 7)."""

from __future__ import annotations

import io
from collections.abc import Callable, Iterator
from datetime import timedelta
from typing import Any

import pytest
from django.core.management import call_command
from django.test import Client
from django.urls import reverse
from django.utils import timezone, translation

from amparo.accounts.models import Membership, Organization, User
from amparo.accounts.roles import Role
from amparo.audit.models import AuditEntry
from amparo.surveys.models import Attachment, Form, FormVersion, Submission
from amparo.surveys.services import IncomingFile
from amparo.surveys.tests.factories import make_form, make_submission

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _english() -> Iterator[None]:
    with translation.override("en"):
        yield


@pytest.fixture
def organization() -> Organization:
    return Organization.objects.create(name="Red Violeta")


def submission_aged(version: FormVersion, days: int, *, photo: bool = True) -> Submission:
    attachments = (IncomingFile("p.jpg", "image/jpeg", b"\xff\xd8\xff" + b"x" * 100),) if photo else ()
    submission = make_submission(version, {"photo": "p.jpg"} if photo else None, attachments=attachments)
    Submission.objects.filter(pk=submission.pk).update(received_at=timezone.now() - timedelta(days=days))
    return submission


def test_new_forms_take_the_retention_setting(organization: Organization, settings: Any) -> None:
    settings.SURVEYS_RETENTION_DAYS = 30
    assert make_form(organization).form.retention_days == 30


def test_purge_surveys_deletes_what_is_past_each_forms_retention(organization: Organization) -> None:
    short = make_form(organization, form_id="short")
    Form.objects.filter(pk=short.form_id).update(retention_days=90)
    long = make_form(organization, form_id="long")
    Form.objects.filter(pk=long.form_id).update(retention_days=400)
    old_short = [submission_aged(short, 100), submission_aged(short, 91, photo=False)]
    kept_short = submission_aged(short, 89)
    kept_long = submission_aged(long, 100)
    old_long = submission_aged(long, 401)

    dry = io.StringIO()
    call_command("purge_surveys", "--dry-run", stdout=dry)
    assert "Would purge 2 submission(s) and 1 attachment(s) of form short" in dry.getvalue()
    assert "Would purge 1 submission(s) and 1 attachment(s) of form long" in dry.getvalue()
    assert Submission.objects.count() == 5 and not AuditEntry.objects.filter(action__startswith="survey.purge")

    out = io.StringIO()
    call_command("purge_surveys", stdout=out)
    assert "Purged 3 survey submission(s) in 2 form(s)." in out.getvalue()
    assert set(Submission.objects.values_list("pk", flat=True)) == {kept_short.pk, kept_long.pk}
    gone = [s.pk for s in [*old_short, old_long]]
    assert not Attachment.objects.filter(submission_id__in=gone).exists()
    assert Attachment.objects.filter(submission_id__in=[kept_short.pk, kept_long.pk]).count() == 2
    entries = {e.object_id: e for e in AuditEntry.objects.filter(action="survey.purge")}
    assert entries[str(short.form.uuid)].detail == {
        "reason": "retention",
        "retention_days": 90,
        "submissions": 2,
        "attachments": 1,
    }
    assert entries[str(long.form.uuid)].detail["submissions"] == 1
    assert entries[str(long.form.uuid)].actor_label == "system"
    assert entries[str(long.form.uuid)].organization_id == organization.pk

    # nothing left to do: no entry for forms that lost nothing
    call_command("purge_surveys", stdout=io.StringIO())
    assert AuditEntry.objects.filter(action="survey.purge").count() == 2


def test_purge_is_chunked_and_whole(organization: Organization, monkeypatch: pytest.MonkeyPatch) -> None:
    from amparo.surveys import retention

    monkeypatch.setattr(retention, "CHUNK", 2)  # several rounds of deletion inside the form's one transaction
    version = make_form(organization)
    for _n in range(5):
        submission_aged(version, 800, photo=False)
    submission_aged(version, 10, photo=False)
    [count] = retention.purge_expired()
    assert count.submissions == 5 and Submission.objects.count() == 1


@pytest.fixture
def coordinator_client(organization: Organization, verified_client_for: Callable[..., Client]) -> tuple[User, Client]:
    user = User.objects.create_user(username="coord@example.org", email="coord@example.org", password="x" * 16)
    Membership.objects.create(user=user, organization=organization, role=Role.COORDINATOR)
    return user, verified_client_for(user, HTTP_ACCEPT_LANGUAGE="en")


def test_a_coordinator_changes_retention_and_purges_a_form_now(
    organization: Organization, coordinator_client: tuple[User, Client]
) -> None:
    user, client = coordinator_client
    version = make_form(organization)
    form = version.form
    url = reverse("surveys:retention", args=[form.uuid])
    old = submission_aged(version, 100)
    recent = submission_aged(version, 5)

    page = client.get(url)
    assert page.status_code == 200
    assert "2 submissions kept" in page.content.decode()
    assert "0 past the retention period" in page.content.decode()

    assert client.post(url, {"action": "retention", "retention_days": "0"}).status_code == 400
    assert client.post(url, {"action": "retention", "retention_days": "60"}).status_code == 302
    form.refresh_from_db()
    assert form.retention_days == 60
    change = AuditEntry.objects.get(action="survey.retention.change")
    assert change.detail == {"from": 730, "to": 60} and change.actor_id == user.pk
    assert "1 past the retention period" in client.get(url).content.decode()

    # a wrong confirmation deletes nothing
    refused = client.post(url, {"action": "purge", "scope": "expired", "confirm": "amparo"})
    assert refused.status_code == 400 and "Type the form id exactly" in refused.content.decode()
    assert Submission.objects.count() == 2
    assert client.post(url, {"action": "nothing"}).status_code == 400

    done = client.post(url, {"action": "purge", "scope": "expired", "confirm": form.form_id}, follow=True)
    assert "1 submission deleted, with 1 attachment(s)." in done.content.decode()
    assert list(Submission.objects.values_list("pk", flat=True)) == [recent.pk]
    assert not Submission.objects.filter(pk=old.pk).exists()
    entry = AuditEntry.objects.get(action="survey.purge")
    assert entry.detail == {"reason": "expired", "retention_days": 60, "submissions": 1, "attachments": 1}
    assert entry.actor_id == user.pk

    client.post(url, {"action": "purge", "scope": "all", "confirm": form.form_id})
    assert not Submission.objects.filter(form=form).exists() and not Attachment.objects.exists()
    assert AuditEntry.objects.get(action="survey.purge.form").detail["submissions"] == 1
    assert Form.objects.filter(pk=form.pk).exists()  # the form and its versions stay: only submissions go


def test_another_organisations_coordinator_cannot_purge(
    organization: Organization, verified_client_for: Callable[..., Client]
) -> None:
    version = make_form(organization)
    submission_aged(version, 1000)
    other = Organization.objects.create(name="Otra")
    outsider = User.objects.create_user(username="out@example.org", email="out@example.org", password="x" * 16)
    Membership.objects.create(user=outsider, organization=other, role=Role.COORDINATOR)
    client = verified_client_for(outsider)
    url = reverse("surveys:retention", args=[version.form.uuid])
    assert client.get(url).status_code == 404
    assert client.post(url, {"action": "purge", "scope": "all", "confirm": "amparo_test"}).status_code == 404
    assert Submission.objects.count() == 1
