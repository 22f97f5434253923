"""The channel's cryptography: receipts, sealing, password-locked keys, recovery keys, attachment cleaning."""

from __future__ import annotations

import io
from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from PIL import Image

from amparo.core.uploads import AttachmentRejected, clean_upload, safe_name
from amparo.safechannel import crypto
from amparo.safechannel.services import gbv_core_type, risk_level

from .conftest import jpeg_with_metadata, small_pdf


def test_receipts_are_16_random_digits_and_accept_how_people_write_them() -> None:
    receipts = {crypto.new_receipt() for _ in range(200)}
    assert len(receipts) == 200 and all(len(r) == 16 and r.isdigit() for r in receipts)
    assert crypto.normalize_receipt("1234 5678-9012.3456") == "1234567890123456"
    for bad in ["123", "1234 5678 9012 345x", "١٢٣٤٥٦٧٨٩٠١٢٣٤٥٦", "1" * 17, ""]:
        with pytest.raises(crypto.InvalidReceipt):
            crypto.normalize_receipt(bad)
    assert crypto.format_receipt("1234567890123456") == "1234 5678 9012 3456"


def test_receipt_secrets_depend_on_receipt_and_pepper(settings: Any) -> None:
    a = crypto.receipt_secrets("1234567890123456")
    assert a == crypto.receipt_secrets("1234567890123456")  # deterministic: the lookup is an index
    assert a.lookup != crypto.receipt_secrets("1234567890123457").lookup
    assert a.key.hex() not in a.lookup  # two independent values
    settings.SAFECHANNEL_PEPPER = "another-server-pepper-0123456789abcdef"
    b = crypto.receipt_secrets("1234567890123456")
    assert b.lookup != a.lookup and b.key != a.key  # without the pepper a stolen database cannot test guesses


def test_sealing_and_symmetric_encryption_detect_tampering() -> None:
    pair = crypto.new_keypair()
    key = crypto.new_key()
    sealed = crypto.seal(pair.public, key)
    assert crypto.unseal(pair.private, sealed) == key
    with pytest.raises(crypto.CryptoError):
        crypto.unseal(crypto.new_keypair().private, sealed)
    box = crypto.encrypt(key, b"relato")
    with pytest.raises(crypto.CryptoError):
        crypto.decrypt(key, box[:-1] + bytes([box[-1] ^ 1]))
    assert crypto.decrypt(key, box) == b"relato"


def test_private_key_locked_under_the_password() -> None:
    pair = crypto.new_keypair()
    salt, locked = crypto.lock_private_key(pair.private, "contraseña larga 123")
    assert crypto.unlock_private_key(salt, locked, "contraseña larga 123") == pair.private
    with pytest.raises(crypto.CryptoError):
        crypto.unlock_private_key(salt, locked, "otra contraseña 123")


def test_recovery_key_text_round_trip() -> None:
    pair = crypto.new_keypair()
    text = crypto.recovery_key_text(pair.private)
    assert crypto.recovery_key_from_text(text.upper()) == pair.private
    assert crypto.public_key_of(crypto.recovery_key_from_text(text)) == pair.public
    with pytest.raises(crypto.CryptoError):
        crypto.recovery_key_from_text("abc")


def test_images_lose_their_metadata_and_disguised_files_are_refused() -> None:
    clean = clean_upload(SimpleUploadedFile("foto.JPG", jpeg_with_metadata()))
    assert clean.content_type == "image/jpeg" and b"SecretPhone" not in clean.data
    with Image.open(io.BytesIO(clean.data)) as image:
        assert not image.getexif()
    assert clean_upload(SimpleUploadedFile("acta.pdf", small_pdf())).content_type == "application/pdf"
    for name, data, code in [
        ("foto.jpg", small_pdf(), "disguised"),
        ("script.pdf", b"#!/bin/sh\nrm -rf /\n", "unknown_type"),
        ("vacio.pdf", b"", "empty"),
    ]:
        with pytest.raises(AttachmentRejected) as refused:
            clean_upload(SimpleUploadedFile(name, data))
        assert refused.value.code == code


def test_file_names_are_cleaned() -> None:
    assert safe_name("../../etc/passwd") == "passwd"
    assert safe_name("C:\\Users\\ana\\<foto>.jpg") == "foto.jpg"
    assert safe_name("") == "file"


def test_triage_and_gbvims_classification() -> None:
    assert risk_level("yes", "yes") == 3 and risk_level("unknown", "no") == 2 and risk_level("no", "no") == 0
    assert gbv_core_type(["psychological_emotional_abuse", "rape"]) == "rape"  # elimination order
    assert gbv_core_type([]) == ""
