"""The runs page: what the scheduler ran, how it went, and what comes next (amparo/operations/schedule.py).

Runs are platform operations and hold no survivor data, so the page is not scoped by organisation: the coordinators
of every organisation (and platform administrators) see which jobs ran and whether they failed, since a retention
purge or a legal-date notice that stopped running is everyone's problem. The summary lines are counts over every
organisation's records ("3 closed cases purged"); DESIGN.md rule 6 lets such aggregates leave an organisation only
with disclosure control, so only platform administrators, who run the platform, see them.
"""

from __future__ import annotations

from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_GET

from amparo.access import staff_view, user_roles
from amparo.accounts.roles import PLATFORM_ADMIN, Role

from .selectors import recent_runs, schedule_overview

OPERATIONS_ROLES = frozenset({Role.COORDINATOR, PLATFORM_ADMIN})


@staff_view(OPERATIONS_ROLES)
@require_GET
def runs(request: HttpRequest) -> HttpResponse:
    return render(
        request,
        "operations/runs.html",
        {
            "jobs": schedule_overview(),
            "runs": list(recent_runs()),
            "show_summaries": PLATFORM_ADMIN in user_roles(request.user),
            "time_zone": settings.TIME_ZONE,
        },
    )
