"""Responses every app's views share (plumbing, not views of their own)."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render


def bad_request_page(request: HttpRequest, message: str) -> HttpResponse:
    """A 400 page that names the problem, rendered by the view itself (nothing is raised, nothing logged)."""
    return render(request, "core/error.html", {"status": 400, "message": message}, status=400)
