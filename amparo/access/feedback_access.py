"""Who may read the community-led monitoring of services (issue 17, part 3). Part of the ONE permission module:
views import these; "not found" and "not allowed" both answer 404.

- A service's aggregates: the coordinators and analysts of its own member organisation (the one whose directory
  entry offers it), the focal points acting for it, and platform administrators.
- An alert: whoever it told (its recipients: focal points, the coordinators of the service's organisation and of
  the organisations that refer there), and whoever may read the service's aggregates.
"""

from __future__ import annotations

from typing import Any
from uuid import UUID

from django.db.models import Q, QuerySet
from django.http import Http404

from amparo.accounts.roles import PLATFORM_ADMIN, Role
from amparo.campaigns.feedback_models import FeedbackAlert
from amparo.directory.models import FocalPoint, Service
from amparo.directory.selectors import acting_focal_points

from . import _uuid_or_404, organizations_for_user, user_roles

FEEDBACK_ROLES = frozenset({Role.COORDINATOR, Role.ANALYST, Role.FOCAL_POINT, PLATFORM_ADMIN})


def feedback_services_for_user(user: Any) -> QuerySet[Service]:
    """The services whose aggregates the user may read."""
    roles = user_roles(user)
    if PLATFORM_ADMIN in roles:
        return Service.objects.all()
    allowed = Q(pk__in=[])
    if roles & {Role.COORDINATOR, Role.ANALYST}:
        organizations = organizations_for_user(user, {Role.COORDINATOR, Role.ANALYST})
        linked = organizations.filter(directory_organization__isnull=False).values("directory_organization")
        allowed |= Q(organization__in=linked)
    if Role.FOCAL_POINT in roles:
        own = acting_focal_points().filter(user=user)
        allowed |= Q(pk__in=FocalPoint.services.through.objects.filter(focalpoint__in=own).values("service_id"))
    return Service.objects.filter(allowed)


def get_feedback_service_for_user(user: Any, service_uuid: UUID | str) -> Service:
    service = (
        feedback_services_for_user(user).select_related("organization").filter(uuid=_uuid_or_404(service_uuid)).first()
    )
    if service is None:
        raise Http404
    return service


def feedback_alerts_for_user(user: Any) -> QuerySet[FeedbackAlert]:
    if PLATFORM_ADMIN in user_roles(user):
        return FeedbackAlert.objects.all()
    return FeedbackAlert.objects.filter(Q(recipients=user) | Q(service__in=feedback_services_for_user(user))).distinct()


def get_feedback_alert_for_user(user: Any, alert_uuid: UUID | str) -> FeedbackAlert:
    alert = (
        feedback_alerts_for_user(user)
        .select_related("service__organization")
        .filter(uuid=_uuid_or_404(alert_uuid))
        .first()
    )
    if alert is None:
        raise Http404
    return alert
