"""The ODK encryption format (`odk_crypto.py`) against submissions that real ODK Collect phones encrypted.

The fixtures and their sources are described in `tests/data/odk_encrypted/README.md`. No database needed.
"""

from __future__ import annotations

import base64
import hashlib
import json
from pathlib import Path
from typing import Any

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.hazmat.primitives.ciphers import Cipher, algorithms

from amparo.surveys import odk_crypto
from amparo.surveys.odk_crypto import CFB, DecryptionError, EnvelopeError

DATA = Path(__file__).parent / "data" / "odk_encrypted"


def _load(name: str) -> dict[str, Any]:
    return json.loads((DATA / name).read_text())


def _private(pem: str) -> rsa.RSAPrivateKey:
    key = serialization.load_pem_private_key(pem.encode(), password=None)
    assert isinstance(key, rsa.RSAPrivateKey)
    return key


CENTRAL = _load("central_collect_1_22_4.json")
BRIEFCASE = _load("briefcase_collect_2018.json")


def test_collect_key_is_unwrapped_with_oaep_sha256():
    key = odk_crypto.rsa_oaep_decrypt(
        _private(CENTRAL["private_key_pem"]), base64.b64decode(CENTRAL["key_retrieval"]["encrypted_key_base64"])
    )
    assert key == base64.b64decode(CENTRAL["key_retrieval"]["aes_key_base64"])


def test_ivs_are_those_of_central():
    case = CENTRAL["iv_generation"]
    ivs = odk_crypto.iv_sequence(case["instance_id"], base64.b64decode(case["aes_key_base64"]), 32)
    assert case["ivs"]  # the six values of Central's test, including wrap-around past index 15
    for index, expected in case["ivs"].items():
        assert ivs[int(index)].hex() == expected


def test_collect_1_22_4_submission_decrypts_byte_for_byte():
    private_key = _private(CENTRAL["private_key_pem"])
    manifest = odk_crypto.parse_manifest_bytes(CENTRAL["manifest_xml"].encode())
    assert manifest.form_id == "encrypted"
    assert manifest.version == "working3"
    assert manifest.instance_id == CENTRAL["instance_id"]
    assert manifest.media == ("1561432532482.jpg.enc",)
    assert manifest.files == ("1561432532482.jpg.enc", "submission.xml.enc")

    key = odk_crypto.decrypt_submission_key(private_key, manifest)
    ivs = odk_crypto.iv_sequence(manifest.instance_id, key, len(manifest.files))
    # the XML is the last file: index 1, after the one photo
    plain = odk_crypto.decrypt_file(key, ivs[1], base64.b64decode(CENTRAL["ciphertext_base64"]))
    assert plain == CENTRAL["plaintext"].encode("utf-8")
    # with the photo's IV, CFB garbles only the first block and the padding still passes: the IV order matters,
    # and only the signature (checked by decrypt_submission) would notice such a mix-up
    wrong = odk_crypto.decrypt_file(key, ivs[0], base64.b64decode(CENTRAL["ciphertext_base64"]))
    assert wrong[:16] != plain[:16] and wrong[16:] == plain[16:]


def test_collect_submission_without_its_photo_is_refused_cleanly():
    """Central never published this submission's photo: the whole-submission decryption says a file is missing."""
    manifest = odk_crypto.parse_manifest_bytes(CENTRAL["manifest_xml"].encode())
    files = {"submission.xml.enc": base64.b64decode(CENTRAL["ciphertext_base64"])}
    with pytest.raises(DecryptionError, match="not received"):
        odk_crypto.decrypt_submission(_private(CENTRAL["private_key_pem"]), manifest, files)


def _briefcase_media_keys() -> tuple[odk_crypto.Manifest, bytes, list[bytes]]:
    private_key = _private(BRIEFCASE["private_key_pem"])
    manifest = odk_crypto.parse_manifest_bytes(BRIEFCASE["manifest_xml"].encode())
    key = odk_crypto.decrypt_submission_key(private_key, manifest)
    return manifest, key, odk_crypto.iv_sequence(manifest.instance_id, key, len(manifest.files))


def test_collect_2018_submission_with_two_photos_decrypts_and_its_signature_verifies():
    private_key = _private(BRIEFCASE["private_key_pem"])
    manifest, key, ivs = _briefcase_media_keys()
    assert manifest.version is None  # no version attribute: the signed text has no version line
    assert manifest.media == ("1538040007350.jpg.enc", "1538040019351.jpg.enc")

    xml = odk_crypto.decrypt_file(key, ivs[2], base64.b64decode(BRIEFCASE["submission_xml_enc_base64"]))
    assert xml.startswith(b"<?xml version='1.0' ?><data id=\"encrypted-form-media\"")
    assert b"<name>My name</name>" in xml
    assert b"<orx:instanceID>uuid:482e83f3-fae6-43ba-a6e9-e438ffe348e3</orx:instanceID>" in xml

    # the photos: files 0 and 1, in the manifest's order; their first blocks decrypt to Briefcase's JPEGs
    for index, name in enumerate(manifest.media):
        media = BRIEFCASE["media"][name]
        decryptor = Cipher(algorithms.AES(key), CFB(ivs[index])).decryptor()
        head = decryptor.update(base64.b64decode(media["ciphertext_head_base64"]))
        assert head == base64.b64decode(media["plaintext_head_base64"])
        assert head.startswith(b"\xff\xd8\xff")  # a JPEG

    md5s = [(name, BRIEFCASE["media"][name]["plaintext_md5"]) for name in manifest.media]
    md5s.append((manifest.xml_file, hashlib.md5(xml, usedforsecurity=False).hexdigest()))
    assert odk_crypto.signature_matches(private_key, manifest, md5s)
    # one byte of the XML changed, or the photos swapped: the signature no longer matches
    altered = [
        *md5s[:2],
        (manifest.xml_file, hashlib.md5(xml.replace(b"My name", b"My nbme"), usedforsecurity=False).hexdigest()),
    ]
    assert not odk_crypto.signature_matches(private_key, manifest, altered)
    assert not odk_crypto.signature_matches(private_key, manifest, [md5s[1], md5s[0], md5s[2]])


