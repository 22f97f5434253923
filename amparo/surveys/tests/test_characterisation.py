"""The risk characterisation page and its exports (surveys/analysis*.py, selectors.characterisation_counts): the one
SQL query counts exactly what the stored submissions say (checked against Python counts with suppression off), only
interviews with statistics consent count, small numbers are hidden on the page and in the exports alike, every
reading is audited, and analysts of another organisation get a 404."""

from __future__ import annotations

import csv
import importlib
import io
from collections import Counter
from collections.abc import Iterator
from datetime import date

import openpyxl
import pytest
from django.test import Client
from django.urls import reverse
from django.utils import translation

from amparo.accounts.models import Membership, Organization, User
from amparo.accounts.roles import Role
from amparo.audit.models import AuditEntry
from amparo.surveys import characterisation as ch
from amparo.surveys.analysis import read_characterisation
from amparo.surveys.models import Form, FormVersion, Submission
from amparo.surveys.selectors import Filters
from amparo.surveys.services import receive_submission
from amparo.surveys.tests.factories import instance_xml, make_form, make_submission

pytestmark = pytest.mark.django_db

# (gender, municipality, stats consent, violence, age, day): 12 trans women in Cúcuta (border), 7 cis women in
# Bogotá (urban), 3 who prefer not to say, and 4 interviews without consent to statistics.
PEOPLE = (
    [("trans_woman", "CO54001", "yes", "clients police", "29", "2026-11-02")] * 9
    + [("trans_woman", "CO54001", "yes", "armed_groups", "45", "2026-11-20")] * 3
    + [("cis_woman", "CO11001", "yes", "clients", "33", "2026-11-03")] * 7
    + [("not_said", "CO11001", "yes", "", "52", "2026-11-04")] * 3
    + [("trans_woman", "CO54001", "no", "police", "30", "2026-11-05")] * 4
)


@pytest.fixture(autouse=True)
def _english() -> Iterator[None]:
    with translation.override("en"):
        yield


@pytest.fixture
def world(demo_directory: None) -> dict[str, object]:
    org = Organization.objects.create(name="Red Violeta")
    users = {}
    for role in (Role.ANALYST, Role.COORDINATOR, Role.CASEWORKER):
        user = User.objects.create_user(username=f"{role}@c.example.org", email=f"{role}@c.example.org")
        Membership.objects.create(user=user, organization=org, role=role)
        users[role] = user
    version = make_form(org, users[Role.COORDINATOR])
    for gender, municipality, stats, violence, age, day in PEOPLE:
        make_submission(
            version,
            {"gender": gender, "municipality": municipality, "stats": stats, "violence": violence, "age": age,
             "today": day},
        )  # fmt: skip
    return {"org": org, "users": users, "version": version}


def test_the_query_counts_what_the_submissions_say(world: dict[str, object]) -> None:
    version: FormVersion = world["version"]  # type: ignore[assignment]
    reading = read_characterisation(
        actor=None, form=version.form, filters=Filters(), language="en", threshold=1
    )  # suppression off: every count shown, to compare with Python's
    counted = list(Submission.objects.filter(form=version.form, statistics_consent=True))
    assert reading.page.respondents == len(counted) == 22
    assert reading.left_out_no_consent == 4
    violence = next(t for t in reading.page.tables if t.indicator.key == "violence")
    zones = next(b for b in reading.page.blocks if b.dimension == "zone_type")
    genders = next(b for b in reading.page.blocks if b.dimension == "gender_identity")
    for row in violence.rows:
        expected_total = sum(1 for s in counted if row.code in s.answers.get("violence", []))
        assert row.total == expected_total
        for k, column in enumerate(zones.columns):
            expected = sum(
                1 for s in counted if row.code in s.answers.get("violence", []) and s.zone_type == column.code
            )
            assert row.values[0][k] == expected, (row.code, column.code)
        for k, column in enumerate(genders.columns):
            expected = sum(
                1 for s in counted if row.code in s.answers.get("violence", []) and s.gender_identity == column.code
            )
            assert row.values[1][k] == expected, (row.code, column.code)
    assert genders.columns[0].code == "trans_woman"
    ages = next(t for t in reading.page.tables if t.indicator.key == "consent")
    assert {r.code: r.total for r in ages.rows} == {"yes": 22, "no": 0, ch.NO_ANSWER: 0}
    bands = Counter(s.age_band for s in counted)
    age_block = next(b for b in reading.page.blocks if b.dimension == "age_band")
    assert {c.code: c.respondents for c in age_block.columns} == dict(bands)


