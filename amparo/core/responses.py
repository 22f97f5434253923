"""Responses every app's views share (plumbing, not views of their own)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Protocol, TypeVar

from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils.http import content_disposition_header


def bad_request_page(request: HttpRequest, message: str) -> HttpResponse:
    """A 400 page that names the problem, rendered by the view itself (nothing is raised, nothing logged)."""
    return render(request, "core/error.html", {"status": 400, "message": message}, status=400)


def attachment(data: bytes, *, content_type: str, filename: str) -> HttpResponse:
    """A stored file, decrypted, sent back as a download: always as an attachment (never rendered on our origin),
    named per RFC 6266 (an ASCII fallback and filename*=UTF-8'' for names with accents, as FileResponse writes it),
    and never kept in a cache (`no-store`)."""
    response = HttpResponse(data, content_type=content_type)
    response["Content-Disposition"] = content_disposition_header(as_attachment=True, filename=filename)
    response["Cache-Control"] = "no-store"
    return response


class StoredFile(Protocol):
    """A file record kept encrypted on disk: its checked name and content type (core/uploads.py)."""

    name: str
    content_type: str


F = TypeVar("F", bound=StoredFile)


def stored_file_download(stored: F | None, read: Callable[[F], bytes]) -> HttpResponse:
    """The download of a file record the view found among those the user may see (None: not there, or not hers, the
    same 404). `read` decrypts it and audits the read in one transaction (the app's service)."""
    if stored is None:
        raise Http404
    return attachment(read(stored), content_type=stored.content_type, filename=stored.name)
