"""Signing a staff member out, for the staff pages and the admin alike."""

from __future__ import annotations

from django.contrib.auth import logout
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect


def sign_out(request: HttpRequest) -> HttpResponse:
    """Sign out, and ask the browser to drop what it kept of the staff site (cached pages, cookies, storage)."""
    logout(request)
    response = redirect("accounts:login")
    response["Clear-Site-Data"] = '"cache", "cookies", "storage"'
    return response