def test_the_page_hides_small_counts_and_says_who_was_left_out(world: dict[str, object], verified_client_for) -> None:
    version: FormVersion = world["version"]  # type: ignore[assignment]
    analyst: User = world["users"][Role.ANALYST]  # type: ignore[index]
    client: Client = verified_client_for(analyst)
    response = client.get(reverse("surveys:characterisation", args=[version.form.uuid]))
    assert response.status_code == 200
    page = response.content.decode()
    reading = response.context["reading"]
    assert reading.left_out_no_consent == 4
    # The staff page speaks Spanish here: the form's own Spanish labels name the answers.
    assert "Clientes" in page and "Policía" in page
    zones = next(b for b in reading.page.blocks if b.dimension == "zone_type")
    assert [c.code for c in zones.columns][:3] == ["border", "urban", "rural"]
    violence = next(t for t in reading.page.tables if t.indicator.key == "violence")
    armed = next(r for r in violence.rows if r.code == "armed_groups")
    assert armed.total is None, "3 people: hidden"
    for table in reading.page.tables:
        for row in table.rows:
            for block in row.values:
                assert all(v is None or v == 0 or v >= 5 for v in block)
    entry = AuditEntry.objects.filter(action="survey.characterisation.read").get()
    assert entry.actor_id == analyst.pk
    assert entry.detail["counted"] == 22 and entry.detail["left_out_no_consent"] == 4
    # no submission, no answer in the page: only counts (the free text of the test form never appears)
    assert "texto libre" not in page


def test_exports_carry_the_same_suppressed_tables(world: dict[str, object], verified_client_for) -> None:
    version: FormVersion = world["version"]  # type: ignore[assignment]
    client: Client = verified_client_for(world["users"][Role.COORDINATOR])  # type: ignore[index]
    page = client.get(reverse("surveys:characterisation", args=[version.form.uuid])).context["reading"]
    response = client.get(reverse("surveys:characterisation_csv", args=[version.form.uuid]))
    assert response.status_code == 200
    assert response["Content-Disposition"].startswith("attachment")
    assert "no-store" in response["Cache-Control"]
    lines = list(csv.reader(io.StringIO(response.content.decode("utf-8-sig"))))
    # The staff pages (and their exports) speak Spanish here: the form's Spanish labels name the rows.
    assert len(lines[0]) == 3 + sum(len(b.columns) for b in page.page.blocks)
    assert lines[1][1:3] == ["", "22"]
    armed = next(line for line in lines if line[:2] == ["Violencias", "Grupos armados"])
    assert armed[2] == "x"
    violence = next(t for t in page.page.tables if t.indicator.key == "violence")
    clients_row = next(r for r in violence.rows if r.code == "clients")
    clients_line = next(line for line in lines if line[:2] == ["Violencias", "Clientes"])
    flat = [v for block in clients_row.values for v in block]
    assert clients_line[3:] == ["x" if v is None else str(v) for v in flat]

    xlsx = client.get(reverse("surveys:characterisation_xlsx", args=[version.form.uuid]))
    assert xlsx.status_code == 200
    book = openpyxl.load_workbook(io.BytesIO(xlsx.content), read_only=True)
    rows = list(book.worksheets[0].iter_rows(values_only=True))
    assert rows[1][2] == 22
    assert any(row[:3] == ("Violencias", "Grupos armados", "x") for row in rows)
    assert AuditEntry.objects.filter(action="survey.export").count() == 2


