"""Django's admin, with Amparo's site (`amparo.access.admin.AmparoAdminSite`: the same 2FA sign-in as staff pages,
and every admin scoped through the permission module). Named by string: this module is imported while the app
registry loads, before any model exists, and core imports nothing above it."""

from __future__ import annotations

from django.contrib.admin.apps import AdminConfig


class AmparoAdminConfig(AdminConfig):
    default_site = "amparo.access.admin.AmparoAdminSite"
