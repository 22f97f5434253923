"""Staff sign-in (password, then TOTP), 2FA enrolment and invitations (the home page is amparo/today)."""

from __future__ import annotations

from typing import cast

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import authenticate, login
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.middleware.csrf import get_token
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST
from django_otp import login as otp_login
from django_otp import match_token
from django_otp.plugins.otp_totp.models import TOTPDevice

from amparo.access import (
    ANY_STAFF,
    get_invitation_for_user,
    get_membership_for_user,
    get_organization_for_user,
    staff_view,
)
from amparo.audit.services import audit_record
from amparo.core.qr import qr_svg

from . import services
from .forms import AcceptInvitationForm, InvitationForm, LoginForm, MemberUpdateForm, TokenForm
from .models import Membership, User
from .roles import PLATFORM_ADMIN, Role
from .signals import password_verified
from .signout import sign_out


def _next_url(request: HttpRequest) -> str:
    target = request.POST.get("next") or request.GET.get("next") or ""
    if target and url_has_allowed_host_and_scheme(target, {request.get_host()}, require_https=request.is_secure()):
        return target
    return reverse("today:home")


@require_http_methods(["GET", "POST"])
def login_view(request: HttpRequest) -> HttpResponse:
    form = LoginForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        user = authenticate(request, username=form.cleaned_data["email"], password=form.cleaned_data["password"])
        if getattr(request, "axes_locked_out", False):
            return render(request, "accounts/locked.html", status=429)
        if user is None:
            form.add_error(None, _("Wrong e-mail address or password."))
        else:
            login(request, user)
            password_verified.send(sender=User, request=request, user=user, password=form.cleaned_data["password"])
            if TOTPDevice.objects.filter(user=user, confirmed=True).exists():
                return redirect(f"{reverse('accounts:verify')}?next={_next_url(request)}")
            if user.requires_2fa:
                return redirect("accounts:setup_2fa")
            return redirect(_next_url(request))
    return render(request, "accounts/login.html", {"form": form, "next": request.GET.get("next", "")})


@require_http_methods(["GET", "POST"])
def verify_view(request: HttpRequest) -> HttpResponse:
    """Second step: a TOTP code (each accepted once) or a one-time recovery code."""
    if not request.user.is_authenticated:
        return redirect("accounts:login")
    form = TokenForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        device = match_token(request.user, form.cleaned_data["token"])
        if device is None:
            form.add_error("token", _("That code is not valid. Codes can be used only once."))
        else:
            otp_login(request, device)
            request.session.cycle_key()  # a session key seen before the second factor is worth nothing after it
            with_transaction_audit(request.user, "auth.login")
            return redirect(_next_url(request))
    return render(request, "accounts/verify.html", {"form": form, "next": request.GET.get("next", "")})


def with_transaction_audit(user: object, action: str) -> None:
    from django.db import transaction

    with transaction.atomic():
        audit_record(actor=user, action=action)


@require_http_methods(["GET", "POST"])
def setup_2fa_view(request: HttpRequest) -> HttpResponse:
    if not request.user.is_authenticated:
        return redirect("accounts:login")
    user = request.user
    if TOTPDevice.objects.filter(user=user, confirmed=True).exists() and not request.user.is_verified():
        return redirect("accounts:verify")  # replacing a device needs the current one first
    device = services.totp_device_for_setup(user)
    form = TokenForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        if device.verify_token(form.cleaned_data["token"]):
            codes = services.totp_device_confirm(user=user, device=device)
            otp_login(request, device)
            request.session.cycle_key()
            return render(request, "accounts/recovery_codes.html", {"codes": codes})
        form.add_error("token", _("That code is not valid. Check the time on your phone and try again."))
    return render(
        request,
        "accounts/setup_2fa.html",
        {"form": form, "qr": qr_svg(device.config_url), "secret": _base32(device.bin_key)},
    )


def _base32(key: bytes) -> str:
    import base64

    return base64.b32encode(key).decode().rstrip("=")


@require_POST
def logout_view(request: HttpRequest) -> HttpResponse:
    return sign_out(request)


