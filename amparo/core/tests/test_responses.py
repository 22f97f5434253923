"""The one download of a stored file (core/responses.py) that the case files, the legal documents and the safe
channel's attachments all use: an attachment named per RFC 6266, never cached, read (and audited) only when found."""

from __future__ import annotations

from dataclasses import dataclass

import pytest
from django.http import Http404

from amparo.core.responses import attachment, stored_file_download


@dataclass
class _File:
    name: str
    content_type: str


def test_an_attachment_is_named_per_rfc6266_and_never_cached() -> None:
    response = attachment(b"%PDF-1.4 acta", content_type="application/pdf", filename="Acta – audiencia ñ.pdf")
    assert response.content == b"%PDF-1.4 acta" and response["Content-Type"] == "application/pdf"
    assert response["Cache-Control"] == "no-store"
    disposition = response["Content-Disposition"]
    assert disposition.startswith("attachment; ")
    assert "filename*=utf-8''Acta%20%E2%80%93%20audiencia%20%C3%B1.pdf" in disposition


def test_a_file_not_found_is_a_404_and_nothing_is_read() -> None:
    read: list[_File] = []

    def reader(found: _File) -> bytes:
        read.append(found)
        return b"data"

    with pytest.raises(Http404):
        stored_file_download(None, reader)
    assert read == []
    found = _File("foto.jpg", "image/jpeg")
    response = stored_file_download(found, reader)
    assert read == [found] and response["Content-Type"] == "image/jpeg"
    assert response["Content-Disposition"] == 'attachment; filename="foto.jpg"'
