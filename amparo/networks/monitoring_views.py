"""Staff pages of coverage gaps and monitoring protocols, under /staff/networks/ (docs/networks.md).

Thin views: parse (monitoring_forms), authorise (amparo.access), call a selector or service, render.
"""

from __future__ import annotations

from uuid import UUID

from django.contrib import messages
from django.core.paginator import Paginator
from django.db import transaction
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.template.loader import render_to_string
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from amparo.access import (
    NETWORK_EDIT_ROLES,
    NETWORK_READ_ROLES,
    get_monitoring_plan_for_user,
    monitoring_plans_for_user,
    organizations_for_user,
    staff_view,
)
from amparo.audit.services import audit_record
from amparo.core.pdf import render_pdf
from amparo.core.responses import attachment, bad_request_page

from .gap_selectors import GapQuery, gap_matrix
from .gaps import Level
from .models import MonitoringPlan, Snapshot
from .monitoring import SnapshotRefused, latest_comparison, plan_save, snapshot_take
from .monitoring_forms import GapFilterForm, PlanForm, indicator_forms, indicators_valid

ROWS_PER_PAGE = 40


@staff_view(NETWORK_READ_ROLES)
@require_GET
def gaps(request: HttpRequest) -> HttpResponse:
    """The matrix municipality x need, coloured and worded, for a scope, zone, group or one need."""
    form = GapFilterForm(request.GET)
    if not form.is_valid():
        return render(request, "networks/gaps/matrix.html", {"form": form}, status=400)
    data = form.cleaned_data
    query = GapQuery(
        scope=data["place"],
        zone=data["zone"],
        group=data["group"],
        type_code=data["need"],
        order=data["order"] or "name",
    )
    with transaction.atomic():
        matrix = gap_matrix(query)
        audit_record(
            actor=request.user,
            action="network.gaps.read",
            object_type="networks.gaps",
            object_id=data["place"].pcode if data["place"] else "",
            detail={"municipalities": len(matrix.rows), "with_survey_data": sum(1 for r in matrix.rows if r.demand)},
        )
    page = Paginator(matrix.rows, ROWS_PER_PAGE).get_page(data["page"] or 1)
    params = request.GET.copy()
    params.pop("page", None)
    return render(
        request,
        "networks/gaps/matrix.html",
        {
            "form": form,
            "matrix": matrix,
            "page": page,
            "query": params.urlencode(),
            "levels": list(Level),
            "totals": matrix.level_totals(),
            "scope": data["place"],
        },
    )


@staff_view(NETWORK_READ_ROLES)
@require_GET
def plans(request: HttpRequest) -> HttpResponse:
    found = monitoring_plans_for_user(request.user).prefetch_related("indicators")
    can_edit = organizations_for_user(request.user, NETWORK_EDIT_ROLES).exists()  # type: ignore[arg-type]
    return render(request, "networks/monitoring/plans.html", {"plans": found, "can_edit": can_edit})


def _plan_form_page(request: HttpRequest, plan: MonitoringPlan | None) -> HttpResponse:
    organizations = organizations_for_user(request.user, NETWORK_EDIT_ROLES)  # type: ignore[arg-type]
    if not organizations.exists():
        return bad_request_page(request, _("You coordinate no organisation that could hold a plan."))
    data = request.POST if request.method == "POST" else None
    form = PlanForm(data, instance=plan, organizations=organizations)
    indicators = indicator_forms(data, plan, organizations)
    status = 200
    problem = ""
    if request.method == "POST":
        plan_ok = form.is_valid()
        ok, problem = indicators_valid(indicators)
        if plan_ok and ok:
            saved = form.save(commit=False)
            saved.organization = form.cleaned_data["organization"]
            kept = [f.instance for f in indicators if f.cleaned_data.get("use")]
            removed = [f.instance for f in indicators if not f.cleaned_data.get("use") and f.instance.pk]
            plan_save(actor=request.user, plan=saved, indicators=kept, removed=removed)
            messages.success(request, _("The monitoring plan was saved."))
            return redirect("networks:plan", saved.uuid)
        status = 400
    return render(
        request,
        "networks/monitoring/plan_form.html",
        {"form": form, "indicators": indicators, "plan": plan, "problem": problem},
        status=status,
    )


@staff_view(NETWORK_EDIT_ROLES)
@require_http_methods(["GET", "POST"])
def plan_new(request: HttpRequest) -> HttpResponse:
    return _plan_form_page(request, None)


@staff_view(NETWORK_EDIT_ROLES)
@require_http_methods(["GET", "POST"])
def plan_edit(request: HttpRequest, plan_uuid: UUID) -> HttpResponse:
    plan = get_monitoring_plan_for_user(request.user, plan_uuid, edit=True)
    return _plan_form_page(request, plan)


def _plan_context(request: HttpRequest, plan: MonitoringPlan, snapshot: Snapshot | None = None) -> dict[str, object]:
    comparison = latest_comparison(plan, snapshot)
    return {
        "plan": plan,
        "indicators": list(plan.indicators.select_related("responsible_organization")),
        "comparison": comparison,
        "snapshots": plan.snapshots.order_by("-period_start")[:24],
        "can_edit": monitoring_plans_for_user(request.user, edit=True).filter(pk=plan.pk).exists(),
    }


@staff_view(NETWORK_READ_ROLES)
@require_GET
def plan_detail(request: HttpRequest, plan_uuid: UUID) -> HttpResponse:
    plan = get_monitoring_plan_for_user(request.user, plan_uuid)
    return render(request, "networks/monitoring/plan.html", _plan_context(request, plan))


@staff_view(NETWORK_READ_ROLES)
@require_GET
def snapshot_detail(request: HttpRequest, plan_uuid: UUID, snapshot_id: int) -> HttpResponse:
    """One snapshot compared with the one before it."""
    plan = get_monitoring_plan_for_user(request.user, plan_uuid)
    snapshot = plan.snapshots.filter(pk=snapshot_id).first()
    if snapshot is None:
        return bad_request_page(request, _("This plan has no such snapshot."))
    return render(request, "networks/monitoring/plan.html", _plan_context(request, plan, snapshot))


@staff_view(NETWORK_EDIT_ROLES)
@require_POST
def snapshot_new(request: HttpRequest, plan_uuid: UUID) -> HttpResponse:
    plan = get_monitoring_plan_for_user(request.user, plan_uuid, edit=True)
    try:
        snapshot_take(actor=request.user, plan=plan)
    except SnapshotRefused as refused:
        return bad_request_page(request, str(refused))
    messages.success(request, _("The snapshot was taken and compared with the one before."))
    return redirect("networks:plan", plan.uuid)


@staff_view(NETWORK_READ_ROLES)
@require_GET
def plan_print(request: HttpRequest, plan_uuid: UUID) -> HttpResponse:
    plan = get_monitoring_plan_for_user(request.user, plan_uuid)
    return render(request, "networks/monitoring/print.html", _plan_context(request, plan))


@staff_view(NETWORK_READ_ROLES)
@require_GET
def plan_pdf(request: HttpRequest, plan_uuid: UUID) -> HttpResponse:
    """The printable page as a PDF (WeasyPrint), A4, fetching nothing (core.pdf)."""
    plan = get_monitoring_plan_for_user(request.user, plan_uuid)
    html = render_to_string("networks/monitoring/pdf.html", _plan_context(request, plan), request=request)
    pdf = render_pdf(html)
    return attachment(pdf, content_type="application/pdf", filename=f"monitoring-{plan.uuid.hex[:8]}.pdf")
