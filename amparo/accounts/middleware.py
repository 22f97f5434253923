"""Two-factor enforcement for staff pages (DESIGN.md rule 9).

A signed-in user whose role requires 2FA, or who enrolled a device, reaches nothing but the pages named in
`ALLOWED_BEFORE_2FA` (sign-in, verification, enrolment, sign-out, accepting an invitation, password reset) until
this session was verified with a TOTP or recovery code (django-otp's OTPMiddleware marks the session). The check
is by URL name, after the URL is resolved, so a new page under an allowed prefix is protected by default.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.urls import reverse

ALLOWED_BEFORE_2FA = frozenset(
    {
        "accounts:login",
        "accounts:verify",
        "accounts:logout",
        "accounts:setup_2fa",
        "accounts:open_invitation",
        "accounts:accept_invitation",
        "accounts:password_reset",
        "accounts:password_reset_done",
        "accounts:password_reset_confirm",
        "today:set_language",
    }
)
PROTECTED_PREFIXES = ("/staff/", "/admin/", "/api/staff/")


def has_device(user: Any) -> bool:
    from django_otp.plugins.otp_totp.models import TOTPDevice

    return TOTPDevice.objects.filter(user=user, confirmed=True).exists()


class Require2FAMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        return self.get_response(request)

    def process_view(
        self, request: HttpRequest, view: Callable[..., Any], args: Any, kwargs: Any
    ) -> HttpResponse | None:
        match = request.resolver_match
        user = request.user
        if (
            not request.path.startswith(PROTECTED_PREFIXES)
            or (match is not None and match.view_name in ALLOWED_BEFORE_2FA)
            or not user.is_authenticated
            or user.is_verified()
        ):
            return None
        device = has_device(user)
        if device or user.requires_2fa:
            return redirect(reverse("accounts:verify" if device else "accounts:setup_2fa"))
        return None
