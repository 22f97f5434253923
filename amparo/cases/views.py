"""Case pages (/staff/cases/): the list, intake (also from a safe-channel report with her consent), the case page
and its sections. Thin views: authorise with amparo.access (the one permission module), call services, render.
Every view that shows case data records the read in the audit log."""

from __future__ import annotations

from typing import Any, cast

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.db import IntegrityError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from amparo.access import (
    cases_for_user,
    coordinates_case,
    get_case_for_user,
    get_report_for_user,
    organizations_for_user,
    staff_view,
)
from amparo.accounts.models import User
from amparo.accounts.roles import CASE_ROLES, Role
from amparo.core.once import AlreadyDone

from . import risk as risk_questions
from . import selectors, services
from .casework_forms import CaseListForm
from .forms import (
    DETAIL_FIELDS,
    ActionForm,
    CaseDetailsForm,
    ChildAddForm,
    ChildForm,
    ClosureForm,
    ConsentForm,
    DuplicateForm,
    IncidentForm,
    IntakeForm,
    RiskForm,
    TeamForm,
)
from .models import Case, CaseTransfer
from .selectors import follow_ups_due
from .vocab import ConsentKind

CASES_PER_PAGE = 50


@staff_view(CASE_ROLES)
@require_GET
def case_list(request: HttpRequest) -> HttpResponse:
    user = cast(User, request.user)
    visible = cases_for_user(user)
    query = request.GET.copy()
    query.setdefault("status", "open")
    filters = CaseListForm(query, workers=selectors.case_list_workers(visible))
    if not filters.is_valid():  # a forged or stale choice: the form says so, nothing listed
        return render(request, "cases/list.html", {"filters": filters, "page": []}, status=400)
    data = filters.cleaned_data
    cases = selectors.case_list(
        visible, status=data["status"], worker=data["worker"], risk=data["risk"], sort=data["sort"]
    )
    page = Paginator(cases, CASES_PER_PAGE).get_page(request.GET.get("page"))
    services.cases_listed(actor=user, cases=list(page), what="list")
    keep = query.copy()
    keep.pop("page", None)
    return render(
        request,
        "cases/list.html",
        {
            "page": page,
            "filters": filters,
            "status": data["status"],
            "statuses": Case.Status.choices,
            "today": timezone.localdate(),
            "query": keep.urlencode(),
        },
    )


@staff_view(CASE_ROLES)
@require_GET
def follow_ups(request: HttpRequest) -> HttpResponse:
    """Actions and children's follow-ups due in the next week across her cases, overdue first (audited)."""
    user = cast(User, request.user)
    today = timezone.localdate()
    due = follow_ups_due(cases_for_user(user), today=today)
    services.cases_listed(actor=user, cases=due.row_cases, what="follow_ups")
    return render(request, "cases/follow_ups.html", {"due": due, "today": today})


@staff_view(CASE_ROLES)
@require_http_methods(["GET", "POST"])
def case_new(request: HttpRequest) -> HttpResponse:
    """Intake. With ?report=<uuid>, from a safe-channel report whose author agreed to a case through the channel."""
    user = cast(User, request.user)
    organizations = list(organizations_for_user(user, {Role.COORDINATOR, Role.CASEWORKER, Role.LEGAL_ADVISOR}))
    report, initial = _source_report(request, user)
    form = IntakeForm(request.POST or None, initial=initial, organizations=organizations if report is None else None)
    if request.method == "POST" and form.is_valid():
        if report is not None:
            organization = report.organization
        else:
            organization = form.cleaned_data.get("organization") or organizations[0]
        data = form.cleaned_data
        intake = services.Intake(
            full_name=data["full_name"],
            contact=data["contact"],
            document=data["document"],
            address=data["address"],
            narrative=data["narrative"],
            age_band=data["age_band"],
            gender_identity=data["gender_identity"],
            nationality=data["nationality"] or "",
            migratory_status=data["migratory_status"],
            disability=data["disability"],
            place=data["place"],
            consents=data["consents"],
            consent_method=data["consent_method"],
        )
        try:
            case = services.case_open(
                actor=user, organization=organization, intake=intake, source_report=report,
                form_token=data["form_token"],
            )  # fmt: skip
        except AlreadyDone as done:  # Back and send again: show the case the first submission opened
            return _already_done(request, done, _("This intake was already sent: no second case was opened."))
        except ValidationError as exc:
            form.add_error(None, exc)
        except IntegrityError:  # a colleague opened the case from the same report a moment earlier
            form.add_error(None, _("A case was already opened from this report."))
        else:
            messages.success(request, _("Case %(code)s opened.") % {"code": case.code})
            return redirect("cases:detail", case_uuid=case.uuid)
    return render(
        request,
        "cases/new.html",
        {"form": form, "report": report},
        status=400 if form.errors else 200,
    )


