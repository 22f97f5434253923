"""Who may read the statistics dashboards and manage data-sharing agreements (issue 16). Part of the ONE
permission module (amparo/access): views import these, never a model query of their own.

- An organisation's view: its analysts and coordinators (aggregates only, DESIGN.md rule 1); platform admins.
- National and regional views: analysts, coordinators and monitors of any member organisation, and platform
  admins; they count only organisations with an agreement, at the public threshold.
- Trafficking-alert aggregates: monitors (Ombudsman) and platform admins.
- Agreements: the coordinators of the organisation that signs them; platform admins.
"""

from __future__ import annotations

from typing import Any
from uuid import UUID

from django.db.models import QuerySet
from django.http import Http404

from amparo.accounts.models import Organization
from amparo.accounts.roles import PLATFORM_ADMIN, Role
from amparo.insights.models import DataSharingAgreement

from . import _uuid_or_404, get_organization_for_user, organizations_for_user, user_roles

DASHBOARD_ROLES = frozenset({Role.ANALYST, Role.COORDINATOR, Role.MONITOR, PLATFORM_ADMIN})
ORGANISATION_VIEW_ROLES = frozenset({Role.ANALYST, Role.COORDINATOR, PLATFORM_ADMIN})
AGREEMENT_ROLES = frozenset({Role.COORDINATOR, PLATFORM_ADMIN})


def dashboard_organizations(user: Any) -> QuerySet[Organization]:
    """The organisations whose own view the user may read."""
    return organizations_for_user(user, ORGANISATION_VIEW_ROLES).order_by("name", "pk")


def sees_wider_views(user: Any) -> bool:
    """National and regional views (aggregates of the organisations that agreed, at the public threshold)."""
    return bool(user_roles(user) & DASHBOARD_ROLES)


def sees_alert_aggregates(user: Any) -> bool:
    return bool(user_roles(user) & {Role.MONITOR, PLATFORM_ADMIN})


def agreements_organization_for_user(user: Any, organization_uuid: UUID | str) -> Organization:
    """An organisation whose agreements the user manages; 404 for anyone else."""
    return get_organization_for_user(user, organization_uuid, AGREEMENT_ROLES)


def get_agreement_for_user(user: Any, agreement_uuid: UUID | str) -> DataSharingAgreement:
    found = (
        DataSharingAgreement.objects.filter(
            uuid=_uuid_or_404(agreement_uuid), organization__in=organizations_for_user(user, AGREEMENT_ROLES)
        )
        .select_related("organization")
        .first()
    )
    if found is None:
        raise Http404
    return found
