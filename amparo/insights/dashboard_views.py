"""The statistics dashboards and the data-sharing agreements (staff pages, server-rendered, no JavaScript). Thin:
parse the filters, authorise through amparo.access, read (and audit) through reading.dashboard_read, render the
tables with their SVG charts."""

from __future__ import annotations

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import translation
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_GET, require_POST

from amparo.access import staff_view
from amparo.access.insights_access import (
    AGREEMENT_ROLES,
    DASHBOARD_ROLES,
    agreements_organization_for_user,
    dashboard_organizations,
    get_agreement_for_user,
    sees_alert_aggregates,
    sees_wider_views,
)
from amparo.directory.models import Place

from . import agreement_services
from .charts import chart_for
from .dashboard_forms import AgreementForm, DashboardFilter
from .reading import dashboard_read
from .statistics import grouped_by_source

SECTIONS = (
    ("cases", gettext_lazy("Survivors counted (cases)")),
    ("safechannel", gettext_lazy("Safe channel (risk data only)")),
    ("referrals", gettext_lazy("Referrals")),
    ("alerts", gettext_lazy("Trafficking alerts")),
    ("surveys", gettext_lazy("Surveys")),
    ("feedback", gettext_lazy("What people say of services")),
    ("networks", gettext_lazy("Coverage gaps")),
)


def _language() -> str:
    return (translation.get_language() or "es").split("-")[0]


@staff_view(DASHBOARD_ROLES)
@require_GET
def dashboard(request: HttpRequest) -> HttpResponse:
    user = request.user
    organizations = list(dashboard_organizations(user))
    wider = sees_wider_views(user)
    countries = list(Place.objects.filter(level=Place.Level.COUNTRY).order_by("pcode").values_list("pcode", flat=True))
    data = request.GET.copy()
    form = DashboardFilter(data or None, organizations=organizations, countries=countries, wider=wider)
    if not data:
        first = form.fields["scope"].choices[0][0] if form.fields["scope"].choices else ""  # type: ignore[attr-defined]
        form = DashboardFilter({"scope": first}, organizations=organizations, countries=countries, wider=wider)
    if not form.is_valid():
        return render(request, "insights/dashboard.html", {"form": form}, status=400)
    scope, organization = form.scope_value()
    alerts = sees_alert_aggregates(user)
    read = dashboard_read(
        actor=user, scope=scope, start=form.cleaned_data["start"], end=form.cleaned_data["end"],
        language=_language(), include_alerts=alerts, organization=organization,
    )  # fmt: skip
    groups = grouped_by_source(read.tables)
    sections = [
        (key, str(label), [chart_for(t) for t in groups.get(key, [])]) for key, label in SECTIONS if groups.get(key)
    ]
    return render(
        request,
        "insights/dashboard.html",
        {
            "form": form,
            "dashboard": read,
            "sections": sections,
            "organization": organization,
            "nobody": scope.kind != "organisation" and read.organisations_counted == 0,
            "empty": all(not t.protected.total for t in read.tables if t.key.startswith("cases.")),
        },
    )


@staff_view(AGREEMENT_ROLES)
def agreements(request: HttpRequest, organization_uuid: str) -> HttpResponse:
    organization = agreements_organization_for_user(request.user, organization_uuid)
    form = AgreementForm(request.POST or None)
    status = 200
    if request.method == "POST":
        if form.is_valid():
            agreement_services.agreement_record(
                actor=request.user, organization=organization, scope=form.cleaned_data["scope"],
                country=str(form.cleaned_data.get("country") or ""), since=form.cleaned_data["since"],
                until=form.cleaned_data.get("until"), document_reference=form.cleaned_data["document_reference"],
            )  # fmt: skip
            messages.success(request, _("Agreement recorded: this organisation now counts in that view."))
            return redirect("insights:agreements", organization_uuid=organization.uuid)
        status = 400
    listed = organization.sharing_agreements.select_related("recorded_by").all()
    return render(
        request,
        "insights/agreements.html",
        {"organization": organization, "agreements": listed, "form": form},
        status=status,
    )


@staff_view(AGREEMENT_ROLES)
@require_POST
def agreement_end(request: HttpRequest, agreement_uuid: str) -> HttpResponse:
    agreement = get_agreement_for_user(request.user, agreement_uuid)
    agreement_services.agreement_end(actor=request.user, agreement=agreement)
    messages.success(request, _("Agreement ended: this organisation no longer counts in that view."))
    return redirect("insights:agreements", organization_uuid=agreement.organization.uuid)