def _already_done(request: HttpRequest, done: AlreadyDone, text: str, *, case: Case | None = None) -> HttpResponse:
    """A resubmitted create form: say so and show what the first submission made (the case page checks access)."""
    messages.info(request, text)
    if case is not None:
        return redirect("cases:detail", case_uuid=case.uuid)
    if done.ref:
        return redirect("cases:detail", case_uuid=done.ref)
    return redirect("cases:list")


def _source_report(request: HttpRequest, user: User) -> tuple[Any, dict[str, Any]]:
    report_uuid = request.GET.get("report") or request.POST.get("report")
    if not report_uuid:
        return None, {}
    from amparo.safechannel import keyring
    from amparo.safechannel import services as channel

    report = get_report_for_user(user, report_uuid)  # recipients of the receiving organisation only
    if report.case_consent_at is None or hasattr(report, "case"):
        raise Http404  # only with her consent given through the channel, and only once
    key = channel.report_key_for(report, user, keyring.private_key(request))
    content = channel.staff_read(actor=user, report=report, key=key) if key is not None else {}  # audited
    initial = {
        "narrative": content.get("what_happened", ""),
        "contact": content.get("contact_details", ""),
        "place": report.place.pcode,
        # What she agreed to in the channel; the channel keeps these in step with the case afterwards.
        "consents": [ConsentKind.SERVICES, *sorted(channel.sharing_consents(report))],
        "consent_method": "safe_channel",
    }
    return report, initial


@staff_view(CASE_ROLES)
@require_http_methods(["GET", "POST"])
def case_edit(request: HttpRequest, case_uuid: str) -> HttpResponse:
    """Correct her details (identifying data and demographics); audited with the names of the fields changed."""
    user = cast(User, request.user)
    case = get_case_for_user(user, case_uuid)
    initial = {name: getattr(case, name) for name in DETAIL_FIELDS} | {
        "place": case.place.pcode if case.place else None,
        "nationality": str(case.nationality or ""),
    }
    form = CaseDetailsForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        changes = {name: form.cleaned_data[name] for name in DETAIL_FIELDS}
        changes = {name: value for name, value in changes.items() if value != _stored(case, name)}
        if changes:
            services.case_update(actor=user, case=case, changes=changes)
            messages.success(request, _("Saved."))
        return redirect("cases:detail", case_uuid=case.uuid)
    services.case_read(actor=user, case=case, what="edit")
    history = selectors.case_details_history(case)
    return render(
        request, "cases/edit.html", {"case": case, "form": form, "history": history}, status=400 if form.errors else 200
    )


def _stored(case: Case, name: str) -> Any:
    value = getattr(case, name)
    return str(value or "") if name == "nationality" else value  # a django-countries Country, compared by code


@staff_view({Role.COORDINATOR})
@require_http_methods(["GET", "POST"])
def case_team(request: HttpRequest, case_uuid: str) -> HttpResponse:
    """A coordinator of the case's organisation chooses who accompanies her and who supervises."""
    user = cast(User, request.user)
    case = get_case_for_user(user, case_uuid)
    if not coordinates_case(user, case):
        raise Http404  # on the case as a caseworker of another organisation: not its coordinator
    members = services.team_members(case)
    form = TeamForm(
        request.POST or None,
        members=members,
        initial={"caseworkers": list(case.caseworkers.all()), "supervisor": case.supervisor},
    )
    if request.method == "POST" and form.is_valid():
        try:
            services.case_assign(
                actor=user,
                case=case,
                caseworkers=list(form.cleaned_data["caseworkers"]),
                supervisor=form.cleaned_data["supervisor"],
            )
        except ValidationError as exc:
            form.add_error(None, exc)
        else:
            messages.success(request, _("Saved."))
            return redirect("cases:detail", case_uuid=case.uuid)
    return render(request, "cases/team.html", {"case": case, "form": form}, status=400 if form.errors else 200)


