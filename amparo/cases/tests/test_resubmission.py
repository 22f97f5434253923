"""Every create form of the case pages is idempotent (core/once.py): notes, case files, transfer proposals and
answers, legal matters, legal dates and legal documents. The same form sent twice (a double click, a retry) and
the same content sent from a form fetched anew (Back, then send again) find what the first submission made and
never make a second record; different content is a new record."""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import timedelta
from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.utils import timezone

from amparo.audit.models import AuditEntry
from amparo.cases.models import Case, CaseFile, CaseNote, CaseTransfer, LegalDocument, LegalEvent, LegalMatter
from amparo.core.models import FormToken
from amparo.safechannel.tests.conftest import small_pdf

from .conftest import CaseWorld, open_case

pytestmark = pytest.mark.django_db


@pytest.fixture
def client_for(verified_client_for: Callable[..., Client]) -> Callable[..., Client]:
    def make(user: object) -> Client:
        return verified_client_for(user, HTTP_ACCEPT_LANGUAGE="en")

    return make


def token(client: Client, url: str, name: str = "form_token", *, after: str = "") -> str:
    """The one-time token of a form on the page (the first after `after`, when the page holds several forms)."""
    page = client.get(url)
    assert page.status_code == 200, (url, page.status_code)
    html = page.content.decode()
    html = html[html.index(after) :] if after else html
    match = re.search(rf'name="{name}" value="([^"]+)"', html)
    assert match, f"no {name} on {url}"
    return match.group(1)


def last_message(response: Any) -> str:
    """The message the response left for the next page (those of earlier responses were not shown yet)."""
    return [str(m) for m in response.wsgi_request._messages][-1]


def test_a_resubmitted_note_is_saved_once(case_world: CaseWorld, client_for: Callable[..., Client]) -> None:
    case = open_case(case_world)
    client = client_for(case_world.staff["caseworker"])
    page = f"/staff/cases/{case.uuid}/notes/"
    url = f"/staff/cases/{case.uuid}/notes/add/"
    note = {"noted_on": timezone.localdate().isoformat(), "text": "Llamada: acepta ir a la Fiscalía el martes."}
    first = token(client, page)
    assert client.post(url, {**note, "form_token": first}).status_code == 302
    again = client.post(url, {**note, "form_token": first})  # a double click
    assert again.status_code == 302 and again["Location"] == page
    assert last_message(again) == "This note was already saved."
    back = client.post(url, {**note, "form_token": token(client, page)})  # Back: a new token, what she typed
    assert back.status_code == 302 and CaseNote.objects.count() == 1
    assert AuditEntry.objects.filter(action="case.note.add").count() == 1
    other = client.post(url, {**note, "text": "Segunda llamada.", "form_token": token(client, page)})
    assert other.status_code == 302 and CaseNote.objects.count() == 2


def test_the_same_case_file_sent_again_is_stored_once(case_world: CaseWorld, client_for: Callable[..., Client]) -> None:
    case = open_case(case_world)
    client = client_for(case_world.staff["caseworker"])
    page = f"/staff/cases/{case.uuid}/notes/"
    url = f"/staff/cases/{case.uuid}/files/"
    first = token(client, page, after='enctype="multipart/form-data"')

    def upload(form_token: str, content: bytes = small_pdf()) -> Any:
        return client.post(url, {"form_token": form_token, "file": SimpleUploadedFile("informe.pdf", content)})

    assert upload(first).status_code == 302
    again = upload(first)
    assert again.status_code == 302 and again["Location"] == f"{page}#files"
    assert last_message(again) == "This file was already stored."
    assert upload(token(client, page, after='enctype="multipart/form-data"')).status_code == 302
    assert CaseFile.objects.count() == 1
    different = upload(token(client, page, after='enctype="multipart/form-data"'), small_pdf() + b"% otra\n")
    assert different.status_code == 302 and CaseFile.objects.count() == 2
    # A forged token is a message, not a server error, and stores nothing.
    assert upload("<script>").status_code == 302 and CaseFile.objects.count() == 2


