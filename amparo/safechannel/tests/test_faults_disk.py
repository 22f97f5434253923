"""The disk full while an attachment is saved (issue 18, item 5; docs/faults.md): SAFECHANNEL_STORAGE_DIR on a real
tmpfs of 64 KB (mounting needs root: the test is skipped without it), a report with a 200 KB file. She gets a clear
message with her text kept, nothing is stored (no row, no file, no half file), and the same text without the file
gets in."""

from __future__ import annotations

import os
import secrets
import subprocess
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from amparo.safechannel.models import Attachment, Message, Report

from .conftest import CUCUTA, World
from .test_availability import challenge_of, fields, receipt_in, with_proof
from .test_faults_cache import visitor

pytestmark = pytest.mark.django_db


@pytest.fixture
def small_disk(settings: Any, tmp_path: Path) -> Iterator[Path]:
    mount = tmp_path / "small-disk"
    mount.mkdir()
    done = subprocess.run(
        ["mount", "-t", "tmpfs", "-o", "size=64k,mode=0700", "tmpfs", str(mount)], capture_output=True, check=False
    )
    if done.returncode != 0:
        pytest.skip(f"cannot mount a tmpfs here (needs root): {done.stderr.decode().strip()}")
    settings.SAFECHANNEL_STORAGE_DIR = mount / "safechannel"
    try:
        yield mount
    finally:
        subprocess.run(["umount", str(mount)], check=True)


def big_pdf() -> bytes:
    return b"%PDF-1.4\n1 0 obj<<>>endobj\n% " + secrets.token_hex(100_000).encode() + b"\ntrailer<<>>\n%%EOF\n"


def test_a_full_disk_gives_a_clear_message_keeps_her_text_and_stores_nothing(world: World, small_disk: Path) -> None:
    survivor = visitor("198.51.100.50")
    page = survivor.get(f"/es/channel/report/?place={CUCUTA}")
    data = fields(page)
    data["attachments"] = [SimpleUploadedFile("denuncia.pdf", big_pdf(), content_type="application/pdf")]
    sent = survivor.post(with_proof("/es/channel/report/", challenge_of(page)), data)
    text = sent.content.decode()
    assert sent.status_code == 503, text[:2000]
    assert "Tus archivos no se pudieron guardar" in text
    assert "Un cliente me agredió en el hotel Marfil-4471" in text  # her text, back in the form
    assert Report.objects.count() == 0 and Attachment.objects.count() == 0
    left = [os.path.join(folder, name) for folder, _dirs, names in os.walk(small_disk) for name in names]
    assert left == []  # no file, no half file, no temporary file
    # The same report without the file gets in (the form came back with a fresh token and challenge).
    again = fields(sent)
    sent = survivor.post(with_proof("/es/channel/report/", challenge_of(sent)), again)
    assert sent.status_code == 200, sent.content.decode()[:2000]
    assert receipt_in(sent)
    assert Report.objects.count() == 1


def test_a_full_disk_when_she_adds_a_file_to_her_report_keeps_her_message(world: World, small_disk: Path) -> None:
    survivor = visitor("198.51.100.51")
    page = survivor.get(f"/es/channel/report/?place={CUCUTA}")
    receipt = receipt_in(survivor.post(with_proof("/es/channel/report/", challenge_of(page)), fields(page)))
    login = survivor.get("/es/channel/login/")
    assert survivor.post(with_proof("/es/channel/login/", challenge_of(login)), {"receipt": receipt}).status_code == 302
    upload = SimpleUploadedFile("foto.pdf", big_pdf(), content_type="application/pdf")
    sent = survivor.post("/es/channel/inbox/", {"text": "Mensaje-Ámbar-5521: ya tengo la copia", "attachments": upload})
    text = sent.content.decode()
    assert sent.status_code == 503, text[:2000]
    assert "Tus archivos no se pudieron guardar" in text and "Mensaje-Ámbar-5521" in text
    assert Message.objects.count() == 0 and Attachment.objects.count() == 0
    left = [os.path.join(folder, name) for folder, _dirs, names in os.walk(small_disk) for name in names]
    assert left == []
