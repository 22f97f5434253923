"""The Ombudsman monitors' page (/staff/monitoring/): trafficking alerts of their organisation's areas, without
identity, and their trends with small counts hidden by core.disclosure (see cases.monitoring). Monitors never see
cases."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_GET

from amparo.access import alerts_for_monitor, staff_view
from amparo.accounts.roles import Role

from .monitoring import alert_rows, alert_trends, monitoring_read

MAX_LISTED = 200


@staff_view({Role.MONITOR})
@require_GET
def alerts(request: HttpRequest) -> HttpResponse:
    queryset = alerts_for_monitor(request.user)
    listed = list(queryset[:MAX_LISTED])
    monitoring_read(actor=request.user, shown=len(listed))
    return render(
        request,
        "monitoring/alerts.html",
        {
            "alerts": alert_rows(listed),
            "more": queryset.count() > MAX_LISTED,
            "trends": alert_trends(queryset),
        },
    )
