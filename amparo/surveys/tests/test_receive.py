"""The one path every submission takes (phone, web entry, import): checks, deduplication, what is kept in clear."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from django.db import connection
from django.utils import translation

from amparo.accounts.models import Organization
from amparo.audit.models import AuditEntry
from amparo.surveys.models import Form, Submission
from amparo.surveys.services import IncomingFile, SubmissionError, receive_submission
from amparo.surveys.tests.factories import instance_xml, make_form
from amparo.surveys.xlsform import XLSFormError, compile_xlsform

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _english() -> Iterator[None]:
    with translation.override("en"):
        yield


@pytest.fixture
def version(demo_directory: None):
    return make_form(Organization.objects.create(name="Red Violeta"))


def receive(version, xml, attachments=()):
    return receive_submission(
        xml=xml, attachments=attachments, source="openrosa", forms=Form.objects.filter(pk=version.form_id)
    )


def test_compiled_schema_keeps_languages_facets_and_paths(version) -> None:
    assert version.languages == ["English (en)", "Español (es)", "Português (pt)"]
    by_name = {q["name"]: q for q in version.schema}
    assert by_name["municipality"]["path"] == "/data/about/municipality"
    assert by_name["municipality"]["facet"] == "municipality"
    assert by_name["gender"]["labels"]["Português (pt)"] == "Identidade"
    assert [c["name"] for c in by_name["violence"]["choices"]] == ["clients", "police", "armed_groups"]


def test_closed_answers_and_facets_in_columns_free_text_only_encrypted(version) -> None:
    submission, created = receive(version, instance_xml(version))
    assert created
    submission.refresh_from_db()
    assert submission.answers == {
        "consent": "yes",
        "stats": "yes",
        "municipality": "CO54001",
        "gender": "trans_woman",
        "age": 29,
        "violence": ["clients", "police"],
        "score": 2.0,
        "today": "2026-12-01",
    }
    assert (submission.municipality_pcode, submission.zone_type, submission.gender_identity) == (
        "CO54001",
        "border",
        "trans_woman",
    )
    assert submission.age_band == "26-40" and submission.statistics_consent is True
    assert str(submission.interview_date) == "2026-12-01"
    assert "texto libre" in submission.raw_instance
    with connection.cursor() as cursor:
        cursor.execute("SELECT raw_instance, answers FROM surveys_submission")
        raw, answers = cursor.fetchone()
    assert "texto libre" not in raw and "texto libre" not in str(answers)
    assert AuditEntry.objects.filter(action="survey.submission.receive").count() == 1


def test_a_resent_instance_is_not_a_second_record(version) -> None:
    xml = instance_xml(version, {"photo": "p.jpg"}, instance_id="uuid:aaaa")
    first, created = receive(version, xml)
    again, created_again = receive(version, xml, [IncomingFile("p.jpg", "image/jpeg", b"\xff\xd8jpeg")])
    assert created and not created_again and first.pk == again.pk
    assert Submission.objects.count() == 1 and again.attachments.count() == 1


@pytest.mark.parametrize(
    ("xml", "code"),
    [
        (b"<data id='amparo_test'", "malformed"),
        (
            b'<?xml version="1.0"?><!DOCTYPE d [<!ENTITY a "aaaa"><!ENTITY b "&a;&a;&a;">]><data>&b;</data>',
            "malformed",
        ),
        (b'<!DOCTYPE d [<!ENTITY x SYSTEM "file:///etc/passwd">]><data>&x;</data>', "malformed"),
        (b'<data id="amparo_test" version="1"><consent>yes</consent></data>', "no_instance_id"),
        (b'<data id="other" version="1"><meta><instanceID>uuid:1</instanceID></meta></data>', "unknown_form"),
        (b'<data id="amparo_test" version="9"><meta><instanceID>uuid:1</instanceID></meta></data>', "unknown_version"),
    ],
)
def test_bad_submissions_are_refused_with_their_reason(version, xml: bytes, code: str) -> None:
    with pytest.raises(SubmissionError) as raised:
        receive(version, xml)
    assert raised.value.code == code
    assert Submission.objects.count() == 0


def test_closed_form_and_undeclared_attachment(version) -> None:
    with pytest.raises(SubmissionError) as raised:
        receive(version, instance_xml(version), [IncomingFile("other.jpg", "image/jpeg", b"x")])
    assert raised.value.code == "undeclared_attachment"
    Form.objects.update(is_open=False)
    with pytest.raises(SubmissionError) as raised:
        receive(version, instance_xml(version))
    assert raised.value.code == "closed_form"
    assert Submission.objects.count() == 0


def test_plain_submission_to_an_encrypted_form_is_refused(demo_directory: None) -> None:
    version = make_form(
        Organization.objects.create(name="Red"), public_key="MIIBIjANBgkqhkiG9w0BAQEFAAOCAQ8AMIIBCgKCAQEA"
    )
    assert version.encrypted
    with pytest.raises(SubmissionError) as raised:
        receive(version, instance_xml(version))
    assert raised.value.code == "not_encrypted"


def test_versions_are_immutable_and_a_same_version_upload_is_refused(version) -> None:
    with pytest.raises(XLSFormError, match="already published"):
        make_form(version.form.organization)
    with pytest.raises(ValueError, match="immutable"):
        version.save()


@pytest.mark.parametrize(
    ("name", "data", "message"),
    [
        ("form.pdf", b"%PDF", "xlsx"),
        ("form.xlsx", b"not a zip", "not a valid"),
        ("form.csv", b"survey,,,\n,type,name,label\n,foo bar,q1,Q\nsettings,,,\n,form_id,version,\n,f,1,\n", "foo bar"),
    ],
)
def test_broken_xlsforms_are_refused(name: str, data: bytes, message: str) -> None:
    with pytest.raises(XLSFormError, match=message):
        compile_xlsform(name, data)
