"""Bad input from phones (issue 14, "Bad input"), over real HTTP: each gets its OpenRosa message and status, and
nothing is half-stored (no submission, no attachment); never a 500."""

from __future__ import annotations

import base64
import uuid
from typing import Any

import httpx
import pytest

from amparo.surveys import form_admin
from amparo.surveys.keys import survey_key_create
from amparo.surveys.models import Attachment, Submission
from amparo.surveys.tests.factories import instance_xml, make_form

from .test_openrosa_http import PhoneWorld, assert_openrosa, jpeg, message, phone, phone_world, submit

pytestmark = pytest.mark.django_db(transaction=True)
__all__ = ["phone_world"]  # the fixture, imported for these tests

BILLION_LAUGHS = b"""<?xml version="1.0"?>
<!DOCTYPE lolz [<!ENTITY lol "lol"><!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">
<!ENTITY lol3 "&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;">]>
<data id="amparo_media" version="1"><consent>&lol3;</consent><meta><instanceID>uuid:1</instanceID></meta></data>"""
EXTERNAL_ENTITY = b"""<?xml version="1.0"?>
<!DOCTYPE data [<!ENTITY secret SYSTEM "file:///etc/passwd">]>
<data id="amparo_media" version="1"><consent>&secret;</consent><meta><instanceID>uuid:2</instanceID></meta></data>"""


def nothing_stored() -> bool:
    return not Submission.objects.exists() and not Attachment.objects.exists()


def refused(response: httpx.Response, status: int) -> str:
    assert response.status_code == status, response.text
    assert_openrosa(response)
    assert nothing_stored()
    return message(response)


@pytest.mark.parametrize(
    "xml",
    [
        b"<data id='amparo_media' version='1'><consent>yes</consent>",  # not well formed
        b"\xff\xfe not xml at all",
        BILLION_LAUGHS,
        EXTERNAL_ENTITY,
    ],
    ids=["truncated", "binary", "entity-expansion", "external-entity"],
)
def test_xml_that_is_not_a_readable_instance_is_400(live_server: Any, phone_world: PhoneWorld, xml: bytes) -> None:
    with phone(live_server, phone_world) as client:
        assert refused(submit(client, xml), 400)


def test_instance_id_version_and_form_are_checked(live_server: Any, phone_world: PhoneWorld) -> None:
    version = phone_world.version
    good = instance_xml(version).decode()
    with phone(live_server, phone_world) as client:
        no_id = good.split("<meta>")[0] + "</data>"
        assert "instanceID" in refused(submit(client, no_id.encode()), 400)
        too_long = instance_xml(version, instance_id="uuid:" + "9" * 200)
        assert refused(submit(client, too_long), 400)
        wrong_version = good.replace('version="1"', 'version="99"')
        assert refused(submit(client, wrong_version.encode()), 400)
        unknown_form = good.replace('id="amparo_media"', 'id="no_such_form"')
        assert refused(submit(client, unknown_form.encode()), 404)


def test_a_body_that_is_not_a_submission_is_400(live_server: Any, phone_world: PhoneWorld) -> None:
    with phone(live_server, phone_world) as client:
        assert refused(client.post("/submission", content=b"<data/>", headers={"Content-Type": "text/xml"}), 400)
        no_xml_part = client.post("/submission", files=[("photo.jpg", ("photo.jpg", jpeg(), "image/jpeg"))])
        assert "xml_submission_file" in refused(no_xml_part, 400)
        broken_multipart = client.post(
            "/submission", content=b"--x\r\nnonsense", headers={"Content-Type": "multipart/form-data; boundary=x"}
        )
        assert refused(broken_multipart, 400)


def test_attachments_the_form_does_not_declare_are_refused(live_server: Any, phone_world: PhoneWorld) -> None:
    version = phone_world.version
    with phone(live_server, phone_world) as client:
        # A file no answer names.
        stray = submit(client, instance_xml(version), [("other.jpg", jpeg(), "image/jpeg")])
        assert "other.jpg" in refused(stray, 400)
        # The photo question's answer names a PDF: not an image by its contents, whatever its name says.
        pdf = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF"
        disguised = submit(client, instance_xml(version, {"photo": "photo.jpg"}), [("photo.jpg", pdf, "image/jpeg")])
        assert refused(disguised, 400)


