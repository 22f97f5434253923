"""Coordinators' pages for forms and phones (issue 14, items 1 and 2): uploading XLSForms (new forms, new versions,
broken ones refused whole with the reason, sheet and row), the files a version needs, opening and closing, who fills
a form, and the phones' credentials (secret shown once, hashed, revoked at once). Analysts read the lists only."""

from __future__ import annotations

import io
import re
import zipfile
from collections.abc import Callable
from typing import Any

import openpyxl
import pytest
from django.contrib.auth.hashers import check_password
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import reverse
from django.utils import translation

from amparo.accounts.models import Membership, Organization, User
from amparo.accounts.roles import Role
from amparo.audit.models import AuditEntry
from amparo.surveys.models import EnumeratorCredential, Form, FormVersion, MediaFile
from amparo.surveys.tests.factories import xlsform_bytes
from amparo.surveys.xlsform import XLSFormError, compile_xlsform

from .test_openrosa_http import MUNICIPIOS_CSV, media_xlsform

pytestmark = pytest.mark.django_db


@pytest.fixture
def org() -> Organization:
    return Organization.objects.create(name="Red Violeta")


def member(org: Organization, role: str, name: str | None = None) -> User:
    email = f"{name or role}@example.org"
    user = User.objects.create_user(username=email, email=email, password="x" * 16)
    Membership.objects.create(user=user, organization=org, role=role)
    return user


@pytest.fixture
def coordinator(org: Organization, verified_client_for: Callable[..., Client]) -> Client:
    return verified_client_for(member(org, Role.COORDINATOR), HTTP_ACCEPT_LANGUAGE="en")


def upload(client: Client, url: str, name: str, data: bytes) -> Any:
    return client.post(url, {"xlsform": SimpleUploadedFile(name, data)})


def workbook(survey: list[list[str]], choices: list[list[str]] | None = None, title: str = "survey") -> bytes:
    book = openpyxl.Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.title = title
    for row in survey:
        sheet.append(row)
    if choices is not None:
        extra = book.create_sheet("choices")
        for row in choices:
            extra.append(row)
    settings_sheet = book.create_sheet("settings")
    settings_sheet.append(["form_id", "version"])
    settings_sheet.append(["broken", "1"])
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


def test_a_coordinator_publishes_a_form_and_its_versions(org: Organization, coordinator: Client) -> None:
    url = reverse("surveys:form_upload", args=[org.uuid])
    assert coordinator.get(url).status_code == 200
    response = upload(coordinator, url, "encuesta.xlsx", xlsform_bytes())
    form = Form.objects.get()
    assert response.status_code == 302 and response["Location"] == reverse("surveys:form_detail", args=[form.uuid])
    page = coordinator.get(response["Location"])
    assert page.status_code == 200 and "Encuesta de bienestar" in page.content.decode()

    again = upload(coordinator, url, "encuesta.xlsx", xlsform_bytes())
    assert again.status_code == 400 and "already published" in again.content.decode()
    assert FormVersion.objects.count() == 1

    new_version = upload(
        coordinator, reverse("surveys:version_upload", args=[form.uuid]), "v2.xlsx", xlsform_bytes(version="2")
    )
    assert new_version.status_code == 302
    assert sorted(form.versions.values_list("version", flat=True)) == ["1", "2"]
    other_form = upload(
        coordinator,
        reverse("surveys:version_upload", args=[form.uuid]),
        "x.xlsx",
        xlsform_bytes(form_id="otra", version="3"),
    )
    assert other_form.status_code == 400 and "otra" in other_form.content.decode()
    assert Form.objects.count() == 1 and FormVersion.objects.count() == 2
    listing = coordinator.get(reverse("surveys:forms", args=[org.uuid])).content.decode()
    assert "Encuesta de bienestar" in listing and "amparo_test" in listing
    published = AuditEntry.objects.filter(action="survey.form.publish").order_by("seq")
    assert [entry.detail["version"] for entry in published] == ["1", "2"]


def test_analysts_read_the_lists_and_change_nothing(
    org: Organization, coordinator: Client, verified_client_for: Callable[..., Client]
) -> None:
    upload(coordinator, reverse("surveys:form_upload", args=[org.uuid]), "f.xlsx", xlsform_bytes())
    form = Form.objects.get()
    analyst = verified_client_for(member(org, Role.ANALYST), HTTP_ACCEPT_LANGUAGE="en")
    assert analyst.get(reverse("surveys:forms", args=[org.uuid])).status_code == 200
    detail = analyst.get(reverse("surveys:form_detail", args=[form.uuid]))
    assert (
        detail.status_code == 200 and reverse("surveys:version_upload", args=[form.uuid]) not in detail.content.decode()
    )
    assert analyst.post(reverse("surveys:form_open", args=[form.uuid]), {"is_open": "0"}).status_code == 404
    assert (
        upload(
            analyst, reverse("surveys:form_upload", args=[org.uuid]), "f.xlsx", xlsform_bytes(version="9")
        ).status_code
        == 404
    )
    form.refresh_from_db()
    assert form.is_open and form.versions.count() == 1


