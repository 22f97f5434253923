"""Imports of ODK Central and KoboToolbox exports (surveys/imports.py, the import page): the files look like those
the tools write (column names from ODK Central's submissions.csv and KoboToolbox's formpack exports), the form is
the real pyxform-compiled test form, and every row goes through the checks of a phone's submission."""

from __future__ import annotations

import io
import uuid
import zipfile
from collections.abc import Iterator
from datetime import UTC, datetime

import openpyxl
import pytest
from django.test import Client, override_settings
from django.urls import reverse
from django.utils import translation

from amparo.accounts.models import Membership, Organization, User
from amparo.accounts.roles import Role
from amparo.audit.models import AuditEntry
from amparo.surveys.imports import ImportFileError, import_file, open_table
from amparo.surveys.models import FormVersion, Submission
from amparo.surveys.tests.factories import make_form

pytestmark = pytest.mark.django_db

CENTRAL_META = (
    "KEY,SubmitterID,SubmitterName,AttachmentsPresent,AttachmentsExpected,Status,ReviewState,DeviceID,Edits,FormVersion"
)
CENTRAL_HEADER = (
    "SubmissionDate,consent,about-stats,about-municipality,about-gender,about-age,about-violence,about-comment,"
    f"about-photo,score,today,meta-instanceID,{CENTRAL_META}"
)
KOBO_META = "_id;_uuid;_submission_time;_validation_status;_notes;_status;_submitted_by;__version__;_tags;_index"


@pytest.fixture(autouse=True)
def _english() -> Iterator[None]:
    with translation.override("en"):
        yield


@pytest.fixture
def coordinator() -> User:
    return User.objects.create_user(username="c@import.example.org", email="c@import.example.org", password="x" * 16)


@pytest.fixture
def version(demo_directory: None, coordinator: User) -> FormVersion:
    org = Organization.objects.create(name="Red Violeta")
    Membership.objects.create(user=coordinator, organization=org, role=Role.COORDINATOR)
    return make_form(org, coordinator)


def uid() -> str:
    return f"uuid:{uuid.uuid4()}"


def central_row(instance_id: str, *, submitted: str = "2026-11-21T10:00:00.000Z", **answers: str) -> str:
    values = {
        "consent": "yes", "stats": "yes", "municipality": "CO54001", "gender": "trans_woman", "age": "29",
        "violence": "clients police", "comment": "texto, con coma", "photo": "", "score": "2", "today": "2026-11-20",
        "version": "1",
    } | answers  # fmt: skip
    comment = '"' + values["comment"].replace('"', '""') + '"'
    return (
        f"{submitted},{values['consent']},{values['stats']},{values['municipality']},{values['gender']},"
        f"{values['age']},{values['violence']},{comment},{values['photo']},{values['score']},{values['today']},"
        f"{instance_id},{instance_id},5,Ana,0,0,,,,0,{values['version']}"
    )


def central_csv(*rows: str) -> bytes:
    return ("\n".join([CENTRAL_HEADER, *rows]) + "\n").encode()


def run(version: FormVersion, data: bytes, mode: str, filename: str = "amparo_test.csv", user: User | None = None):
    return import_file(version=version, filename=filename, data=io.BytesIO(data), mode=mode, user=user)


def test_a_central_export_is_checked_then_imported_once(version: FormVersion, coordinator: User) -> None:
    ids = [uid() for _ in range(3)]
    data = central_csv(*(central_row(i) for i in ids))
    dry = run(version, data, "dry_run", user=coordinator)
    assert dry.ok and dry.tool == "odk_central"
    assert (dry.rows, dry.valid, dry.imported, dry.stored) == (3, 3, 0, False)
    assert dry.unknown_columns == []
    assert not Submission.objects.exists()

    done = run(version, data, "all", user=coordinator)
    assert (done.imported, done.already, done.stored) == (3, 0, True)
    stored = Submission.objects.get(instance_id=ids[0])
    assert stored.source == Submission.Source.IMPORT
    assert stored.answers["violence"] == ["clients", "police"]
    assert stored.answers["age"] == 29
    assert "comment" not in stored.answers, "free text stays only in the encrypted instance"
    assert "texto, con coma" in stored.raw_instance
    assert (stored.gender_identity, stored.age_band, stored.municipality_pcode) == ("trans_woman", "26-40", "CO54001")
    assert stored.zone_type == "border"
    assert stored.statistics_consent is True
    assert str(stored.interview_date) == "2026-11-20"
    assert stored.received_at == datetime(2026, 11, 21, 10, 0, tzinfo=UTC)  # Central's SubmissionDate

    again = run(version, data, "all", user=coordinator)
    assert (again.imported, again.already) == (0, 3)
    assert Submission.objects.count() == 3
    entries = AuditEntry.objects.filter(action="survey.import").order_by("seq")
    assert [e.detail["created"] for e in entries] == [3, 0]
    assert "texto" not in str(entries.last().detail)  # type: ignore[union-attr]


