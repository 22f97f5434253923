"""The admin site: for platform administrators and coordinators, behind the same 2FA sign-in as staff pages."""

from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.contrib.admin.apps import AdminConfig
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.urls import reverse
from django.utils.http import urlencode


class AmparoAdminSite(admin.AdminSite):
    site_header = "Amparo"
    site_title = "Amparo"

    def has_permission(self, request: HttpRequest) -> bool:
        from amparo.accounts.access import is_coordinator

        user = request.user
        return bool(user.is_active and is_coordinator(user) and user.is_verified())

    def login(self, request: HttpRequest, extra_context: Any = None) -> HttpResponse:
        """One sign-in for everyone (password, lockout, then TOTP): the staff login page."""
        target = request.GET.get("next") or reverse("admin:index")
        return redirect(f"{reverse('accounts:login')}?{urlencode({'next': target})}")


class AmparoAdminConfig(AdminConfig):
    default_site = "amparo.core.admin_site.AmparoAdminSite"


class CoordinatorAdminMixin:
    """Directory and pathway content: coordinators (and platform administrators) may edit everything."""

    def _allowed(self, request: HttpRequest) -> bool:
        from amparo.accounts.access import is_coordinator

        return is_coordinator(request.user)

    def has_module_permission(self, request: HttpRequest) -> bool:
        return self._allowed(request)

    def has_view_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return self._allowed(request)

    def has_add_permission(self, request: HttpRequest, *args: Any) -> bool:
        return self._allowed(request)

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return self._allowed(request)

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return self._allowed(request)