def test_too_large_is_413_before_the_body_is_read(live_server: Any, phone_world: PhoneWorld, settings: Any) -> None:
    version = phone_world.version
    settings.SURVEYS_MAX_SUBMISSION_BYTES = 64 * 1024
    with phone(live_server, phone_world) as client:
        head = client.head("/submission")
        assert head.headers["X-OpenRosa-Accept-Content-Length"] == str(64 * 1024)
        big = submit(
            client, instance_xml(version, {"photo": "p.jpg"}), [("p.jpg", b"\xff\xd8" + b"0" * 100_000, "image/jpeg")]
        )
        assert refused(big, 413)
    settings.SURVEYS_MAX_SUBMISSION_BYTES = 50 * 1024 * 1024
    settings.SURVEYS_MAX_ATTACHMENT_BYTES = 20 * 1024
    with phone(live_server, phone_world) as client:
        one_big_file = submit(
            client,
            instance_xml(version, {"photo": "p.jpg"}),
            [("p.jpg", jpeg((900, 900)) + b"\0" * 30_000, "image/jpeg")],
        )
        assert refused(one_big_file, 413)
    settings.SURVEYS_MAX_ATTACHMENTS = 2
    with phone(live_server, phone_world) as client:
        files = [(f"{i}.jpg", jpeg(), "image/jpeg") for i in range(4)]
        assert refused(submit(client, instance_xml(version, {"photo": "0.jpg"}), files), 413)


def test_a_body_without_its_length_is_refused(live_server: Any, phone_world: PhoneWorld) -> None:
    """Without Content-Length the body cannot be bounded before it is read: 411 (Collect always sends it)."""

    def chunks() -> Any:
        yield b"--b\r\n"

    with phone(live_server, phone_world) as client:
        response = client.post(
            "/submission", content=chunks(), headers={"Content-Type": "multipart/form-data; boundary=b"}
        )
        assert response.status_code == 411
        assert_openrosa(response)
    assert nothing_stored()


def test_encrypted_forms_take_envelopes_only(live_server: Any, phone_world: PhoneWorld) -> None:
    """A plain submission to an encrypted form is refused; the envelope is stored as received, unread."""
    world = phone_world
    # The organisation's survey key (crypto's keys.py); "organization" in the settings sheet is filled with it.
    survey_key_create(organization=world.org, passphrase="una frase de paso larga y propia", actor=world.coordinator)
    version = make_form(world.org, world.coordinator, form_id="amparo_secret", public_key="organization")
    form_admin.form_set_enumerators(actor=world.coordinator, form=version.form, users=[world.enumerator])
    assert version.encrypted
    with phone(live_server, world) as client:
        assert "encrypted" in refused(submit(client, instance_xml(version)), 400)
        instance_id = f"uuid:{uuid.uuid4()}"
        signature = base64.b64encode(b"s" * 256).decode()
        envelope = (
            '<data xmlns="http://opendatakit.org/submissions" encrypted="yes" id="amparo_secret" version="1">'
            f"<base64EncryptedKey>{base64.b64encode(b'k' * 256).decode()}</base64EncryptedKey>"
            f'<meta xmlns="http://openrosa.org/xforms"><instanceID>{instance_id}</instanceID></meta>'
            "<media><file>1701.jpg.enc</file></media>"
            "<encryptedXmlFile>submission.xml.enc</encryptedXmlFile>"
            f"<base64EncryptedElementSignature>{signature}</base64EncryptedElementSignature>"
            "</data>"
        ).encode()
        files = [
            ("submission.xml.enc", b"\x01" * 512, "application/octet-stream"),
            ("1701.jpg.enc", b"\x02" * 900, "application/octet-stream"),
        ]
        stored = submit(client, envelope, files)
        assert stored.status_code == 201, stored.text
        # An envelope to the plain form is refused too.
        plain = envelope.replace(b'id="amparo_secret"', b'id="amparo_media"').replace(
            instance_id.encode(), b"uuid:other"
        )
        assert submit(client, plain, files).status_code == 400
    submission = Submission.objects.get()
    assert submission.encrypted and submission.answers == {} and submission.raw_instance == envelope.decode()
    assert sorted(Attachment.objects.values_list("filename", flat=True)) == ["1701.jpg.enc", "submission.xml.enc"]
