"""Issue 13, items 2 and 6: the case search through the blind index (scoped, audited without the terms, nothing
decrypted but the candidates), the list's filters and sorting, dated encrypted notes, encrypted case files bounded
before decoding, and the printable summary."""

from __future__ import annotations

import io
import re
from collections.abc import Callable
from datetime import timedelta
from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test import Client
from django.utils import timezone
from PIL import Image

from amparo.audit.models import AuditEntry
from amparo.cases import casework_services, services
from amparo.cases.models import Case, CaseFile, CaseNote, CaseSearchToken
from amparo.cases.search import code_of, search_cases
from amparo.core import blind_index, uploads
from amparo.safechannel.tests.conftest import PDF_MARKER, jpeg_with_metadata, small_pdf

from .conftest import CaseWorld, open_case

pytestmark = pytest.mark.django_db

NAME = "Valentina Secreta-Rubí"
DOCUMENT = "PPT 99887766"


@pytest.fixture
def client_for(verified_client_for: Callable[..., Client]) -> Callable[..., Client]:
    def make(user: object) -> Client:
        return verified_client_for(user, HTTP_ACCEPT_LANGUAGE="en")

    return make


def _codes(html: str) -> set[str]:
    """The case codes listed as results (after the search form, which shows what was typed)."""
    return set(re.findall(r">(C-[A-Z2-9]{4}-[A-Z2-9]{4})</a>", html.split("</form>")[-1]))


# --- The blind index --------------------------------------------------------------------------------------------


def test_tokens_are_folded_and_documents_compacted() -> None:
    assert blind_index.word_tokens("  VALENTINA  secreta-Rubí ") == ["valentina", "secreta", "rubi"]
    assert blind_index.word_tokens("Ñandú Ñandú") == ["nandu"]
    assert blind_index.compact_tokens("PPT 9.988.776-6") == ["ppt99887766", "99887766"]
    assert blind_index.compact_tokens("x") == []
    assert code_of(" c-abcd-2345 ") == "C-ABCD-2345" and code_of("CABCD2345") == "C-ABCD-2345"
    assert code_of("Valentina") is None


def test_the_index_holds_keyed_truncated_hmacs_not_the_text(case_world: CaseWorld, settings: Any) -> None:
    case = open_case(case_world)
    rows = list(CaseSearchToken.objects.filter(case=case).values_list("field", "token"))
    assert sorted(field for field, _ in rows) == ["document", "document", "name", "name", "name"]
    for _field, token in rows:
        assert re.fullmatch(r"[0-9a-f]{8}", token)
        assert token not in {"valentina", "secreta", "rubi", "99887766"}
    # Keyed per organisation and field: the same name in another organisation gives other tokens.
    other = services.case_open(
        actor=case_world.staff["outsider"],
        organization=case_world.other,
        intake=services.Intake(full_name=NAME, consents=["services"]),
    )
    mine = set(CaseSearchToken.objects.filter(case=case, field="name").values_list("token", flat=True))
    theirs = set(CaseSearchToken.objects.filter(case=other, field="name").values_list("token", flat=True))
    assert mine and theirs and not mine & theirs
    # Another key gives other tokens (the key is CASE_SEARCH_KEY, not the encryption keys).
    before = blind_index.blind_token("org:1", "name", "valentina")
    settings.CASE_SEARCH_KEY = "another-key-for-the-search-index-0123456789"
    assert blind_index.blind_token("org:1", "name", "valentina") != before


def test_search_finds_by_code_name_and_document_within_scope(
    case_world: CaseWorld, client_for: Callable[..., Client]
) -> None:
    case = open_case(case_world)
    other = services.case_open(
        actor=case_world.staff["outsider"],
        organization=case_world.other,
        intake=services.Intake(full_name=NAME, document=DOCUMENT, consents=["services"]),
    )
    mine = client_for(case_world.staff["caseworker"])
    for query in (case.code.lower(), "valentina rubí", "RUBI", "99887766", "ppt-99887766", "secreta  VALENTINA"):
        page = mine.post("/staff/cases/search/", {"q": query})
        assert page.status_code == 200
        assert _codes(page.content.decode()) == {case.code}, query
    for query in ("Vale", "valentina maría", "12345678", "C-ZZZZ-ZZZZ", "🙂", "%", ""):
        page = mine.post("/staff/cases/search/", {"q": query})
        assert page.status_code in {200, 400} and not _codes(page.content.decode()), query
    # A caseworker not on the case, and another organisation, find nothing of it.
    assert not _codes(
        client_for(case_world.staff["caseworker2"]).post("/staff/cases/search/", {"q": NAME}).content.decode()
    )
    theirs = client_for(case_world.staff["outsider_coord"]).post("/staff/cases/search/", {"q": NAME}).content.decode()
    assert _codes(theirs) == {other.code}
    # The coordinator sees her organisation's case; too long a query is a form message, never a 500.
    assert _codes(
        client_for(case_world.staff["coordinator"]).post("/staff/cases/search/", {"q": "99887766"}).content.decode()
    ) == {case.code}
    long = mine.post("/staff/cases/search/", {"q": "a" * 2000})
    assert long.status_code == 400 and 'role="alert"' in long.content.decode()