def test_filters_by_date_and_municipality(world: dict[str, object]) -> None:
    version: FormVersion = world["version"]  # type: ignore[assignment]
    only_bogota = read_characterisation(
        actor=None, form=version.form, filters=Filters(municipality="CO11001"), language="en", threshold=1
    )
    assert only_bogota.page.respondents == 10
    early = read_characterisation(
        actor=None, form=version.form, filters=Filters(start=date(2026, 11, 1), end=date(2026, 11, 10)),
        language="en", threshold=1,
    )  # fmt: skip
    assert early.page.respondents == 19
    assert early.left_out_no_consent == 4


def test_bad_filters_are_a_400_and_other_organisations_a_404(world: dict[str, object], verified_client_for) -> None:
    version: FormVersion = world["version"]  # type: ignore[assignment]
    client: Client = verified_client_for(world["users"][Role.ANALYST])  # type: ignore[index]
    url = reverse("surveys:characterisation", args=[version.form.uuid])
    assert client.get(url, {"start": "2026-12-01", "end": "2026-11-01"}).status_code == 400
    assert client.get(url, {"start": "not a date"}).status_code == 400
    assert client.get(url, {"municipality": "XX999"}).status_code == 400
    other = User.objects.create_user(username="a@otra.example.org", email="a@otra.example.org")
    Membership.objects.create(user=other, organization=Organization.objects.create(name="Otra"), role=Role.ANALYST)
    assert verified_client_for(other).get(url).status_code == 404
    caseworker = verified_client_for(world["users"][Role.CASEWORKER])  # type: ignore[index]
    assert caseworker.get(url).status_code == 404
    assert not AuditEntry.objects.filter(action="survey.characterisation.read").exists()


NATIONALITY_ROW = [
    "select_one nat",
    "nat",
    "Nacionalidad",
    "Nationality",
    "Nacionalidade",
    "",
    "",
    "",
    "",
    "nationality",
]
NATIONALITIES = (
    ["nat", "VE", "Venezolana", "Venezuelan", "Venezuelana"],
    [
        "nat",
        "ZZ",
        "Otra, o prefiero no responder",
        "Another, or prefer not to answer",
        "Outra, ou prefiro não responder",
    ],
)


def test_nationality_zz_counts_as_not_recorded_like_an_empty_one(world: dict[str, object]) -> None:
    """ZZ (ISO 3166's unknown country: "another, or prefer not to answer") is not a nationality of its own: stored
    empty, counted with the interviews that did not answer."""
    org: Organization = world["org"]  # type: ignore[assignment]
    version = make_form(org, form_id="amparo_nat", extra_rows=(NATIONALITY_ROW,), extra_choices=NATIONALITIES)
    made = []
    for nationality in ("VE", "ZZ", "zz", ""):
        xml = instance_xml(version).replace(b"<meta>", f"<nat>{nationality}</nat><meta>".encode())
        made.append(receive_submission(xml=xml, source=Submission.Source.WEB, forms=Form.objects.all())[0])
    assert [s.nationality for s in made] == ["VE", "", "", ""]
    reading = read_characterisation(actor=None, form=version.form, filters=Filters(), language="en", threshold=1)
    block = next(b for b in reading.page.blocks if b.dimension == "nationality")
    assert {c.code: c.respondents for c in block.columns} == {"VE": 1, ch.NOT_RECORDED: 3}


def test_the_migration_clears_nationality_zz_stored_before(world: dict[str, object]) -> None:
    from types import SimpleNamespace

    from django.apps import apps
    from django.db import connection

    migration = importlib.import_module("amparo.surveys.migrations.0004_nationality_zz_is_not_recorded")
    version: FormVersion = world["version"]  # type: ignore[assignment]
    Submission.objects.filter(form=version.form).update(nationality="ZZ")
    kept = make_submission(version)
    Submission.objects.filter(pk=kept.pk).update(nationality="VE")
    migration.zz_is_not_recorded(apps, SimpleNamespace(connection=connection))  # it only reads the alias
    assert set(Submission.objects.values_list("nationality", flat=True)) == {"", "VE"}