@pytest.mark.parametrize(
    ("name", "data", "where", "words"),
    [
        (
            "no-survey.xlsx",
            workbook([["list_name", "name", "label"], ["yn", "yes", "Sí"]], title="preguntas"),
            "survey",
            "no sheet named",
        ),
        (
            "bad-name.xlsx",
            workbook([["type", "name", "label"], ["text", "su nombre", "Nombre"]]),
            "survey, row 2",
            "name is not valid",
        ),
        (
            "dup-choices.xlsx",
            workbook(
                [["type", "name", "label"], ["select_one yn", "q", "Q"]],
                [["list_name", "name", "label"], ["yn", "yes", "Sí"], ["yn", "yes", "Otra vez"]],
            ),
            "choices, row 3",
            "repeats a name",
        ),
        (
            "unknown-type.xlsx",
            workbook([["type", "name", "label"], ["txet", "q", "Q"]]),
            "survey",
            "Unknown question type “txet”",
        ),
        ("not-a-workbook.xlsx", b"PK\x03\x04 this is not a zip", "", "not a valid .xlsx"),
        ("form.docx", b"hello", "", ".xlsx, .xls or .csv"),
    ],
    ids=["missing-sheet", "bad-name", "duplicate-choices", "unknown-type", "broken-zip", "wrong-extension"],
)
def test_a_broken_xlsform_is_refused_whole_with_sheet_and_row(
    org: Organization, coordinator: Client, name: str, data: bytes, where: str, words: str
) -> None:
    response = upload(coordinator, reverse("surveys:form_upload", args=[org.uuid]), name, data)
    page = re.sub(r"\s+", " ", response.content.decode())
    assert response.status_code == 400
    assert words in page, page[page.find("<main") :][:1500]
    if where:
        assert f"sheet {where}" in page
    assert not Form.objects.exists() and not FormVersion.objects.exists()


def test_a_50_mb_file_is_refused_before_it_is_read(org: Organization, coordinator: Client, settings: Any) -> None:
    huge = b"PK\x03\x04" + b"\0" * (50 * 1024 * 1024 + 1)
    url = reverse("surveys:form_upload", args=[org.uuid])
    # Its declared length is over the limit (5 MB by default): the body is not even parsed.
    unread = upload(coordinator, url, "huge.xlsx", huge)
    assert unread.status_code == 400 and "larger than 5 MB" in unread.content.decode()
    # With a 50 MB limit, the bounded upload handler drops it while it arrives.
    settings.SURVEYS_MAX_XLSFORM_BYTES = 50 * 1024 * 1024
    response = upload(coordinator, url, "huge.xlsx", huge)
    page = response.content.decode()
    assert response.status_code == 400 and "larger than 50 MB" in page, page[page.find("<main") :][:2000]
    with translation.override("en"), pytest.raises(XLSFormError, match="larger than 50 MB"):
        compile_xlsform("huge.xlsx", huge)
    assert not Form.objects.exists()


