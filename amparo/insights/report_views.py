"""Staff pages of the situation reports, under /staff/insights/reports/ (docs/insights-reports.md).

Thin views: parse (report_forms), authorise (amparo.access), call a service, render. The build itself runs in a
background task (tasks.build_situation_report) that a worker (`manage.py db_worker`) picks up.
"""

from __future__ import annotations

from uuid import UUID

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods

from amparo.access import (
    REPORT_ROLES,
    get_situation_report_for_user,
    report_request_organizations,
    situation_reports_for_user,
    staff_view,
)
from amparo.core.once import AlreadyDone
from amparo.core.responses import attachment, bad_request_page

from .report_forms import ReportRequestForm
from .report_services import report_pdf_read, report_request
from .reports import period_label, scope_label
from .tasks import build_situation_report

LIST_LENGTH = 100


@staff_view(REPORT_ROLES)
@require_GET
def report_list(request: HttpRequest) -> HttpResponse:
    reports = situation_reports_for_user(request.user).select_related("organization", "scope_organization")[
        :LIST_LENGTH
    ]
    rows = [(report, scope_label(report), period_label(report)) for report in reports]
    return render(request, "insights/report/list.html", {"rows": rows})


@staff_view(REPORT_ROLES)
@require_http_methods(["GET", "POST"])
def report_new(request: HttpRequest) -> HttpResponse:
    organizations, wide = report_request_organizations(request.user)
    if not organizations.exists():  # a platform administrator of a platform with no organisation yet
        return bad_request_page(request, _("There is no organisation a report could be asked for."))
    form = ReportRequestForm(
        request.POST if request.method == "POST" else None, organizations=organizations, wide_organizations=wide
    )
    if request.method == "POST" and form.is_valid():
        try:
            report = report_request(
                actor=request.user,
                organization=form.cleaned_data["organization"],
                request=form.report_request(),
                form_token=form.cleaned_data.get("form_token") or "",
                enqueue=build_situation_report.enqueue,
            )
        except AlreadyDone as done:  # Back and send again: the report the first submission asked for
            messages.info(request, _("This report was already asked for: no second one was made."))
            return redirect("insights_reports:detail", done.ref) if done.ref else redirect("insights_reports:list")
        except ValidationError as error:  # an out-of-date one-time token
            form.add_error(None, error)
        else:
            messages.success(request, _("The report is being built. This page shows when it is ready."))
            return redirect("insights_reports:detail", report.uuid)
    status = 400 if form.errors else 200
    can_go_wide = wide.exists()
    return render(request, "insights/report/new.html", {"form": form, "can_go_wide": can_go_wide}, status=status)


@staff_view(REPORT_ROLES)
@require_GET
def report_detail(request: HttpRequest, report_uuid: UUID) -> HttpResponse:
    report = get_situation_report_for_user(request.user, report_uuid)
    tables = [(t["title"], t["threshold"], int(t["primary"]) + int(t["complementary"])) for t in report.tables]
    return render(
        request,
        "insights/report/detail.html",
        {
            "report": report,
            "scope": scope_label(report),
            "period": period_label(report),
            "tables": tables,
        },
    )


@staff_view(REPORT_ROLES)
@require_GET
def report_pdf(request: HttpRequest, report_uuid: UUID) -> HttpResponse:
    report = get_situation_report_for_user(request.user, report_uuid)
    if report.status != report.Status.BUILT:
        return bad_request_page(request, _("This report has no PDF: it is not built (see its page)."))
    return attachment(
        report_pdf_read(actor=request.user, report=report), content_type="application/pdf", filename=report.filename
    )
