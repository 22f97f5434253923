"""Two-factor enforcement for staff pages (DESIGN.md rule 9).

A signed-in user whose role requires 2FA reaches nothing but the verification, enrolment and logout pages until
this session was verified with a TOTP or recovery code (django-otp's OTPMiddleware marks the session).
"""

from __future__ import annotations

from collections.abc import Callable

from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.urls import reverse

ALLOWED_BEFORE_2FA = ("/staff/login/", "/staff/logout/", "/staff/2fa/", "/staff/invitations/", "/staff/password-reset/")
PROTECTED_PREFIXES = ("/staff/", "/admin/", "/api/staff/")


class Require2FAMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        path = request.path
        user = request.user
        if (
            path.startswith(PROTECTED_PREFIXES)
            and not path.startswith(ALLOWED_BEFORE_2FA)
            and user.is_authenticated
            and not user.is_verified()
            and user.requires_2fa
        ):
            from django_otp.plugins.otp_totp.models import TOTPDevice

            has_device = TOTPDevice.objects.filter(user=user, confirmed=True).exists()
            return redirect(reverse("accounts:verify" if has_device else "accounts:setup_2fa"))
        return self.get_response(request)