def test_the_collect_equivalent_encryptor_round_trips_and_matches_the_signature_algorithm():
    private_key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    public_key = private_key.public_key()
    instance = b"<data id='f' version='3'><meta><instanceID>uuid:1</instanceID></meta><a>1</a></data>"
    encrypted = odk_crypto.encrypt_submission(
        public_key,
        form_id="f",
        version="3",
        instance_id="uuid:1",
        instance_xml=instance,
        media=[("photo.jpg", b"\xff\xd8\xff" + bytes(range(256)) * 5), ("note.txt", b"")],
    )
    assert list(encrypted.files) == ["photo.jpg.enc", "note.txt.enc", "submission.xml.enc"]
    assert all(len(data) % 16 == 0 and data for data in encrypted.files.values())  # an empty file still pads
    manifest = odk_crypto.parse_manifest_bytes(encrypted.manifest_xml)
    assert manifest.signature is not None
    decrypted = odk_crypto.decrypt_submission(private_key, manifest, encrypted.files)
    assert decrypted.xml == instance
    assert decrypted.media == {"photo.jpg": b"\xff\xd8\xff" + bytes(range(256)) * 5, "note.txt": b""}
    assert decrypted.signature_checked

    # the same AES key and instance give the same ciphertext as Collect's IV rule makes it: reproducible
    again = odk_crypto.encrypt_submission(
        public_key, form_id="f", version="3", instance_id="uuid:1", instance_xml=instance, aes_key=encrypted.aes_key
    )
    ivs = odk_crypto.iv_sequence("uuid:1", encrypted.aes_key, 1)
    assert again.files["submission.xml.enc"] == odk_crypto.encrypt_file(encrypted.aes_key, ivs[0], instance)


def test_tampering_is_refused():
    private_key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    encrypted = odk_crypto.encrypt_submission(
        private_key.public_key(),
        form_id="f",
        version=None,
        instance_id="uuid:2",
        instance_xml=b"<data id='f'><meta><instanceID>uuid:2</instanceID></meta><a>1</a></data>",
    )
    manifest = odk_crypto.parse_manifest_bytes(encrypted.manifest_xml)
    ciphertext = bytearray(encrypted.files["submission.xml.enc"])
    ciphertext[20] ^= 0x01  # CFB alone would let this through with valid padding; the signature does not
    with pytest.raises(DecryptionError, match="signature"):
        odk_crypto.decrypt_submission(private_key, manifest, {"submission.xml.enc": bytes(ciphertext)})
    with pytest.raises(DecryptionError):
        odk_crypto.decrypt_submission(private_key, manifest, {"submission.xml.enc": bytes(ciphertext[:-3])})
    other = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    with pytest.raises(DecryptionError, match="key"):
        odk_crypto.decrypt_submission(other, manifest, encrypted.files)


@pytest.mark.parametrize(
    "xml",
    [
        b"<data id='f'><a/></data>",  # not marked encrypted
        b"<data id='f' encrypted='yes'><encryptedXmlFile>s.enc</encryptedXmlFile>"
        b"<meta><instanceID>u</instanceID></meta></data>",  # no key
        b"<data id='f' encrypted='yes'><base64EncryptedKey>!!</base64EncryptedKey>"
        b"<encryptedXmlFile>s.enc</encryptedXmlFile><meta><instanceID>u</instanceID></meta></data>",  # bad base64
        b"<data id='f' encrypted='yes'><base64EncryptedKey>AAAA</base64EncryptedKey>"
        b"<encryptedXmlFile>../s.enc</encryptedXmlFile><meta><instanceID>u</instanceID></meta></data>",  # a path
        b"<data id='f' encrypted='yes'><base64EncryptedKey>AAAA</base64EncryptedKey>"
        b"<encryptedXmlFile>s.enc</encryptedXmlFile></data>",  # no instanceID
        b'<!DOCTYPE d [<!ENTITY e "x">]><data id="f" encrypted="yes">&e;</data>',  # a DTD
        b"<data",  # not XML
    ],
)
def test_malformed_manifests_are_envelope_errors(xml):
    with pytest.raises(EnvelopeError):
        odk_crypto.parse_manifest_bytes(xml)


def test_public_keys_are_read_as_the_xlsform_writes_them():
    central_form = CENTRAL["form_xml"]
    written = central_form.split('base64RsaPublicKey="', 1)[1].split('"', 1)[0]
    private_key = _private(CENTRAL["private_key_pem"])
    assert odk_crypto.public_key_base64(odk_crypto.load_public_key(written)) == written
    assert odk_crypto.fingerprint(written) == odk_crypto.fingerprint(private_key.public_key())
    pem = private_key.public_key().public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    assert odk_crypto.fingerprint(pem.decode()) == odk_crypto.fingerprint(written)
    small = rsa.generate_private_key(public_exponent=65537, key_size=1024).public_key()  # noqa: S505 (refused: the point)
    for bad in ["", "not base64!", base64.b64encode(b"garbage").decode(), odk_crypto.public_key_base64(small)]:
        with pytest.raises(ValueError):
            odk_crypto.load_public_key(bad)
