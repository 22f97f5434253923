"""Encrypted forms end to end: the organisation's key, a pyxform-compiled form carrying it, an envelope made exactly as
ODK Collect makes it, received by the one receiving path, stored unreadable, decrypted with the passphrase, counted.

Real components only: the real pyxform, the real `cryptography`, the real database; the Collect-equivalent encryptor
(`odk_crypto.encrypt_submission`) is itself checked against real Collect data in test_crypto_odk.py.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

import pytest
from django.db import connection
from django.db.models import Count
from django.utils import translation

from amparo.accounts.models import Organization, User
from amparo.audit.models import AuditEntry
from amparo.core.encryption import decrypt_bytes
from amparo.surveys import decryption, keys, odk_crypto
from amparo.surveys.models import Attachment, Form, FormVersion, Submission, SurveyKey
from amparo.surveys.services import IncomingFile, SubmissionError, receive_submission
from amparo.surveys.tests.crypto_envelopes import PHOTO, collect_envelope
from amparo.surveys.tests.factories import instance_xml, make_form
from amparo.surveys.xlsform import XLSFormError

pytestmark = pytest.mark.django_db

PASSPHRASE = "tres palabras sueltas y una más"


@pytest.fixture(autouse=True)
def _english() -> Iterator[None]:
    with translation.override("en"):
        yield


@pytest.fixture
def organization() -> Organization:
    return Organization.objects.create(name="Red Violeta")


@pytest.fixture
def coordinator(organization: Organization) -> User:
    return User.objects.create_user(username="coord@example.org", email="coord@example.org", password="x" * 16)


@pytest.fixture
def encrypted_version(organization: Organization, coordinator: User) -> FormVersion:
    keys.survey_key_create(organization=organization, passphrase=PASSPHRASE, actor=coordinator)
    # what the key page shows, pasted into the settings sheet
    public_key = keys.organization_keys(organization)[0].public_key
    return make_form(organization, coordinator, public_key=public_key)


def receive(version: FormVersion, manifest: bytes, files: list[IncomingFile]) -> Submission:
    submission, created = receive_submission(
        xml=manifest, attachments=files, source="openrosa", forms=Form.objects.filter(pk=version.form_id)
    )
    assert created
    return submission


def raw_row_text(submission: Submission) -> str:
    """Everything the database holds for the submission and its files, as a dump would show it."""
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT * FROM {Submission._meta.db_table} WHERE id = %s", [submission.pk])
        row = cursor.fetchone()
        cursor.execute(f"SELECT * FROM {Attachment._meta.db_table} WHERE submission_id = %s", [submission.pk])
        files = cursor.fetchall()
    return repr(row) + repr(files)


@pytest.fixture
def places() -> None:
    """The two municipalities the test form offers, with their zone types (as in the demo directory)."""
    from amparo.directory.models import Place

    for pcode, name, zone, lat, lon in (
        ("CO54001", "Cúcuta", "border", 7.89, -72.5),
        ("CO11001", "Bogotá", "urban", 4.71, -74.07),
    ):
        Place.objects.create(pcode=pcode, name=name, level=Place.Level.ADMIN2, zone=zone, latitude=lat, longitude=lon)


def test_encrypted_form_end_to_end(places: None, encrypted_version: FormVersion, coordinator: User) -> None:
    version = encrypted_version
    assert version.encrypted
    assert keys.key_fingerprint_of(version) == SurveyKey.objects.get().fingerprint

    answers = [
        {"gender": "trans_woman", "municipality": "CO54001", "comment": "me siguió un cliente hasta la casa"},
        {"gender": "trans_woman", "municipality": "CO54001", "comment": "la policía nos pidió plata"},
        {"gender": "cis_woman", "municipality": "CO11001", "comment": "nadie me atendió en el hospital"},
    ]
    submissions = []
    for given in answers:
        instance_id, manifest, files = collect_envelope(version, given)
        submission = receive(version, manifest, files)
        assert submission.instance_id == instance_id
        submissions.append(submission)

    # Stored as received: nothing of the answers in clear, nor in the encrypted-at-rest columns once decrypted
    # with the server's keys (only the manifest is there), nor in the attachments.
    for submission, given in zip(submissions, answers, strict=True):
        submission.refresh_from_db()
        assert submission.encrypted and submission.decrypted_at is None
        assert submission.answers == {} and submission.gender_identity == "" and submission.municipality_pcode == ""
        assert submission.key_fingerprint == keys.key_fingerprint_of(version)
        dump = raw_row_text(submission)
        for secret in (given["comment"], given["gender"], given["municipality"], "clients police"):
            assert secret not in dump
        assert 'encrypted="yes"' in submission.raw_instance
        assert given["comment"] not in submission.raw_instance
        for attachment in submission.attachments.all():
            assert attachment.filename.endswith(".enc")
            assert given["comment"].encode() not in decrypt_bytes(bytes(attachment.content))
    assert Submission.objects.filter(form=version.form, zone_type="border").count() == 0

    # The analyst decrypts them with the passphrase
    analyst = User.objects.create_user(username="ana@example.org", email="ana@example.org", password="x" * 16)
    result = decryption.decrypt_pending(form=version.form, passphrase=PASSPHRASE, actor=analyst)
    assert (result.decrypted, result.failed, result.remaining, result.other_key) == (3, 0, 0, 0)

    first = Submission.objects.get(pk=submissions[0].pk)
    assert not first.encrypted and first.decrypted_at is not None
    assert first.answers["violence"] == ["clients", "police"] and first.answers["age"] == 29
    assert "comment" not in first.answers  # free text never in clear, decrypted or not
    assert first.raw_instance.startswith("<?xml") and answers[0]["comment"] in first.raw_instance
    assert answers[0]["comment"] not in raw_row_text(first)  # the decrypted instance is encrypted at rest
    photo = first.attachments.get()
    assert photo.filename == "1701234567890.jpg" and photo.content_type == "image/jpeg"
    assert decrypt_bytes(bytes(photo.content)) == PHOTO and PHOTO not in raw_row_text(first).encode()

    # ... and they count in the facets, by zone and group, as plain SQL
    by_zone_and_group = {
        (row["zone_type"], row["gender_identity"]): row["n"]
        for row in Submission.objects.filter(form=version.form, statistics_consent=True)
        .values("zone_type", "gender_identity")
        .annotate(n=Count("pk"))
    }
    assert by_zone_and_group == {("border", "trans_woman"): 2, ("urban", "cis_woman"): 1}

    # audited: one batch entry with counts, one entry per stored submission, never content
    batch = AuditEntry.objects.get(action="survey.decrypt.batch")
    assert batch.detail == {
        "decrypted": 3,
        "failed": 0,
        "remaining": 0,
        "other_key": 0,
        "keys_opened": 1,
        "retried": 0,
    }
    assert batch.actor_id == analyst.pk
    assert AuditEntry.objects.filter(action="survey.submission.decrypt").count() == 3
    assert not any("policía" in str(entry.detail) for entry in AuditEntry.objects.all())

    # nothing more to do: a second press decrypts nothing and says so
    again = decryption.decrypt_pending(form=version.form, passphrase=PASSPHRASE, actor=analyst)
    assert (again.decrypted, again.remaining) == (0, 0)


def test_the_upload_can_fill_in_the_organisation_key(organization: Organization, coordinator: User) -> None:
    keys.survey_key_create(organization=organization, passphrase=PASSPHRASE, actor=coordinator)
    version = make_form(organization, coordinator, public_key="organization")
    current = keys.current_key(organization)
    assert current is not None
    assert version.encrypted and keys.key_fingerprint_of(version) == current.fingerprint
    assert f'base64RsaPublicKey="{keys.xlsform_public_key(current.public_key_pem)}"' in version.xform
    assert "organization" not in version.public_key
    # the envelope of such a form decrypts like any other
    _instance_id, manifest, files = collect_envelope(version, photo=None)
    receive(version, manifest, files)
    assert decryption.decrypt_pending(form=version.form, passphrase=PASSPHRASE, actor=coordinator).decrypted == 1


def test_a_form_with_another_key_or_no_organisation_key_is_refused(
    organization: Organization, coordinator: User
) -> None:
    with pytest.raises(XLSFormError, match="no survey key yet"):
        make_form(organization, coordinator, public_key="organization")
    keys.survey_key_create(organization=organization, passphrase=PASSPHRASE, actor=coordinator)
    from cryptography.hazmat.primitives.asymmetric import rsa

    stranger = odk_crypto.public_key_base64(rsa.generate_private_key(public_exponent=65537, key_size=2048).public_key())
    with pytest.raises(XLSFormError, match="not the organisation's current survey key") as refused:
        make_form(organization, coordinator, public_key=stranger)
    assert refused.value.problems[0].sheet == "settings"
    with pytest.raises(XLSFormError, match="not a valid RSA public key"):
        make_form(organization, coordinator, public_key="MIIBIjANBgkqhkiG9w0BAQEFAAOCAQ8AMIIBCgKCAQEA")
    assert not FormVersion.objects.exists() and not Form.objects.exists()  # nothing half-saved


def test_wrong_passphrase_changes_nothing(encrypted_version: FormVersion, coordinator: User) -> None:
    _instance_id, manifest, files = collect_envelope(encrypted_version)
    submission = receive(encrypted_version, manifest, files)
    before = AuditEntry.objects.count()
    for wrong in ("tres palabras sueltas y una mas", "", "x" * 5000):
        with pytest.raises(keys.WrongPassphrase):
            decryption.decrypt_pending(form=encrypted_version.form, passphrase=wrong, actor=coordinator)
    submission.refresh_from_db()
    assert submission.encrypted and submission.answers == {} and submission.decryption_error == ""
    assert AuditEntry.objects.count() == before


def test_tampered_and_incomplete_submissions_are_refused_cleanly_and_do_not_hold_up_the_others(
    encrypted_version: FormVersion, coordinator: User
) -> None:
    version = encrypted_version
    _id, manifest, files = collect_envelope(version, {"gender": "cis_woman"})
    altered = bytearray(files[-1].data)
    altered[40] ^= 0x20  # one bit of the encrypted instance: CFB decrypts it with valid padding, the signature does not
    tampered = receive(version, manifest, [*files[:-1], IncomingFile(files[-1].name, "", bytes(altered))])
    _id, manifest, files = collect_envelope(version)
    incomplete = receive(version, manifest, files[:-1])  # the phone's second POST with the XML never came
    _id, manifest, files = collect_envelope(version)
    contents = [f.data for f in reversed(files)]  # the photo's ciphertext under the instance's name, and back
    swapped = receive(
        version, manifest, [IncomingFile(f.name, "", data) for f, data in zip(files, contents, strict=True)]
    )
    _id, manifest, files = collect_envelope(version, {"gender": "trans_woman"})
    good = receive(version, manifest, files)

    result = decryption.decrypt_pending(form=version.form, passphrase=PASSPHRASE, actor=coordinator, limit=10)
    assert (result.decrypted, result.failed) == (1, 3)
    assert sum(result.reasons.values()) == 3
    good.refresh_from_db()
    assert not good.encrypted and good.gender_identity == "trans_woman"
    for bad in (tampered, incomplete, swapped):
        bad.refresh_from_db()
        assert bad.encrypted and bad.decrypted_at is None and bad.answers == {} and bad.gender_identity == ""
        assert bad.decryption_error
        assert all(a.filename.endswith(".enc") for a in bad.attachments.all())  # left exactly as received
    tampered.refresh_from_db()
    assert "signature" in tampered.decryption_error
    assert "not received" in Submission.objects.get(pk=incomplete.pk).decryption_error

    # failed ones are not tried again by the next press (they would hold up the batch) unless asked
    assert decryption.counts(version.form) == {"waiting": 0, "failed": 3, "decrypted": 1}
    nothing = decryption.decrypt_pending(form=version.form, passphrase=PASSPHRASE, actor=coordinator)
    assert (nothing.decrypted, nothing.failed) == (0, 0)
    # asked to try again, they are tried again (and fail again: their files are what they are)
    retried = decryption.decrypt_pending(form=version.form, passphrase=PASSPHRASE, actor=coordinator, retry_failed=True)
    assert (retried.decrypted, retried.failed) == (0, 3)
    assert AuditEntry.objects.filter(action="survey.decrypt.batch").order_by("seq").last().detail["retried"] == 3  # type: ignore[union-attr]


def test_a_missing_file_that_arrives_later_is_decrypted_on_retry(
    encrypted_version: FormVersion, coordinator: User
) -> None:
    version = encrypted_version
    _id, manifest, files = collect_envelope(version, {"gender": "trans_woman"})
    submission = receive(version, manifest, files[:1])  # the photo came, the instance did not
    result = decryption.decrypt_pending(form=version.form, passphrase=PASSPHRASE, actor=coordinator)
    assert result.failed == 1
    # Collect sends the rest under the same instanceID: the skeleton adds the new file to the same record
    again, created = receive_submission(
        xml=manifest, attachments=files[1:], source="openrosa", forms=Form.objects.filter(pk=version.form_id)
    )
    assert not created and again.pk == submission.pk
    result = decryption.decrypt_pending(form=version.form, passphrase=PASSPHRASE, actor=coordinator, retry_failed=True)
    assert (result.decrypted, result.failed) == (1, 0)
    submission.refresh_from_db()
    assert submission.gender_identity == "trans_woman" and submission.decryption_error == ""


def test_rotation_keeps_earlier_submissions_decryptable(organization: Organization, coordinator: User) -> None:
    keys.survey_key_create(organization=organization, passphrase=PASSPHRASE, actor=coordinator)
    v1 = make_form(organization, coordinator, public_key="organization")
    _id, manifest, files = collect_envelope(v1, {"gender": "cis_woman"})
    old = receive(v1, manifest, files)

    second = "otra frase para la llave nueva"
    keys.survey_key_create(organization=organization, passphrase=second, actor=coordinator)
    assert SurveyKey.objects.filter(organization=organization).count() == 2
    assert [k.current for k in keys.organization_keys(organization)] == [True, False]
    assert AuditEntry.objects.filter(action="survey.key.rotate").count() == 1
    # the old version still takes submissions encrypted with the old key (phones that have not updated)
    _id, manifest, files = collect_envelope(v1, {"gender": "cis_woman"})
    old_late = receive(v1, manifest, files)
    # a new version must carry the new key
    with pytest.raises(XLSFormError, match="current survey key"):
        make_form(organization, coordinator, version="2", public_key=v1.public_key)
    v2 = make_form(organization, coordinator, version="2", public_key="organization")
    _id, manifest, files = collect_envelope(v2, {"gender": "trans_woman"})
    new = receive(v2, manifest, files)
    assert new.key_fingerprint != old.key_fingerprint

    result = decryption.decrypt_pending(form=v1.form, passphrase=second, actor=coordinator)
    assert (result.decrypted, result.other_key) == (1, 2)
    assert Submission.objects.get(pk=new.pk).gender_identity == "trans_woman"
    result = decryption.decrypt_pending(form=v1.form, passphrase=PASSPHRASE, actor=coordinator)
    assert (result.decrypted, result.other_key) == (2, 0)
    assert set(Submission.objects.filter(pk__in=[old.pk, old_late.pk]).values_list("gender_identity", flat=True)) == {
        "cis_woman"
    }


def test_work_per_request_is_bounded(encrypted_version: FormVersion, coordinator: User, settings: Any) -> None:
    settings.SURVEYS_DECRYPT_BATCH = 2
    for _n in range(5):
        _id, manifest, files = collect_envelope(encrypted_version, photo=None)
        receive(encrypted_version, manifest, files)
    progress = []
    while True:
        result = decryption.decrypt_pending(form=encrypted_version.form, passphrase=PASSPHRASE, actor=coordinator)
        progress.append((result.decrypted, result.remaining))
        if not result.remaining:
            break
    assert progress == [(2, 3), (2, 1), (1, 0)]


def test_a_plain_submission_to_an_encrypted_form_and_an_envelope_to_a_plain_one_are_refused(
    encrypted_version: FormVersion, organization: Organization, coordinator: User
) -> None:
    with pytest.raises(SubmissionError) as refused:
        receive_submission(
            xml=instance_xml(encrypted_version),
            source="openrosa",
            forms=Form.objects.filter(pk=encrypted_version.form_id),
        )
    assert refused.value.code == "not_encrypted"
    plain = make_form(organization, coordinator, form_id="plain_form")
    _id, manifest, files = collect_envelope(encrypted_version, photo=None)
    manifest = manifest.replace(b'id="amparo_test"', b'id="plain_form"')
    with pytest.raises(SubmissionError) as refused:
        receive_submission(
            xml=manifest, attachments=files, source="openrosa", forms=Form.objects.filter(pk=plain.form_id)
        )
    assert refused.value.code == "unexpected_encryption"
    assert not Submission.objects.exists()


@pytest.mark.parametrize(
    ("remove", "add"),
    [
        (r"<base64EncryptedKey>[^<]*</base64EncryptedKey>", ""),
        (r"<encryptedXmlFile>[^<]*</encryptedXmlFile>", ""),
        (r"<base64EncryptedKey>[^<]*</base64EncryptedKey>", "<base64EncryptedKey>not base64!</base64EncryptedKey>"),
        (r"<media><file>[^<]*</file></media>", "<media><file>../../etc/passwd</file></media>"),
    ],
)
def test_an_envelope_that_is_not_a_manifest_is_refused_at_reception(
    encrypted_version: FormVersion, remove: str, add: str
) -> None:
    _id, manifest, files = collect_envelope(encrypted_version)
    broken = re.sub(remove, add, manifest.decode(), count=1).encode()
    assert broken != manifest
    names = set(re.findall(r"<(?:file|encryptedXmlFile)>([^<]*)<", broken.decode()))
    with pytest.raises(SubmissionError) as refused:
        receive_submission(
            xml=broken,
            attachments=[f for f in files if f.name in names],
            source="openrosa",
            forms=Form.objects.filter(pk=encrypted_version.form_id),
        )
    assert refused.value.code == "malformed" and "manifest" in refused.value.message
    assert not Submission.objects.exists() and not Attachment.objects.exists()
