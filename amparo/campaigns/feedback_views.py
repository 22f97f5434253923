"""Staff pages of the community-led monitoring (issue 17, part 3), under /staff/campaigns/feedback/. Thin: authorise
through amparo.access, read through feedback_selectors (aggregates under core.disclosure), audit the read."""

from __future__ import annotations

from uuid import UUID

from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_GET

from amparo.access import organizations_for_user, staff_view
from amparo.access.feedback_access import (
    FEEDBACK_ROLES,
    feedback_alerts_for_user,
    feedback_services_for_user,
    get_feedback_alert_for_user,
    get_feedback_service_for_user,
)
from amparo.core.disclosure_words import fewer_than

from . import feedback_selectors as selectors
from . import feedback_services


@staff_view(FEEDBACK_ROLES)
@require_GET
def services(request: HttpRequest) -> HttpResponse:
    """The services she may read, each with its number of answers ("fewer than 5" under the threshold), and the
    alerts she received or may read."""
    threshold = settings.INSIGHTS_ORGANISATION_THRESHOLD
    allowed = feedback_services_for_user(request.user)
    counts = selectors.answer_counts(allowed)
    listed = allowed.filter(pk__in=list(counts)).select_related("organization").order_by("name", "pk")[:500]
    rows = [(s, counts[s.pk] if counts[s.pk] >= threshold else fewer_than(threshold)) for s in listed]
    first, last = selectors.summary_months()
    alerts = feedback_alerts_for_user(request.user).select_related("service")[:100]
    return render(
        request,
        "campaigns/feedback/staff_services.html",
        {"rows": rows, "alerts": alerts, "first": first, "last": last},
    )


@staff_view(FEEDBACK_ROLES)
@require_GET
def service(request: HttpRequest, service_uuid: UUID) -> HttpResponse:
    found = get_feedback_service_for_user(request.user, service_uuid)
    summary = selectors.organisation_summary(found)
    organization = (
        organizations_for_user(request.user, FEEDBACK_ROLES)  # type: ignore[arg-type]
        .filter(directory_organization=found.organization_id)
        .first()
    )
    feedback_services.summary_read_record(actor=request.user, service=found, organization=organization, summary=summary)
    return render(
        request,
        "campaigns/feedback/staff_service.html",
        {"service": found, "summary": summary, "alerts": selectors.alerts_of_service(found)[:20]},
    )


@staff_view(FEEDBACK_ROLES)
@require_GET
def alert(request: HttpRequest, alert_uuid: UUID) -> HttpResponse:
    found = get_feedback_alert_for_user(request.user, alert_uuid)
    may_read = feedback_services_for_user(request.user).filter(pk=found.service_id).exists()
    return render(
        request,
        "campaigns/feedback/staff_alert.html",
        {
            "alert": found,
            "service": found.service,
            "may_read": may_read,
            "minimum": settings.FEEDBACK_ALERT_MIN_REPORTS,
            "first": selectors.month_label(found.first_month),
            "last": selectors.month_label(found.last_month),
        },
    )