@staff_view(CASE_ROLES)
@require_http_methods(["GET", "POST"])
def child_update(request: HttpRequest, case_uuid: str, child_code: str) -> HttpResponse:
    """A follow-up of a child's alternative care: update the arrangement, risks, notes and the next date."""
    user = cast(User, request.user)
    case = get_case_for_user(user, case_uuid)
    child = case.children.filter(code=child_code).first()
    if child is None:
        raise Http404
    initial = {name: getattr(child, name) for name in services.CHILD_FIELDS}
    form = ChildForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        try:
            services.child_update(actor=user, child=child, changes=form.data_without_confirmation)
        except ValidationError as exc:
            form.add_error(None, exc)
        else:
            messages.success(request, _("Saved."))
            return redirect(f"{reverse('cases:detail', args=[case.uuid])}#children")
    services.case_read(actor=user, case=case, what="child")
    return render(
        request, "cases/child.html", {"case": case, "child": child, "form": form}, status=400 if form.errors else 200
    )


@staff_view(CASE_ROLES)
@require_GET
def case_detail(request: HttpRequest, case_uuid: str) -> HttpResponse:
    user = cast(User, request.user)
    case = get_case_for_user(user, case_uuid)
    return render(request, "cases/detail.html", _detail_context(user, case))


def _detail_context(user: User, case: Case, **forms: Any) -> dict[str, Any]:
    """Everything the case page shows. Building it is reading the case: audited here, whichever view renders it."""
    services.case_read(actor=user, case=case)
    consents = list(case.consents.select_related("recorded_by", "withdrawn_by"))
    active = {c.kind for c in consents if c.withdrawn_at is None}
    incidents = list(case.incidents.select_related("place"))
    context: dict[str, Any] = {
        "case": case,
        "consents": consents,
        "consent_kinds": [(kind, label, kind in active) for kind, label in ConsentKind.choices],
        "incidents": incidents,
        "health_windows": [w for i in incidents for w in services.health_windows(i)],
        "risk": case.risk_assessments.first(),
        "actions": case.actions.select_related("assigned_to"),
        "children": case.children.all(),
        "today": timezone.localdate(),
        "can_approve": services.can_approve_closure(user, case, coordinates=coordinates_case(user, case)),
        "can_assign": coordinates_case(user, case),
        "caseworkers": case.caseworkers.all(),
        "action_form": forms.get("action_form") or ActionForm(),
        "child_form": forms.get("child_form") or ChildAddForm(),
        "closure_form": forms.get("closure_form") or ClosureForm(),
        "duplicate_form": forms.get("duplicate_form") or DuplicateForm(),
    }
    window_since = [i.occurred_at for i in incidents if services.health_windows(i)]
    context.update(_related_sections(case, window_since=min(window_since) if window_since else None))
    return context


def _related_sections(case: Case, *, window_since: Any = None) -> dict[str, Any]:
    """Referrals and legal matters of the case (their apps own the selectors and templates), and where its health
    referral stands while a clinical window is open (the banner clears once it was attended)."""
    from amparo.cases.legal_services import legal_matters_of_case
    from amparo.referrals.selectors import cancelled_by_transfer, health_referral_state, referrals_of_case

    state = health_referral_state(case, window_since) if window_since is not None else ""
    # A case opened by accepting a transfer: where from, and the referrals that were open there, which the transfer
    # cancelled (her consents to share stayed behind), so that her new team can refer her again.
    received = CaseTransfer.objects.filter(new_case=case).select_related("from_organization").first()
    return {
        "referrals": referrals_of_case(case),
        "matters": legal_matters_of_case(case),
        "health_referral": state,
        "transferred_from": received,
        "cancelled_referrals": cancelled_by_transfer(received.open_referrals) if received is not None else [],
    }


def _section_post(
    request: HttpRequest, case_uuid: str, handle: Any, *, part: str
) -> HttpResponse:  # a POST on one section of the case page
    user = cast(User, request.user)
    case = get_case_for_user(user, case_uuid)
    result = handle(user, case)
    if isinstance(result, HttpResponse):
        return result
    return redirect(f"{request.path.rsplit('/', 2)[0]}/#{part}")


