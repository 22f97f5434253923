"""A caseworker's day on the case pages (issue 13, items 2 and 6): the case search, dated notes, case files and
the printable summary. Thin views: authorise with amparo.access, parse with casework_forms, call services,
render. Every page that shows case data records the read in the audit log."""

from __future__ import annotations

from typing import cast

from django.conf import settings
from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.csrf import csrf_exempt, csrf_protect
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from amparo.access import (
    cases_for_user,
    coordinates_case,
    get_case_for_user,
    get_incoming_transfer_for_user,
    get_organization_for_user,
    organizations_for_user,
    staff_view,
)
from amparo.accounts.models import User
from amparo.accounts.roles import CASE_ROLES, Role
from amparo.core import filestore
from amparo.core.once import AlreadyDone, new_token
from amparo.core.responses import stored_file_download
from amparo.core.uploads import AttachmentRejected, LimitedMemoryUploadHandler, clean_upload

from . import casework_services as services
from . import selectors
from . import services as case_services
from .casework_forms import CaseSearchForm, NoteForm, TransferDecisionForm, TransferForm
from .forms import CLOSURE_LABELS
from .models import Case, CaseTransfer
from .search import search_cases


@staff_view(CASE_ROLES)
@require_http_methods(["GET", "POST"])
def case_search(request: HttpRequest) -> HttpResponse:
    """Find a case by code, name or document among the cases she may see. The query comes by POST and is never
    stored: the audit entry says what kind of search it was, how many words, and which codes were shown."""
    user = cast(User, request.user)
    form = CaseSearchForm(request.POST if request.method == "POST" else None)
    outcome = None
    if request.method == "POST" and form.is_valid():
        visible = cases_for_user(user)
        outcome = search_cases(visible, form.cleaned_data["q"])
        services.case_search_record(actor=user, organizations=organizations_for_user(user, CASE_ROLES), outcome=outcome)
    return render(
        request,
        "cases/search.html",
        {"form": form, "outcome": outcome},
        status=400 if form.errors else 200,
    )


@staff_view(CASE_ROLES)
@require_POST
def note_add(request: HttpRequest, case_uuid: str) -> HttpResponse:
    user = cast(User, request.user)
    case = get_case_for_user(user, case_uuid)
    form = NoteForm(request.POST)
    if form.is_valid():
        try:
            services.case_note_add(actor=user, case=case, **form.cleaned_data)
        except AlreadyDone:  # Back and send again: the note the first submission saved, not a second one
            messages.info(request, _("This note was already saved."))
            return redirect("cases:notes", case_uuid=case.uuid)
        except ValidationError as exc:
            form.add_error(None, exc)
    if form.errors:
        return _notes_page(request, user, case, form, status=400)
    messages.success(request, _("Note saved, encrypted."))
    return redirect("cases:notes", case_uuid=case.uuid)


@staff_view(CASE_ROLES)
@require_GET
def notes(request: HttpRequest, case_uuid: str) -> HttpResponse:
    """The case's dated notes and files, newest first (reading them is audited)."""
    user = cast(User, request.user)
    case = get_case_for_user(user, case_uuid)
    return _notes_page(request, user, case, NoteForm())


def _notes_page(request: HttpRequest, user: User, case: Case, form: NoteForm, status: int = 200) -> HttpResponse:
    services.case_notes_read(actor=user, case=case)
    return render(
        request,
        "cases/notes.html",
        {
            "case": case,
            "form": form,
            "notes": list(case.notes.select_related("author")),  # the five newest shown, the rest folded
            "files": case.files.select_related("uploaded_by"),
            "max_mb": settings.SAFECHANNEL_MAX_FILE_BYTES // 1048576,
            "file_token": new_token(),  # the upload form's one-time token (core/once.py)
        },
        status=status,
    )


@staff_view(CASE_ROLES)
@csrf_exempt  # CSRF is checked below, after the upload handlers are set (Django's documented pattern)
@require_POST
def file_upload(request: HttpRequest, case_uuid: str) -> HttpResponse:
    # Files stay in memory (no plaintext temporary file) and are skipped past the size limit, before any decoding.
    request.upload_handlers = [LimitedMemoryUploadHandler(request)]
    return _file_upload(request, case_uuid)