def test_a_changed_name_is_reindexed(case_world: CaseWorld) -> None:
    case = open_case(case_world)
    services.case_update(actor=case_world.staff["caseworker"], case=case, changes={"full_name": "Luna Nueva"})
    visible = Case.objects.all()
    assert [c.pk for c in search_cases(visible, "luna").cases] == [case.pk]
    assert search_cases(visible, "valentina").cases == []
    assert [c.pk for c in search_cases(visible, "99887766").cases] == [case.pk]  # the document is unchanged


def test_a_colliding_token_is_dropped_by_decrypting_only_the_candidate(case_world: CaseWorld) -> None:
    case = open_case(case_world)
    # Plant the token of "maria" on this case, as a truncated HMAC collision would: it is a candidate, not a result.
    scope = f"org:{case.organization_id}"
    CaseSearchToken.objects.create(case=case, field="name", token=blind_index.blind_token(scope, "name", "maria"))
    assert search_cases(Case.objects.all(), "maria").cases == []


def test_searching_is_audited_without_the_terms(case_world: CaseWorld, client_for: Callable[..., Client]) -> None:
    case = open_case(case_world)
    before = AuditEntry.objects.count()
    client_for(case_world.staff["caseworker"]).post("/staff/cases/search/", {"q": "Valentina Secreta"})
    entries = list(AuditEntry.objects.order_by("seq")[before:])
    actions = [e.action for e in entries]
    assert "case.search" in actions and "case.search.read" in actions
    search = next(e for e in entries if e.action == "case.search")
    # Two words of a name, and the two together as a document number would be typed: 3 lookups, never the words.
    assert search.detail == {"kind": "name_or_document", "terms": 3, "results": 1}
    listing = next(e for e in entries if e.action == "case.search.read")
    assert listing.detail["codes"] == [case.code]
    text = " ".join(f"{e.detail} {e.object_id} {e.object_type}" for e in entries).casefold()
    # A search that finds nothing (here: someone who sees no case) is recorded too.
    client_for(case_world.staff["caseworker2"]).post("/staff/cases/search/", {"q": "Valentina"})
    nothing = AuditEntry.objects.filter(action="case.search", actor_id=case_world.staff["caseworker2"].pk).get()
    assert nothing.detail["results"] == 0 and nothing.organization_id == case_world.org.pk
    assert "valentina" not in text and "secreta" not in text


# --- The list: filters and sorting ------------------------------------------------------------------------------


def test_the_list_filters_by_worker_risk_and_status_and_sorts_by_activity(
    case_world: CaseWorld, client_for: Callable[..., Client]
) -> None:
    first = open_case(case_world)
    second = open_case(case_world, by="caseworker2")
    services.risk_assess(
        actor=case_world.staff["caseworker"], case=first, persecution="yes", indicators=[], safety_plan=""
    )
    Case.objects.filter(pk=first.pk).update(opened_at=timezone.now() - timedelta(days=30))
    coordinator = client_for(case_world.staff["coordinator"])
    level = first.risk_assessments.get().level

    def listed(query: str) -> list[str]:
        page = coordinator.get(f"/staff/cases/?{query}")
        assert page.status_code == 200, query
        return re.findall(r"C-[A-Z2-9]{4}-[A-Z2-9]{4}", page.content.decode())

    assert listed("") == [second.code, first.code]  # opened, newest first
    assert listed(f"worker={case_world.staff['caseworker2'].pk}") == [second.code]
    assert listed(f"risk={level}") == [first.code]
    assert listed("risk=none") == [second.code]
    assert listed("status=closed") == []
    # The older case had activity just now (the assessment): first by last activity.
    assert listed("sort=activity") == [first.code, second.code]
    # A forged worker (not on any case she may see) or an unknown value: a form message and a 400, not a 500.
    assert coordinator.get(f"/staff/cases/?worker={case_world.staff['outsider'].pk}").status_code == 400
    assert coordinator.get("/staff/cases/?risk=extreme").status_code == 400
    assert coordinator.get("/staff/cases/?worker=%F0%9F%99%82").status_code == 400


