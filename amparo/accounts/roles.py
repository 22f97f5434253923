"""Staff roles (DESIGN.md rule 1 and 9). A membership gives a user one role in one organisation."""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _


class Role(models.TextChoices):
    COORDINATOR = "coordinator", _("Coordinator (organisation administrator)")
    CASEWORKER = "caseworker", _("Caseworker")
    LEGAL_ADVISOR = "legal_advisor", _("Legal advisor")
    FOCAL_POINT = "focal_point", _("Focal point")
    MONITOR = "monitor", _("Monitor (Ombudsman)")
    ENUMERATOR = "enumerator", _("Enumerator")
    ANALYST = "analyst", _("Analyst")


# Roles that will see cases, reports, referrals or trafficking alerts: TOTP is mandatory at login.
# Enumerators (survey entry) and analysts (aggregates only) may add it and are encouraged to.
ROLES_REQUIRING_2FA = frozenset({Role.COORDINATOR, Role.CASEWORKER, Role.LEGAL_ADVISOR, Role.FOCAL_POINT, Role.MONITOR})

# The pseudo-role of platform administrators (Django superusers), used in access rules and the role matrix.
PLATFORM_ADMIN = "platform_admin"

# Roles that receive an organisation's safe-channel reports (DESIGN.md rule 1: those who accompany survivors).
REPORT_RECIPIENT_ROLES = frozenset({Role.COORDINATOR, Role.CASEWORKER, Role.LEGAL_ADVISOR})

# Roles that work on cases (assigned caseworkers and lawyers; coordinators supervise their organisation's cases).
CASE_ROLES = frozenset({Role.COORDINATOR, Role.CASEWORKER, Role.LEGAL_ADVISOR})