def zip_bomb(inflated: int) -> bytes:
    """An .xlsx whose one sheet inflates from a few kilobytes to `inflated` bytes (zeros compress ~1000:1)."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("[Content_Types].xml", "<Types/>")
        with archive.open("xl/worksheets/sheet1.xml", "w") as member_file:
            chunk = b"\0" * (1024 * 1024)
            for _ in range(inflated // len(chunk)):
                member_file.write(chunk)
    return buffer.getvalue()


@pytest.mark.parametrize("inflated", [40 * 1024 * 1024, 200 * 1024 * 1024], ids=["ratio", "total-size"])
def test_a_zip_bomb_xlsx_is_refused_before_it_is_inflated(
    org: Organization, coordinator: Client, inflated: int
) -> None:
    bomb = zip_bomb(inflated)
    assert len(bomb) < 300 * 1024
    response = upload(coordinator, reverse("surveys:form_upload", args=[org.uuid]), "bomb.xlsx", bomb)
    assert response.status_code == 400
    page = response.content.decode()
    assert "compressed suspiciously much" in page or "unpacks to more than" in page
    assert not Form.objects.exists()


def test_media_files_named_as_the_form_uses_them(org: Organization, coordinator: Client, settings: Any) -> None:
    upload(coordinator, reverse("surveys:form_upload", args=[org.uuid]), "m.xlsx", media_xlsform())
    version = FormVersion.objects.get()
    url = reverse("surveys:media_upload", args=[version.form.uuid, version.pk])

    def send(name: str, data: bytes) -> Any:
        return coordinator.post(url, {"file": SimpleUploadedFile(name, data)})

    wrong_name = send("otros.csv", MUNICIPIOS_CSV.encode())
    assert wrong_name.status_code == 400 and "municipios.csv" in wrong_name.content.decode()
    assert send("municipios.csv", "name,label\nÁ,B\n".encode("latin-1")).status_code == 400  # not UTF-8
    assert send("municipios.csv", b"").status_code == 400
    assert coordinator.post(url, {}).status_code == 400
    assert send("municipios.csv", MUNICIPIOS_CSV.encode()).status_code == 302
    duplicate = send("municipios.csv", MUNICIPIOS_CSV.encode())
    assert duplicate.status_code == 400 and "never changes" in duplicate.content.decode()
    settings.SURVEYS_MAX_MEDIA_BYTES = 1024
    assert send("municipios.csv", b"name,label\n" + b"a,b\n" * 1000).status_code == 400
    assert MediaFile.objects.count() == 1 and AuditEntry.objects.filter(action="survey.media.add").count() == 1


def test_open_close_and_enumerators(org: Organization, coordinator: Client) -> None:
    upload(coordinator, reverse("surveys:form_upload", args=[org.uuid]), "f.xlsx", xlsform_bytes())
    form = Form.objects.get()
    open_url = reverse("surveys:form_open", args=[form.uuid])
    assert coordinator.post(open_url, {}).status_code == 400
    assert coordinator.post(open_url, {"is_open": "0"}).status_code == 302
    form.refresh_from_db()
    assert not form.is_open
    assert coordinator.post(open_url, {"is_open": "1"}).status_code == 302
    form.refresh_from_db()
    assert form.is_open
    assert [
        e.action
        for e in AuditEntry.objects.filter(action__in=["survey.form.open", "survey.form.close"]).order_by("seq")
    ] == [
        "survey.form.close",
        "survey.form.open",
    ]

    enumerator = member(org, Role.ENUMERATOR, "ana")
    caseworker = member(org, Role.CASEWORKER, "cw")
    other_org_enumerator = member(Organization.objects.create(name="Otra"), Role.ENUMERATOR, "otra")
    url = reverse("surveys:form_enumerators", args=[form.uuid])
    page = coordinator.get(url).content.decode()
    assert "ana@example.org" in page and "cw@example.org" not in page and "otra@example.org" not in page
    for outsider in (caseworker, other_org_enumerator):
        assert coordinator.post(url, {"enumerators": [outsider.pk]}).status_code == 400
    assert not form.enumerators.exists()
    assert coordinator.post(url, {"enumerators": [enumerator.pk]}).status_code == 302
    assert list(form.enumerators.all()) == [enumerator]


def test_phone_credentials_secret_once_hashed_revocable(
    org: Organization, coordinator: Client, verified_client_for: Callable[..., Client]
) -> None:
    enumerator = member(org, Role.ENUMERATOR, "ana")
    url = reverse("surveys:phones", args=[org.uuid])
    assert coordinator.post(url, {"label": "Teléfono 1"}).status_code == 400
    created = coordinator.post(url, {"user": enumerator.pk, "label": "Teléfono 1"})
    assert created.status_code == 200
    page = created.content.decode()
    credential = EnumeratorCredential.objects.get()
    secret = re.search(r"Password \(secret\)</dt><dd><code>([^<]+)</code>", page) or re.search(
        r"<dd><code>([A-Za-z0-9_-]{24})</code></dd>", page
    )
    assert secret is not None
    assert credential.username in page and "/openrosa/" in page
    assert secret.group(1) not in credential.secret_hash and check_password(secret.group(1), credential.secret_hash)
    assert credential.secret_hash.startswith("argon2")
    listing = coordinator.get(url).content.decode()
    assert credential.username in listing and secret.group(1) not in listing

    outsider = verified_client_for(member(Organization.objects.create(name="Otra"), Role.COORDINATOR, "fuera"))
    revoke = reverse("surveys:phone_revoke", args=[credential.uuid])
    assert outsider.post(revoke).status_code == 404
    assert outsider.get(url).status_code == 404
    credential.refresh_from_db()
    assert credential.revoked_at is None
    assert coordinator.post(revoke).status_code == 302
    credential.refresh_from_db()
    assert credential.revoked_at is not None
    assert [e.action for e in AuditEntry.objects.filter(action__startswith="survey.credential").order_by("seq")] == [
        "survey.credential.create",
        "survey.credential.revoke",
    ]


def test_a_resubmitted_credential_form_makes_no_second_credential(org: Organization, coordinator: Client) -> None:
    """Back and send again, or a double click: the one-time token finds the first credential; its secret is not
    shown a second time (it cannot be: only its hash is kept)."""
    enumerator = member(org, Role.ENUMERATOR, "ana")
    url = reverse("surveys:phones", args=[org.uuid])
    token = re.search(r'name="form_token" value="([^"]+)"', coordinator.get(url).content.decode())
    assert token is not None
    fields = {"user": enumerator.pk, "label": "Teléfono 1", "form_token": token.group(1)}
    assert coordinator.post(url, fields).status_code == 200
    again = coordinator.post(url, fields)
    assert again.status_code == 302 and EnumeratorCredential.objects.count() == 1
    assert "already created" in coordinator.get(again["Location"]).content.decode()