# --- Notes ------------------------------------------------------------------------------------------------------


def test_notes_are_dated_encrypted_and_audited(case_world: CaseWorld, client_for: Callable[..., Client]) -> None:
    case = open_case(case_world)
    client = client_for(case_world.staff["caseworker"])
    today = timezone.localdate()
    saved = client.post(
        f"/staff/cases/{case.uuid}/notes/add/",
        {"noted_on": today.isoformat(), "text": "Nota-Ámbar-5521: acompañada a la fiscalía."},
    )
    assert saved.status_code == 302
    note = CaseNote.objects.get()
    assert note.noted_on == today and note.author == case_world.staff["caseworker"]
    with connection.cursor() as cursor:
        cursor.execute("SELECT text FROM cases_casenote")
        assert "Ámbar" not in cursor.fetchone()[0]
    assert AuditEntry.objects.filter(action="case.note.add", object_id=str(case.uuid)).count() == 1
    page = client.get(f"/staff/cases/{case.uuid}/notes/")
    assert "Nota-Ámbar-5521" in page.content.decode()
    # The date field is filled with today in the form a date input reads, whatever the page's language.
    assert f'value="{today.isoformat()}"' in page.content.decode()
    assert AuditEntry.objects.filter(action="case.read", object_id=str(case.uuid), detail__part="notes").exists()
    # A future date, an empty note, a bad date: the form says so (400), nothing stored.
    for data in (
        {"noted_on": (today + timedelta(days=3)).isoformat(), "text": "x"},
        {"noted_on": today.isoformat(), "text": ""},
        {"noted_on": "2024-02-31", "text": "x"},
    ):
        refused = client.post(f"/staff/cases/{case.uuid}/notes/add/", data)
        assert refused.status_code == 400 and 'class="errorlist' in refused.content.decode(), data
    assert CaseNote.objects.count() == 1
    # Someone not on the case gets the same 404 as for a case that does not exist.
    assert client_for(case_world.staff["caseworker2"]).get(f"/staff/cases/{case.uuid}/notes/").status_code == 404


# --- Files ------------------------------------------------------------------------------------------------------


def test_case_files_are_checked_encrypted_and_read_with_audit(
    case_world: CaseWorld, client_for: Callable[..., Client], settings: Any
) -> None:
    case = open_case(case_world)
    client = client_for(case_world.staff["caseworker"])
    url = f"/staff/cases/{case.uuid}/files/"
    for name, data in (("informe-hospital.pdf", small_pdf()), ("lesion.jpg", jpeg_with_metadata())):
        assert client.post(url, {"file": SimpleUploadedFile(name, data)}).status_code == 302
    disguised = client.post(url, {"file": SimpleUploadedFile("foto.jpg", small_pdf())})
    assert disguised.status_code == 302 and CaseFile.objects.count() == 2  # refused with a message
    stored = b"".join(p.read_bytes() for p in settings.CASES_STORAGE_DIR.rglob("*.bin"))
    assert stored and PDF_MARKER not in stored and b"SecretPhone" not in stored
    with connection.cursor() as cursor:
        cursor.execute("SELECT name FROM cases_casefile")
        assert all("informe" not in row[0] for row in cursor.fetchall())
    pdf = CaseFile.objects.get(content_type="application/pdf")
    download = client.get(f"/staff/cases/{case.uuid}/files/{pdf.uuid}/")
    assert download.status_code == 200 and PDF_MARKER in download.content
    assert "no-store" in download["Cache-Control"]
    assert AuditEntry.objects.filter(action="case.file.read", detail__file=str(pdf.uuid)).count() == 1
    photo = CaseFile.objects.get(content_type="image/jpeg")
    assert b"SecretPhone" not in client.get(f"/staff/cases/{case.uuid}/files/{photo.uuid}/").content
    # Another case's file id under this case: 404.
    other_case = open_case(case_world)
    assert client.get(f"/staff/cases/{other_case.uuid}/files/{pdf.uuid}/").status_code == 404


