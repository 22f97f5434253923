"""Community-led monitoring in the role matrix: the service's organisation (coordinators, analysts), the focal point
acting for it and platform administrators read its answers, added up, and its alerts; nobody else (404)."""

from __future__ import annotations

from typing import Any

from amparo.accounts.roles import PLATFORM_ADMIN, Role
from amparo.accounts.tests.matrix_case import Case
from amparo.campaigns import feedback_selectors as selectors
from amparo.campaigns.feedback_models import FeedbackAlert

FEEDBACK = frozenset({Role.COORDINATOR, Role.ANALYST, Role.FOCAL_POINT, PLATFORM_ADMIN})

EXPECTED: dict[str, Any] = {
    "feedback:services": Case(FEEDBACK),
    "feedback:service": Case(FEEDBACK, lambda w: [w["service"].uuid]),  # type: ignore[attr-defined]
    "feedback:alert": Case(FEEDBACK, lambda w: [w["feedback_alert"].uuid]),  # type: ignore[attr-defined]
}
POSTS: dict[str, Any] = {}


def world(org: Any, users: dict[str, Any]) -> dict[str, object]:
    """An alert about the organisation's service (the matrix's world links the organisation to the service's
    directory entry and gives its focal point that service)."""
    from amparo.directory.models import Service

    # The matrix's service (the same query as test_role_matrix.world), which its focal point covers.
    service = Service.objects.filter(organization__kind="health").select_related("organization").first()
    assert service is not None and service.organization_id == org.directory_organization_id
    alert = FeedbackAlert.objects.create(
        service=service, window=selectors.alert_window(), first_month=selectors.alert_months()[0],
        last_month=selectors.alert_months()[1],
    )  # fmt: skip
    return {"feedback_alert": alert}