def test_a_kobo_csv_with_labels_split_choices_and_semicolons(version: FormVersion) -> None:
    """Kobo's CSV: `;` as separator, Spanish labels as headers with the group's label ("Sobre usted/Edad"),
    select_multiple as a summary column and one column per choice (1/0), `_uuid` without its `uuid:` prefix."""
    header = (
        "start;end;¿Acepta?;Sobre usted/¿Contar?;Sobre usted/Municipio;Sobre usted/Identidad;Sobre usted/Edad;"
        "Sobre usted/Violencias/Clientes;Sobre usted/Violencias/Policía;Sobre usted/Violencias/Grupos armados;"
        f"Sobre usted/Comentario;{KOBO_META}"
    )
    first, second = uuid.uuid4(), uuid.uuid4()
    rows = [
        f"2026-11-20T10:00:00.000-05:00;2026-11-20T10:20:00.000-05:00;Sí;Sí;Cúcuta;Mujer trans;31;1;0;1;nada;"
        f"101;{first};2026-11-20T15:21:00;;;submitted_via_web;;vAbC;;1",
        f"2026-11-20T11:00:00.000-05:00;2026-11-20T11:20:00.000-05:00;Sí;No;Bogotá;Mujer cis;45;0;0;0;;"
        f"102;{second};2026-11-20T16:21:00;;;submitted_via_web;;vAbC;;2",
    ]
    report = run(version, ("\n".join([header, *rows]) + "\n").encode(), "all")
    assert report.ok, report.problems
    assert report.tool == "kobotoolbox"
    assert report.unknown_columns == ["start", "end"]  # the test form has no start/end questions
    assert report.imported == 2
    one = Submission.objects.get(instance_id=f"uuid:{first}")
    assert one.answers["violence"] == ["clients", "armed_groups"]
    assert one.gender_identity == "trans_woman"
    assert one.received_at == datetime(2026, 11, 20, 15, 21, tzinfo=UTC)  # Kobo's _submission_time, in UTC
    two = Submission.objects.get(instance_id=f"uuid:{second}")
    assert two.statistics_consent is False
    assert "violence" not in two.answers


def test_a_kobo_xlsx_with_xml_names(version: FormVersion) -> None:
    book = openpyxl.Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.append(["consent", "about/stats", "about/municipality", "about/gender", "about/age", "about/violence",
                  "meta/instanceID", "_id", "_uuid", "_submission_time", "_index"])  # fmt: skip
    ids = [uuid.uuid4() for _ in range(2)]
    sheet.append(["yes", "yes", "CO11001", "cis_woman", 33.0, "police", f"uuid:{ids[0]}", 1, str(ids[0]), None, 1])
    sheet.append(["yes", "yes", "CO11001", "trans_woman", 22, "", f"uuid:{ids[1]}", 2, str(ids[1]), None, 2])
    buffer = io.BytesIO()
    book.save(buffer)
    report = run(version, buffer.getvalue(), "all", filename="export.xlsx")
    assert report.ok, report.problems
    assert report.imported == 2
    assert Submission.objects.get(instance_id=f"uuid:{ids[0]}").answers["age"] == 33


