"""Staff pages of the directory (/staff/directory/): focal-point coverage gaps and service verification.

Thin views: parse, authorise (amparo.access, the one permission module), call a selector or service, render.
"""

from __future__ import annotations

from uuid import UUID

from django.contrib import messages
from django.core.paginator import Paginator
from django.db.models import F
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from amparo.access import (
    focal_point_requests_for_user,
    get_focal_point_request_for_user,
    get_service_for_verification,
    services_for_verification,
    staff_view,
    verification_organization,
)
from amparo.accounts.roles import PLATFORM_ADMIN, Role
from amparo.core.responses import bad_request_page

from .forms import VerifyServiceForm
from .models import Place
from .selectors import coverage_gaps, place_by_code
from .services import GrantChanged, focal_point_grant_decide, grant_version, service_verify

GAPS_ROLES = frozenset({Role.COORDINATOR, PLATFORM_ADMIN})
GRANT_ROLES = frozenset({Role.COORDINATOR, PLATFORM_ADMIN})
VERIFY_ROLES = frozenset({Role.FOCAL_POINT, Role.COORDINATOR, PLATFORM_ADMIN})
MAX_PLACE_CODE = 16
SERVICES_PER_PAGE = 50


@staff_view(GAPS_ROLES)
@require_GET
def gaps(request: HttpRequest) -> HttpResponse:
    """Where priority entities of a municipality or department lack a currently sensitised focal point."""
    code = request.GET.get("place", "").strip()
    context: dict[str, object] = {
        "code": code,
        "places": Place.objects.filter(level__in=[Place.Level.ADMIN1, Place.Level.ADMIN2])
        .select_related("parent")
        .order_by("pcode"),
    }
    if not code:
        return render(request, "directory/staff/gaps.html", context)
    place = place_by_code(code) if len(code) <= MAX_PLACE_CODE and code.isalnum() else None
    if place is None:
        context["error"] = _("We do not know the place code “%(code)s”.") % {"code": code}
        return render(request, "directory/staff/gaps.html", context, status=400)
    context["report"] = coverage_gaps(place)
    return render(request, "directory/staff/gaps.html", context)


@staff_view(VERIFY_ROLES)
@require_GET
def verify_list(request: HttpRequest) -> HttpResponse:
    """The services this user may verify: active before inactive, never-verified and oldest first."""
    services = (
        services_for_verification(request.user)
        .select_related("organization")
        .order_by("status", F("last_verified_on").asc(nulls_first=True), "name", "pk")
    )
    page = Paginator(services, SERVICES_PER_PAGE).get_page(request.GET.get("page"))
    return render(request, "directory/staff/verify_list.html", {"page": page})


@staff_view(VERIFY_ROLES)
@require_http_methods(["GET", "POST"])
def verify_service(request: HttpRequest, service_uuid: UUID) -> HttpResponse:
    service = get_service_for_verification(request.user, service_uuid)
    form = VerifyServiceForm(request.POST if request.method == "POST" else None, service=service)
    if request.method == "POST":
        if form.is_valid():
            service_verify(
                actor=request.user,
                service=service,
                facts=form.facts(),
                organization=verification_organization(request.user, service),
            )
            messages.success(request, _("Thank you: “%(name)s” is verified as of today.") % {"name": service.name})
            return redirect("directory_staff:verify_list")
        return render(request, "directory/staff/verify_service.html", {"service": service, "form": form}, status=400)
    return render(request, "directory/staff/verify_service.html", {"service": service, "form": form})


@staff_view(GRANT_ROLES)
@require_GET
def focal_point_requests(request: HttpRequest) -> HttpResponse:
    """Focal points that other organisations registered at the entities this coordinator answers for, waiting for
    her approval: until then they show nothing, receive no referral and verify nothing."""
    pending = (
        focal_point_requests_for_user(request.user)
        .select_related("entity", "managed_by", "user")
        .prefetch_related("services")
        .order_by("entity__name", "created_at", "pk")
    )
    rows = [(fp, grant_version(fp)) for fp in pending[:200]]
    return render(request, "directory/staff/focal_point_requests.html", {"rows": rows})


@staff_view(GRANT_ROLES)
@require_POST
def focal_point_decide(request: HttpRequest, focal_point_uuid: UUID) -> HttpResponse:
    focal_point = get_focal_point_request_for_user(request.user, focal_point_uuid)
    decision = request.POST.get("decision")
    if decision not in {"approve", "decline"}:
        return bad_request_page(request, _("Choose to approve or to decline."))
    try:
        focal_point_grant_decide(
            actor=request.user,
            focal_point=focal_point,
            approve=decision == "approve",
            seen_version=request.POST.get("version", ""),
        )
    except GrantChanged:
        messages.error(request, _("This focal point was changed since you opened the page: read it again."))
    else:
        done = _("“%(name)s” can now act for %(entity)s.") if decision == "approve" else _("“%(name)s” was declined.")
        messages.success(request, done % {"name": focal_point.display_name, "entity": focal_point.entity.name})
    return redirect("directory_staff:focal_point_requests")