def test_a_resubmitted_transfer_proposal_and_answer_make_one_transfer_and_one_case(
    case_world: CaseWorld, client_for: Callable[..., Client]
) -> None:
    case = open_case(case_world)
    sender = client_for(case_world.staff["coordinator"])
    url = f"/staff/cases/{case.uuid}/transfer/"
    proposal = {
        "to_organization": case_world.other.pk, "consent_method": "written", "consent": "on",
        "travels": ["profile"], "reason": "Se muda.", "form_token": token(sender, url),
    }  # fmt: skip
    assert sender.post(url, proposal).status_code == 302
    again = sender.post(url, proposal)
    assert again.status_code == 302 and again["Location"] == f"/staff/cases/{case.uuid}/"
    assert last_message(again) == "This transfer was already proposed."
    assert sender.post(url, {**proposal, "form_token": token(sender, url)}).status_code == 302
    transfer = CaseTransfer.objects.get()
    assert AuditEntry.objects.filter(action="case.transfer.request").count() == 1

    receiver = client_for(case_world.staff["outsider_coord"])
    decide = f"/staff/cases/transfers/{transfer.uuid}/"
    assert receiver.post(decide, {"decision": "accept"}).status_code == 302
    transfer.refresh_from_db()
    assert transfer.new_case is not None
    # Sent again: the case the first answer opened, never a second one.
    again = receiver.post(decide, {"decision": "accept"})
    assert again.status_code == 302 and again["Location"] == f"/staff/cases/{transfer.new_case.uuid}/team/"
    assert Case.objects.filter(organization=case_world.other).count() == 1
    assert AuditEntry.objects.filter(action="case.transfer.accept").count() == 1
    # Nobody else learns anything from it: the sending side and other organisations still get 404.
    assert sender.post(decide, {"decision": "accept"}).status_code == 404


def test_a_resubmitted_legal_matter_date_and_document_are_recorded_once(
    case_world: CaseWorld, client_for: Callable[..., Client]
) -> None:
    case = open_case(case_world)
    client = client_for(case_world.staff["caseworker"])
    url = f"/staff/cases/{case.uuid}/legal/new/"
    matter_form = {"kind": "criminal_complaint", "parties": "Partes-Ocre", "form_token": token(client, url)}
    opened = client.post(url, matter_form)
    assert opened.status_code == 302
    matter = LegalMatter.objects.get()
    again = client.post(url, matter_form)
    assert again.status_code == 302 and again["Location"] == opened["Location"] == f"/staff/cases/legal/{matter.uuid}/"
    assert last_message(again) == "This legal matter was already opened."
    assert client.post(url, {**matter_form, "form_token": token(client, url)})["Location"] == opened["Location"]
    assert LegalMatter.objects.count() == 1 and AuditEntry.objects.filter(action="legal.matter.open").count() == 1

    page = f"/staff/cases/legal/{matter.uuid}/"
    due = (timezone.localtime() + timedelta(days=9)).strftime("%Y-%m-%dT%H:%M")
    event = {"action": "event", "event-kind": "hearing", "event-due_at": due, "event-description": "Sala 3"}
    first = token(client, page, "event-form_token")
    assert client.post(page, {**event, "event-form_token": first}).status_code == 302
    again = client.post(page, {**event, "event-form_token": first})
    assert again.status_code == 302 and last_message(again) == "This date was already added."
    assert client.post(page, {**event, "event-form_token": token(client, page, "event-form_token")}).status_code == 302
    assert LegalEvent.objects.count() == 1
    other_date = {**event, "event-description": "Sala 4", "event-form_token": token(client, page, "event-form_token")}
    assert client.post(page, other_date).status_code == 302 and LegalEvent.objects.count() == 2

    upload_url = f"/staff/cases/legal/{matter.uuid}/documents/"
    first = token(client, page, after='enctype="multipart/form-data"')
    for form_token in (first, first, token(client, page, after='enctype="multipart/form-data"')):
        sent = client.post(upload_url, {"form_token": form_token, "file": SimpleUploadedFile("acta.pdf", small_pdf())})
        assert sent.status_code == 302 and sent["Location"] == f"{page}#documents"
    assert LegalDocument.objects.count() == 1
    assert AuditEntry.objects.filter(action="legal.document.add").count() == 1
    # Every token spent belongs to the person who sent the form, and holds no value of what she sent.
    assert set(FormToken.objects.values_list("user_id", flat=True)) == {case_world.staff["caseworker"].pk}
    assert not FormToken.objects.filter(fingerprint__contains="Partes").exists()