def test_a_bad_or_missing_submission_time_keeps_the_time_of_the_import(version: FormVersion) -> None:
    """A SubmissionDate that is not a time, one in the future, or none: the row is imported all the same, received
    now; the report counts the bad ones (an empty cell is not bad: the tool had none)."""
    ids = {"garbled": uid(), "future": uid(), "empty": uid(), "good": uid()}
    data = central_csv(
        central_row(ids["garbled"], submitted="ayer a las 3"),
        central_row(ids["future"], submitted="2999-01-01T00:00:00.000Z"),
        central_row(ids["empty"], submitted=""),
        central_row(ids["good"], submitted="2025-03-02 08:30:00"),  # as a spreadsheet rewrites it: UTC
    )
    dry = run(version, data, "dry_run")
    assert dry.ok and dry.bad_submission_times == 2
    before = datetime.now(UTC)
    report = run(version, data, "all")
    after = datetime.now(UTC)
    assert report.ok and report.imported == 4 and report.bad_submission_times == 2
    for key in ("garbled", "future", "empty"):
        assert before <= Submission.objects.get(instance_id=ids[key]).received_at <= after, key
    assert Submission.objects.get(instance_id=ids["good"]).received_at == datetime(2025, 3, 2, 8, 30, tzinfo=UTC)


def test_kobo_submission_times_in_a_workbook(version: FormVersion) -> None:
    """Kobo's XLSX: `_submission_time` as a date cell (UTC) or as text; a number is not a time."""
    book = openpyxl.Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.append(["consent", "about/stats", "about/municipality", "about/gender", "_uuid", "_submission_time"])
    ids = [uuid.uuid4() for _ in range(3)]
    naive = datetime(2024, 5, 6, 7, 8, 9)  # noqa: DTZ001  # a date cell has no zone: openpyxl reads it naive
    sheet.append(["yes", "yes", "CO11001", "cis_woman", str(ids[0]), naive])
    sheet.append(["yes", "yes", "CO11001", "cis_woman", str(ids[1]), "2024-05-06T07:08:09.123-05:00"])
    sheet.append(["yes", "yes", "CO11001", "cis_woman", str(ids[2]), 45000])
    buffer = io.BytesIO()
    book.save(buffer)
    report = run(version, buffer.getvalue(), "all", filename="export.xlsx")
    assert report.ok and report.imported == 3, report.problems
    assert report.bad_submission_times == 1
    received = {s.instance_id: s.received_at for s in Submission.objects.all()}
    assert received[f"uuid:{ids[0]}"] == datetime(2024, 5, 6, 7, 8, 9, tzinfo=UTC)
    assert received[f"uuid:{ids[1]}"] == datetime(2024, 5, 6, 12, 8, 9, 123000, tzinfo=UTC)
    assert received[f"uuid:{ids[2]}"] > datetime(2026, 1, 1, tzinfo=UTC)  # the import's time


def test_rows_with_problems_are_reported_and_nothing_is_imported(version: FormVersion) -> None:
    good, bad_choice, bad_age, old = uid(), uid(), uid(), uid()
    data = central_csv(
        central_row(good),
        central_row(bad_choice, gender="queen"),
        central_row(bad_age, age="twenty"),
        central_row(old, version="0"),
        central_row("", gender="cis_woman"),
        central_row(good),
    )
    for mode in ("dry_run", "all"):
        report = run(version, data, mode)
        assert not report.ok
        assert report.stored is False and report.imported == 0
        problems = {(p.row, p.column) for p in report.problems}
        assert (3, "about-gender") in problems
        assert (4, "about-age") in problems
        assert (5, "FormVersion") in problems
        assert (6, "meta-instanceID") in problems  # no instance id
        assert (7, "meta-instanceID") in problems  # the same instance id as row 2
        assert report.valid == 1 and report.rows == 6
    assert not Submission.objects.exists()

    partial = run(version, data, "good_rows")
    assert partial.stored and partial.imported == 1
    assert list(Submission.objects.values_list("instance_id", flat=True)) == [good]