def test_an_over_limit_file_is_not_read_or_decoded(
    case_world: CaseWorld, client_for: Callable[..., Client], settings: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    decoded: list[Any] = []
    real = uploads.decode

    def counting(image: Any) -> None:
        decoded.append(image.size)
        real(image)

    monkeypatch.setattr(uploads, "decode", counting)
    settings.SAFECHANNEL_MAX_FILE_BYTES = 50_000
    out = io.BytesIO()
    Image.new("RGB", (6300, 6300)).save(out, format="PNG", optimize=True)  # ~100 KB on disk, 119 MB decoded
    case = open_case(case_world)
    response = client_for(case_world.staff["caseworker"]).post(
        f"/staff/cases/{case.uuid}/files/", {"file": SimpleUploadedFile("bomb.png", out.getvalue())}, follow=True
    )
    assert response.status_code == 200 and "at most" in response.content.decode()
    assert decoded == [] and not CaseFile.objects.exists()


# --- The printable summary --------------------------------------------------------------------------------------


def test_the_summary_shows_identity_and_her_words_only_when_asked(
    case_world: CaseWorld, client_for: Callable[..., Client]
) -> None:
    case = open_case(case_world)
    casework_services.case_note_add(
        actor=case_world.staff["caseworker"], case=case, noted_on=timezone.localdate(), text="Nota-Ámbar-5521"
    )
    client = client_for(case_world.staff["caseworker"])
    plain = client.get(f"/staff/cases/{case.uuid}/summary/").content.decode()
    assert case.code in plain
    for secret in ("Secreta-Rubí", "555 0142", "99887766", "Calle Oculta", "Turquesa-7731", "Nota-Ámbar-5521"):
        assert secret not in plain, secret
    full = client.get(f"/staff/cases/{case.uuid}/summary/?identity=1&narrative=1").content.decode()
    for secret in ("Secreta-Rubí", "99887766", "Turquesa-7731", "Nota-Ámbar-5521"):
        assert secret in full, secret
    reads = AuditEntry.objects.filter(action="case.read", object_id=str(case.uuid), detail__part="summary")
    assert sorted((e.detail["identity"], e.detail["narrative"]) for e in reads) == [(False, False), (True, True)]
    assert client_for(case_world.staff["outsider_coord"]).get(f"/staff/cases/{case.uuid}/summary/").status_code == 404


def test_the_summary_prints_clinical_windows_as_dates(case_world: CaseWorld, client_for: Callable[..., Client]) -> None:
    case = open_case(case_world)
    now = timezone.now()
    services.incident_record(
        actor=case_world.staff["caseworker"],
        case=case,
        occurred_at=now - timedelta(hours=5),
        time_known=True,
        first_reported_at=now,
        place=case_world.places["CO54001"],
        answers={"penetration": True},
        context_tags=[],
        perpetrator_types=["client"],
        perpetrator_count=1,
        description="",
    )
    page = client_for(case_world.staff["caseworker"]).get(f"/staff/cases/{case.uuid}/summary/").content.decode()
    assert "PEP (HIV post-exposure prophylaxis) until" in page and "hours left" not in page


def test_case_files_and_legal_documents_download_the_same_way(
    case_world: CaseWorld, client_for: Callable[..., Client]
) -> None:
    """One download (core.responses.stored_file_download): the same headers, each read audited once, the same 404."""
    from amparo.cases import legal_services

    case = open_case(case_world)
    actor = case_world.staff["caseworker"]
    name = "Acta de audiencia – señora.pdf"
    case_file = casework_services.case_file_add(
        actor=actor, case=case, clean=uploads.CleanFile(name, "application/pdf", small_pdf())
    )
    matter = legal_services.legal_matter_open(actor=actor, case=case, kind="custody")
    document = legal_services.legal_document_add(
        actor=actor, matter=matter, clean=uploads.CleanFile(name, "application/pdf", small_pdf())
    )
    client = client_for(actor)
    by_file = client.get(f"/staff/cases/{case.uuid}/files/{case_file.uuid}/")
    by_document = client.get(f"/staff/cases/legal/{matter.uuid}/documents/{document.uuid}/")
    assert by_file.content == by_document.content == small_pdf()
    for header in ("Content-Type", "Content-Disposition", "Cache-Control", "Content-Length"):
        assert by_file[header] == by_document[header], header
    assert by_file["Content-Disposition"].startswith("attachment; ") and "no-store" in by_file["Cache-Control"]
    assert AuditEntry.objects.filter(action="case.file.read").count() == 1
    assert AuditEntry.objects.filter(action="legal.document.read").count() == 1
    other = open_case(case_world)
    assert client.get(f"/staff/cases/{other.uuid}/files/{case_file.uuid}/").status_code == 404
    assert client.get(f"/staff/cases/legal/{matter.uuid}/documents/{case_file.uuid}/").status_code == 404
