"""Envelopes of encrypted forms exactly as ODK Collect makes them (odk_crypto.encrypt_submission, itself checked
against real Collect data in test_crypto_odk.py), for the surveys tests."""

from __future__ import annotations

import re
import uuid

from amparo.surveys import odk_crypto
from amparo.surveys.models import FormVersion
from amparo.surveys.services import IncomingFile
from amparo.surveys.tests.factories import instance_xml

PHOTO = b"\xff\xd8\xff\xe0" + bytes(range(256)) * 40  # a JPEG's first bytes and ten kilobytes of pixels


def collect_envelope(
    version: FormVersion, answers: dict[str, str] | None = None, *, photo: bytes | None = PHOTO
) -> tuple[str, bytes, list[IncomingFile]]:
    """What ODK Collect sends for an encrypted form: it reads the key from the downloaded XForm, encrypts the
    instance (and the photo it names), and sends the manifest as xml_submission_file with the .enc files."""
    public_key = odk_crypto.load_public_key(re.search(r'base64RsaPublicKey="([^"]+)"', version.xform)[1])  # type: ignore[index]
    instance_id = f"uuid:{uuid.uuid4()}"
    media = [("1701234567890.jpg", photo)] if photo is not None else []
    xml = instance_xml(
        version, {**(answers or {}), **({"photo": media[0][0]} if media else {})}, instance_id=instance_id
    )
    encrypted = odk_crypto.encrypt_submission(
        public_key,
        form_id=version.form.form_id,
        version=version.version,
        instance_id=instance_id,
        instance_xml=xml,
        media=media,
    )
    files = [IncomingFile(name, "application/octet-stream", data) for name, data in encrypted.files.items()]
    return instance_id, encrypted.manifest_xml, files