@staff_view(CASE_ROLES)
@require_POST
def consent(request: HttpRequest, case_uuid: str) -> HttpResponse:
    def handle(user: User, case: Case) -> HttpResponse | None:
        form = ConsentForm(request.POST)
        if not form.is_valid():
            return render(request, "core/error.html", {"status": 400}, status=400)
        data = form.cleaned_data
        if data["action"] == "give":
            services.consent_record(actor=user, case=case, kind=data["kind"], method=data["method"] or "verbal")
        else:
            services.consent_withdraw(actor=user, case=case, kind=data["kind"])
        return None

    return _section_post(request, case_uuid, handle, part="consents")


@staff_view(CASE_ROLES)
@require_http_methods(["GET", "POST"])
def incident_new(request: HttpRequest, case_uuid: str) -> HttpResponse:
    user = cast(User, request.user)
    case = get_case_for_user(user, case_uuid)
    form = IncidentForm(request.POST or None, initial={"place": case.place.pcode if case.place else None})
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            services.incident_record(
                actor=user,
                case=case,
                occurred_at=data["occurred_at"],
                time_known=data["time_known"],
                first_reported_at=data["first_reported_at"],
                place=data["place"],
                answers=form.answers(),
                context_tags=data["context_tags"],
                perpetrator_types=data["perpetrator_types"],
                perpetrator_count=data["perpetrator_count"],
                description=data["description"],
                form_token=data["form_token"],
            )
        except AlreadyDone as done:
            return _already_done(request, done, _("This incident was already recorded."), case=case)
        except ValidationError as exc:
            form.add_error(None, exc)
        else:
            return redirect("cases:detail", case_uuid=case.uuid)
    return render(request, "cases/incident_form.html", {"case": case, "form": form}, status=400 if form.errors else 200)


@staff_view(CASE_ROLES)
@require_http_methods(["GET", "POST"])
def incident_edit(request: HttpRequest, case_uuid: str, incident_id: int) -> HttpResponse:
    """Correct an incident (date, place, classification answers, aggressors, her words). The audit log keeps who
    changed which fields and when (`case.incident.update`); the page lists that history."""
    user = cast(User, request.user)
    case = get_case_for_user(user, case_uuid)
    incident = case.incidents.filter(pk=incident_id).select_related("place").first()
    if incident is None:
        raise Http404
    fmt = "%Y-%m-%dT%H:%M"
    initial = {
        "occurred_at": timezone.localtime(incident.occurred_at).strftime(fmt),
        "first_reported_at": timezone.localtime(incident.first_reported_at).strftime(fmt),
        "time_known": incident.time_known,
        "place": incident.place.pcode,
        "context_tags": incident.context_tags,
        "perpetrator_types": incident.perpetrator_types,
        "perpetrator_count": incident.perpetrator_count,
        "description": incident.description,
        **{f"q_{key}": value for key, value in incident.elimination_answers.items()},
    }
    form = IncidentForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        changes = {name: data[name] for name in services.INCIDENT_FIELDS if name in data}
        changes["elimination_answers"] = form.answers()
        try:
            fields = services.incident_update(actor=user, incident=incident, changes=changes)
        except ValidationError as exc:
            form.add_error(None, exc)
        else:
            if fields:
                messages.success(request, _("Saved."))
            return redirect(f"{reverse('cases:detail', args=[case.uuid])}#incidents")
    services.case_read(actor=user, case=case, what="incident_edit")
    history = selectors.incident_history(case, incident)
    return render(
        request,
        "cases/incident_form.html",
        {"case": case, "form": form, "incident": incident, "history": history},
        status=400 if form.errors else 200,
    )


@staff_view(CASE_ROLES)
@require_http_methods(["GET", "POST"])
def risk(request: HttpRequest, case_uuid: str) -> HttpResponse:
    user = cast(User, request.user)
    case = get_case_for_user(user, case_uuid)
    latest = case.risk_assessments.first()
    initial: dict[str, Any] = {"safety_plan": latest.safety_plan, "persecution": latest.persecution} if latest else {}
    if services.recent_sexual_violence(case):  # a recent rape or sexual assault on record answers that question
        initial[f"q_{risk_questions.RECENT_SEXUAL_VIOLENCE}"] = True
    form = RiskForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            services.risk_assess(
                actor=user,
                case=case,
                persecution=data["persecution"],
                indicators=data["indicators"],
                safety_plan=data["safety_plan"],
                answers=form.answers(),
                judged_level=data["judged_level"],
                raise_reason=data["raise_reason"],
                form_token=data["form_token"],
            )
        except AlreadyDone as done:
            return _already_done(request, done, _("This risk assessment was already recorded."), case=case)
        except ValidationError as exc:
            form.add_error(None, exc)
        else:
            return redirect("cases:detail", case_uuid=case.uuid)
    services.case_read(actor=user, case=case, what="risk")
    return render(
        request,
        "cases/risk_form.html",
        {"case": case, "form": form, "questions": risk_questions.questions()},
        status=400 if form.errors else 200,
    )