def test_bad_files_get_a_clear_message(version: FormVersion) -> None:
    assert "CSV" in run(version, b"whatever", "dry_run", filename="export.json").file_error
    assert "UTF-8" in run(version, "consent,KEY\nsí,uuid:1\n".encode("latin-1"), "dry_run").file_error
    assert run(version, b"", "dry_run").file_error
    assert "instance id" in run(version, b"consent,about-age\nyes,3\n", "dry_run").file_error
    assert "right form" in run(version, b"KEY,colour\nuuid:1,red\n", "dry_run").file_error
    assert "Excel" in run(version, b"PK\x03\x04 not a zip", "dry_run", filename="x.xlsx").file_error


def test_a_zip_bomb_workbook_is_refused_before_it_is_opened(version: FormVersion) -> None:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("xl/workbook.xml", "<workbook/>")
        archive.writestr("xl/worksheets/sheet1.xml", b"0" * (60 * 1024 * 1024))
    assert len(buffer.getvalue()) < 200_000
    with pytest.raises(ImportFileError):
        open_table("bomb.xlsx", io.BytesIO(buffer.getvalue()))
    assert "zip bomb" in run(version, buffer.getvalue(), "dry_run", filename="bomb.xlsx").file_error


def test_a_closed_form_takes_no_import(version: FormVersion) -> None:
    version.form.is_open = False
    version.form.save()
    report = run(version, central_csv(central_row(uid())), "all")
    assert "closed" in report.file_error
    assert not Submission.objects.exists()


def test_the_import_page(version: FormVersion, coordinator: User, verified_client_for) -> None:
    client: Client = verified_client_for(coordinator)
    url = reverse("surveys:import_export", args=[version.form.uuid])
    assert client.get(url).status_code == 200
    data = central_csv(central_row(uid()), central_row(uid(), gender="queen"))
    upload = io.BytesIO(data)
    upload.name = "export.csv"
    response = client.post(url, {"version": "1", "mode": "all", "file": upload})
    assert response.status_code == 200
    page = response.content.decode()
    assert response.context["report"].stored is False
    assert "No se importó nada." in page  # the staff pages speak Spanish here
    assert "about-gender" in page
    upload = io.BytesIO(data)
    upload.name = "export.csv"
    response = client.post(url, {"version": "1", "mode": "good_rows", "file": upload})
    assert response.status_code == 200
    assert Submission.objects.count() == 1
    with override_settings(SURVEYS_MAX_IMPORT_BYTES=100):
        upload = io.BytesIO(data)
        upload.name = "export.csv"
        response = client.post(url, {"version": "1", "mode": "dry_run", "file": upload})
        assert response.status_code == 400
        assert "import_survey_export" in response.content.decode()
    upload = io.BytesIO(central_csv(central_row(uid(), submitted="31/02/2026 25:00")))
    upload.name = "export.csv"
    with translation.override("en"):
        response = client.post(url, {"version": "1", "mode": "all", "file": upload}, HTTP_ACCEPT_LANGUAGE="en")
    assert response.status_code == 200 and response.context["report"].imported == 1
    assert "1 row has a submission time that is not a valid time" in response.content.decode()
    analyst = User.objects.create_user(username="a@import.example.org", email="a@import.example.org")
    Membership.objects.create(user=analyst, organization=version.form.organization, role=Role.ANALYST)
    assert verified_client_for(analyst).get(url).status_code == 404


def test_the_command_imports_a_file_from_disk(version: FormVersion, coordinator: User, tmp_path) -> None:
    from django.core.management import CommandError, call_command

    path = tmp_path / "export.csv"
    path.write_bytes(central_csv(central_row(uid()), central_row(uid())))
    out = io.StringIO()
    args = [str(path), "--form", str(version.form.uuid), "--form-version", "1", "--user", coordinator.email]
    call_command("import_survey_export", *args, stdout=out)
    assert "rows: 2" in out.getvalue()
    assert not Submission.objects.exists()
    call_command("import_survey_export", *args, "--mode", "all", stdout=io.StringIO())
    assert Submission.objects.count() == 2
    stranger = User.objects.create_user(username="s@x.example.org", email="s@x.example.org")
    with pytest.raises(CommandError):
        call_command("import_survey_export", *args[:-1], stranger.email, stdout=io.StringIO())