@staff_view({Role.COORDINATOR, PLATFORM_ADMIN})
def organization_members(request: HttpRequest, org_uuid: str) -> HttpResponse:
    organization = get_organization_for_user(request.user, org_uuid, {Role.COORDINATOR, PLATFORM_ADMIN})  # type: ignore[arg-type]
    form = InvitationForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        accept_url = request.build_absolute_uri(reverse("accounts:open_invitation", args=["TOKEN"]))
        services.invitation_create(
            actor=request.user,  # type: ignore[arg-type]
            organization=organization,
            email=form.cleaned_data["email"],
            role=form.cleaned_data["role"],
            accept_url=accept_url,
        )
        messages.success(request, _("Invitation sent."))
        return redirect("accounts:members", org_uuid=organization.uuid)
    return render(
        request,
        "accounts/members.html",
        {
            "organization": organization,
            "memberships": organization.memberships.select_related("user").order_by("user__email", "role"),
            "roles": Role.choices,
            # Caseload and closures are case pages: coordinators only (platform administrators see no cases).
            "coordinates": Membership.objects.filter(
                user=cast(User, request.user), organization=organization, role=Role.COORDINATOR, active=True
            ).exists(),
            "invitations": organization.invitations.filter(accepted_at__isnull=True, revoked_at__isnull=True),
            "form": form,
        },
    )


@staff_view({Role.COORDINATOR, PLATFORM_ADMIN})
@require_POST
def member_update(request: HttpRequest, membership_id: int) -> HttpResponse:
    """Deactivate or reactivate a member, or change her role (audited; her sessions end). A bad or missing
    choice is a 400 page; a refused change comes back as a message."""
    membership = get_membership_for_user(request.user, membership_id)  # type: ignore[arg-type]
    form = MemberUpdateForm(request.POST)
    if not form.is_valid():
        return render(request, "core/error.html", {"status": 400}, status=400)
    action = form.cleaned_data["action"]
    try:
        if action == "role":
            services.membership_change_role(
                actor=request.user,  # type: ignore[arg-type]
                membership=membership,
                role=form.cleaned_data["role"],
            )
        else:
            services.membership_set_active(
                actor=request.user,  # type: ignore[arg-type]
                membership=membership,
                active=action == "activate",
            )
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    else:
        messages.success(request, _("Saved. Her open sessions were ended."))
    return redirect("accounts:members", org_uuid=membership.organization.uuid)


@staff_view({Role.COORDINATOR, PLATFORM_ADMIN})
@require_POST
def revoke_invitation(request: HttpRequest, invitation_id: int) -> HttpResponse:
    invitation = get_invitation_for_user(request.user, invitation_id)  # type: ignore[arg-type]
    services.invitation_revoke(actor=request.user, invitation=invitation)  # type: ignore[arg-type]
    messages.success(request, _("Invitation revoked."))
    return redirect("accounts:members", org_uuid=invitation.organization.uuid)


INVITATION_SESSION_KEY = "accounts:invitation_token"


@require_http_methods(["GET"])
def open_invitation(request: HttpRequest, token: str) -> HttpResponse:
    """Keep the token out of the address bar and history: move it into the session, then redirect."""
    if services.invitation_by_token(token) is None:
        return render(request, "accounts/invitation_invalid.html", status=404)
    request.session[INVITATION_SESSION_KEY] = token
    return redirect("accounts:accept_invitation")


@require_http_methods(["GET", "POST"])
def accept_invitation(request: HttpRequest) -> HttpResponse:
    token = request.session.get(INVITATION_SESSION_KEY, "")
    invitation = services.invitation_by_token(token) if token else None
    if invitation is None:
        return render(request, "accounts/invitation_invalid.html", status=404)
    form = AcceptInvitationForm(request.POST or None, email=invitation.email)
    if request.method == "POST" and form.is_valid():
        try:
            user = services.invitation_accept(
                invitation=invitation,
                display_name=form.cleaned_data["display_name"],
                password=form.cleaned_data["password1"],
            )
        except ValidationError as exc:
            form.add_error(None, exc)
        else:
            request.session.pop(INVITATION_SESSION_KEY, None)
            login(request, user, backend="django.contrib.auth.backends.ModelBackend")
            password_verified.send(sender=User, request=request, user=user, password=form.cleaned_data["password1"])
            return redirect("accounts:setup_2fa" if user.requires_2fa else "today:home")
    return render(request, "accounts/accept_invitation.html", {"form": form, "invitation": invitation})


@staff_view(ANY_STAFF)
@require_GET
def session_state(request: HttpRequest) -> JsonResponse:
    """The staff session seen from a page that holds a half-written form (core/static/core/session.js): how long it
    lasts and the current CSRF token; like every request it extends the session (the page's "stay signed in" and
    its check before sending a form). Once the session has ended this URL sends to the sign-in page like any staff
    URL: the script reads that as "signed out", opens the sign-in in another window and keeps what she typed in the
    page. Nothing she typed is sent or stored."""
    return JsonResponse({"signed_in": True, "seconds": settings.SESSION_COOKIE_AGE, "csrf": get_token(request)})