@staff_view(CASE_ROLES)
@require_POST
def action(request: HttpRequest, case_uuid: str) -> HttpResponse:
    def handle(user: User, case: Case) -> HttpResponse | None:
        done = request.POST.get("done")
        if done:
            pk = int(done) if done.isascii() and done.isdigit() else 0  # "²".isdigit() is True, int("²") fails
            item = case.actions.filter(pk=pk, done_at__isnull=True).first()
            if item is None:
                raise Http404
            services.action_done(actor=user, item=item)
            return None
        form = ActionForm(request.POST)
        try:
            if form.is_valid():
                services.action_add(
                    actor=user, case=case, description=form.cleaned_data["description"],
                    due_on=form.cleaned_data["due_on"], assigned_to=user, form_token=form.cleaned_data["form_token"],
                )  # fmt: skip
                return None
        except AlreadyDone as already:
            return _already_done(request, already, _("This action was already added."), case=case)
        except ValidationError as exc:
            form.add_error(None, exc)
        return render(request, "cases/detail.html", _detail_context(user, case, action_form=form), status=400)

    return _section_post(request, case_uuid, handle, part="actions")


@staff_view(CASE_ROLES)
@require_POST
def child(request: HttpRequest, case_uuid: str) -> HttpResponse:
    def handle(user: User, case: Case) -> HttpResponse | None:
        form = ChildAddForm(request.POST)
        try:
            if form.is_valid():
                services.child_add(
                    actor=user, case=case, form_token=form.cleaned_data["form_token"], **form.data_without_confirmation
                )
                return None
        except AlreadyDone as done:
            return _already_done(request, done, _("This child was already added."), case=case)
        except ValidationError as exc:
            form.add_error(None, exc)
        return render(request, "cases/detail.html", _detail_context(user, case, child_form=form), status=400)

    return _section_post(request, case_uuid, handle, part="children")


@staff_view(CASE_ROLES)
@require_POST
def closure(request: HttpRequest, case_uuid: str) -> HttpResponse:
    def handle(user: User, case: Case) -> HttpResponse | None:
        step = request.POST.get("step")
        if step == "duplicate":
            return _close_as_duplicate(request, user, case)
        form = ClosureForm(request.POST)
        try:
            if step == "request" and form.is_valid():
                services.closure_request(actor=user, case=case, checklist=form.checklist())
            elif step == "approve":
                services.closure_approve(actor=user, case=case, coordinates=coordinates_case(user, case))
            elif step == "reopen" and case.status != Case.Status.OPEN:
                services.case_reopen(actor=user, case=case)
            else:
                raise ValidationError(_("Unknown step."))
        except ValidationError as exc:
            form.add_error(None, exc)
            return render(request, "cases/detail.html", _detail_context(user, case, closure_form=form), status=400)
        return None

    return _section_post(request, case_uuid, handle, part="closure")


def _close_as_duplicate(request: HttpRequest, user: User, case: Case) -> HttpResponse | None:
    """Close the case as a duplicate of another she may work on (by its code), optionally merging into it."""
    form = DuplicateForm(request.POST)
    if form.is_valid():
        kept = cases_for_user(user).filter(code=form.cleaned_data["kept"]).first()  # not hers: "not found"
        if kept is None:
            form.add_error("kept", _("No case of yours has this code."))
        else:
            try:
                services.case_close_as_duplicate(actor=user, case=case, kept=kept, merge=form.cleaned_data["merge"])
            except ValidationError as exc:
                form.add_error(None, exc)
            else:
                messages.success(request, _("Closed as a duplicate of %(code)s.") % {"code": kept.code})
                return redirect("cases:detail", case_uuid=kept.uuid)
    return render(request, "cases/detail.html", _detail_context(user, case, duplicate_form=form), status=400)