@csrf_protect
def _file_upload(request: HttpRequest, case_uuid: str) -> HttpResponse:
    user = cast(User, request.user)
    case = get_case_for_user(user, case_uuid)
    upload = request.FILES.get("file")
    skipped = [name for handler in request.upload_handlers for name in getattr(handler, "skipped", [])]
    target = f"{reverse('cases:notes', args=[case.uuid])}#files"
    if skipped or upload is None:
        messages.error(
            request, _("Choose a file of at most %(mb)d MB.") % {"mb": settings.SAFECHANNEL_MAX_FILE_BYTES // 1048576}
        )
        return redirect(target)
    try:
        services.case_file_add(
            actor=user, case=case, clean=clean_upload(upload), form_token=request.POST.get("form_token", "")
        )
    except AlreadyDone:  # the same file sent again: stored once
        messages.info(request, _("This file was already stored."))
        return redirect(target)
    except AttachmentRejected:
        messages.error(
            request, _("Only photos (JPEG, PNG, WebP), PDFs and audio files whose contents match their name.")
        )
        return redirect(target)
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
        return redirect(target)
    except filestore.StoreError:  # the disk is full: nothing was stored (core/filestore.py)
        messages.error(
            request,
            _(
                "The file could not be stored: the server's storage is full or failing. Tell your coordinator; "
                "try again later."
            ),
        )
        return redirect(target)
    messages.success(request, _("File stored, encrypted."))
    return redirect(target)


@staff_view(CASE_ROLES)
@require_GET
def file_download(request: HttpRequest, case_uuid: str, file_uuid: str) -> HttpResponse:
    user = cast(User, request.user)
    case = get_case_for_user(user, case_uuid)
    return stored_file_download(
        case.files.filter(uuid=file_uuid).first(), lambda found: services.case_file_read(actor=user, case_file=found)
    )


@staff_view(CASE_ROLES)
@require_GET
def summary(request: HttpRequest, case_uuid: str) -> HttpResponse:
    """A printable summary of the case for the person printing it. Her identifying data and her own words are
    left out unless asked for (`?identity=1`, `?narrative=1`): a summary travels more than a screen does. The
    read is audited with the parts shown."""
    user = cast(User, request.user)
    case = get_case_for_user(user, case_uuid)
    parts = services.SummaryParts(
        identity=request.GET.get("identity") == "1", narrative=request.GET.get("narrative") == "1"
    )
    content = services.case_summary(actor=user, case=case, parts=parts)
    return render(
        request,
        "cases/summary.html",
        {
            "case": case,
            "s": content,
            "parts": parts,
            "now": timezone.now(),
            "TIME_ZONE": timezone.get_current_timezone_name(),
        },
    )


# --- Coordinators (issue 13, item 8) ------------------------------------------------------------------------------


@staff_view({Role.COORDINATOR})
@require_GET
def caseload(request: HttpRequest, org_uuid: str) -> HttpResponse:
    """How many open cases each person carries, with the high-risk ones, overdue actions and closures waiting
    (counts only; reading them is audited)."""
    user = cast(User, request.user)
    organization = get_organization_for_user(user, org_uuid, {Role.COORDINATOR})
    rows = selectors.caseload(organization, today=timezone.localdate())
    services.caseload_read(actor=user, organization=organization)
    return render(request, "cases/caseload.html", {"organization": organization, "rows": rows})


@staff_view({Role.COORDINATOR})
@require_GET
def closures(request: HttpRequest, org_uuid: str) -> HttpResponse:
    """The closure requests waiting for approval, with the checklist she answered and who asked (audited as a
    listing of the codes shown)."""
    user = cast(User, request.user)
    organization = get_organization_for_user(user, org_uuid, {Role.COORDINATOR})
    queue = list(selectors.closure_queue(organization)[:200])
    services.closures_listed(actor=user, cases=queue)
    labels = dict(CLOSURE_LABELS)
    rows = [(case, [(labels.get(k, k), v) for k, v in case.closure_checklist.items()]) for case in queue]
    return render(request, "cases/closures.html", {"organization": organization, "rows": rows})


@staff_view({Role.COORDINATOR})
@require_http_methods(["GET", "POST"])
def transfer(request: HttpRequest, case_uuid: str) -> HttpResponse:
    """A coordinator of the case's organisation proposes it to another organisation, with her consent."""
    user = cast(User, request.user)
    case = get_case_for_user(user, case_uuid)
    if not coordinates_case(user, case):
        raise Http404
    form = TransferForm(request.POST or None, organizations=services.transferable_organizations(case))
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            services.case_transfer_request(
                actor=user, case=case, to_organization=data["to_organization"],
                consent_method=data["consent_method"], travels=data["travels"], reason=data["reason"],
                form_token=data["form_token"],
            )  # fmt: skip
        except AlreadyDone:  # Back and send again: the proposal the first submission made
            messages.info(request, _("This transfer was already proposed."))
            return redirect("cases:detail", case_uuid=case.uuid)
        except ValidationError as exc:
            form.add_error(None, exc)
        else:
            messages.success(request, _("Transfer proposed. Nothing travels until the other organisation accepts."))
            return redirect("cases:detail", case_uuid=case.uuid)
    from amparo.referrals.selectors import unfinished_referrals_of_case

    case_services.case_read(actor=user, case=case, what="transfer")
    pending = case.transfers.filter(status="pending").select_related("to_organization").first()
    return render(
        request,
        "cases/transfer.html",
        # What an accepted transfer cancels, said before it is proposed (cases.signals.case_transferred).
        {"case": case, "form": form, "pending": pending, "referrals": unfinished_referrals_of_case(case)},
        status=400 if form.errors else 200,
    )


@staff_view({Role.COORDINATOR})
@require_GET
def transfers(request: HttpRequest) -> HttpResponse:
    """Transfers to and from the organisations she coordinates: incoming ones to answer, outgoing ones to follow."""
    user = cast(User, request.user)
    organizations = organizations_for_user(user, {Role.COORDINATOR})
    rows = list(services.transfers_for(organizations)[:200])
    ids = set(organizations.values_list("pk", flat=True))
    return render(
        request,
        "cases/transfers.html",
        {
            "incoming": [t for t in rows if t.to_organization_id in ids and t.status == "pending"],
            "others": [t for t in rows if not (t.to_organization_id in ids and t.status == "pending")],
            "mine": ids,
        },
    )


@staff_view({Role.COORDINATOR})
@require_POST
def transfer_decide(request: HttpRequest, transfer_uuid: str) -> HttpResponse:
    user = cast(User, request.user)
    incoming = get_incoming_transfer_for_user(user, transfer_uuid, pending=False)
    if incoming.status != incoming.Status.PENDING:
        return _transfer_answered(request, incoming)
    form = TransferDecisionForm(request.POST)
    if not form.is_valid():
        return render(request, "core/error.html", {"status": 400}, status=400)
    try:
        new_case = services.case_transfer_decide(
            actor=user, transfer=incoming, accept=form.cleaned_data["decision"] == "accept"
        )
    except ValidationError as exc:
        incoming.refresh_from_db()
        if incoming.status != incoming.Status.PENDING:  # a colleague answered a moment earlier
            return _transfer_answered(request, incoming)
        messages.error(request, " ".join(exc.messages))
        return redirect("cases:transfers")
    if new_case is None:
        messages.success(request, _("Transfer declined: the case stays with the organisation that proposed it."))
        return redirect("cases:transfers")
    messages.success(
        request, _("Transfer accepted: case %(code)s opened. Choose who accompanies her.") % {"code": new_case.code}
    )
    return redirect("cases:team", case_uuid=new_case.uuid)


def _transfer_answered(request: HttpRequest, answered: CaseTransfer) -> HttpResponse:
    """A decision sent again (a double click, Back and send) or after a colleague's: what the first one made, never
    a second case. The case it opened belongs to her organisation, which she coordinates."""
    if answered.new_case is not None:
        messages.info(request, _("This transfer was already accepted: case %(code)s.") % {"code": answered.new_case})
        return redirect("cases:team", case_uuid=answered.new_case.uuid)
    messages.info(request, _("This transfer was already answered."))
    return redirect("cases:transfers")
