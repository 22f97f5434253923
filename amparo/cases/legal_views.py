"""Legal-aid pages (/staff/cases/…/legal/): open a matter on a case, work on it (status, parties, outcome,
deadlines, hearings, documents), and the list of upcoming legal dates.

Thin views: authorise with amparo.access (get_case_for_user, get_legal_matter_for_user: 404 for anyone who may not
see the case), parse with legal_forms, call legal_services (audited), render.
"""

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

from amparo.access import cases_for_user, get_case_for_user, get_legal_matter_for_user, staff_view
from amparo.accounts.models import User
from amparo.accounts.roles import CASE_ROLES
from amparo.core import filestore
from amparo.core.once import AlreadyDone, new_token
from amparo.core.responses import stored_file_download
from amparo.core.uploads import AttachmentRejected, LimitedMemoryUploadHandler, clean_upload

from . import legal_services as services
from .legal_forms import EventAddForm, EventEditForm, MatterOpenForm, MatterUpdateForm, UpcomingForm
from .models import LegalEvent, LegalMatter

DEFAULT_UPCOMING_DAYS = 30


@staff_view(CASE_ROLES)
@require_http_methods(["GET", "POST"])
def matter_new(request: HttpRequest, case_uuid: str) -> HttpResponse:
    user = cast(User, request.user)
    case = get_case_for_user(user, case_uuid)
    lawyers = services.lawyer_choices(case)
    # She is the lawyer by default only if she is a legal advisor: a caseworker chooses the lawyer herself.
    me = lawyers.filter(pk=user.pk).first()
    initial = {"lawyer": user.pk} if getattr(me, "legal_advisor", False) else {}
    form = MatterOpenForm(
        request.POST or None, case=case, lawyers=lawyers, entities=services.entity_choices(case), initial=initial
    )
    if request.method == "POST" and form.is_valid():
        try:
            matter = services.legal_matter_open(actor=user, case=case, **form.cleaned_data)
        except AlreadyDone as done:  # Back and send again: the matter the first submission opened
            messages.info(request, _("This legal matter was already opened."))
            return redirect("legal:matter", matter_uuid=done.ref) if done.ref else redirect("cases:detail", case.uuid)
        except ValidationError as exc:
            form.add_error(None, exc)
        else:
            messages.success(request, _("Legal matter opened."))
            return redirect("legal:matter", matter_uuid=matter.uuid)
    return render(request, "legal/matter_new.html", {"case": case, "form": form}, status=400 if form.errors else 200)


@staff_view(CASE_ROLES)
@require_http_methods(["GET", "POST"])
def matter_detail(request: HttpRequest, matter_uuid: str) -> HttpResponse:
    user = cast(User, request.user)
    matter = get_legal_matter_for_user(user, matter_uuid)
    lawyers = services.lawyer_choices(matter.case)
    action = request.POST.get("action") if request.method == "POST" else None
    update_form = MatterUpdateForm(
        request.POST if action == "update" else None,
        lawyers=lawyers,
        entities=services.entity_choices(matter.case),
        prefix="matter",
        initial={
            "status": matter.status,
            "lawyer": matter.lawyer_id,
            "entity": matter.entity_id,
            "filing_reference": matter.filing_reference,
            "parties": matter.parties,
            "outcome": matter.outcome,
        },
    )
    event_form = EventAddForm(request.POST if action == "event" else None, prefix="event")
    if action == "update" and update_form.is_valid():
        try:
            changed = services.legal_matter_update(actor=user, matter=matter, changes=update_form.cleaned_data)
        except ValidationError as exc:
            update_form.add_error(None, exc)
        else:
            messages.success(request, _("Saved.") if changed else _("Nothing changed."))
            return redirect("legal:matter", matter_uuid=matter.uuid)
    elif action == "event" and event_form.is_valid():
        try:
            services.legal_event_add(
                actor=user, matter=matter, form_token=event_form.cleaned_data["form_token"],
                **event_form.data_without_confirmation,
            )  # fmt: skip
        except AlreadyDone:  # the same date sent again: added once
            messages.info(request, _("This date was already added."))
        else:
            messages.success(request, _("Added."))
        return redirect("legal:matter", matter_uuid=matter.uuid)
    elif action == "done":
        try:
            services.legal_event_done(actor=user, matter=matter, event_id=int(request.POST.get("event", "")))
        except (ValueError, LegalEvent.DoesNotExist) as exc:
            raise Http404 from exc
        messages.success(request, _("Marked as done."))
        return redirect("legal:matter", matter_uuid=matter.uuid)
    elif request.method == "POST" and action not in {"update", "event"}:
        return redirect("legal:matter", matter_uuid=matter.uuid)

    services.legal_matter_read(actor=user, matter=matter)
    guide = services.state_agent_guide(matter) if services.shows_state_agent_guide(matter) else None
    return render(
        request,
        "legal/matter.html",
        {
            "matter": matter,
            "case": matter.case,
            "events": matter.events.all(),
            "documents": matter.documents.all(),
            "update_form": update_form,
            "event_form": event_form,
            "guide": guide,
            "now": timezone.now(),
            "is_custody": matter.kind == LegalMatter.Kind.CUSTODY,
            "document_token": new_token(),  # the upload form's one-time token (core/once.py)
        },
        status=400 if update_form.errors or event_form.errors else 200,
    )


@staff_view(CASE_ROLES)
@require_GET
def upcoming(request: HttpRequest) -> HttpResponse:
    user = cast(User, request.user)
    form = UpcomingForm(request.GET or None)
    days = (form.cleaned_data.get("days") if form.is_valid() else None) or DEFAULT_UPCOMING_DAYS
    events = list(services.upcoming_legal_events(cases_for_user(user), days=days)[:500])
    services.legal_upcoming_read(actor=user, events=events)
    return render(
        request,
        "legal/upcoming.html",
        {"events": events, "days": days, "form": form, "now": timezone.now()},
    )


@staff_view(CASE_ROLES)
@csrf_exempt  # CSRF is checked below, after the upload handlers are set (Django's documented pattern)
@require_POST
def document_upload(request: HttpRequest, matter_uuid: str) -> HttpResponse:
    # Files stay in memory (no plaintext temporary file) and are skipped past the size limit.
    request.upload_handlers = [LimitedMemoryUploadHandler(request)]
    return _document_upload(request, matter_uuid)


@csrf_protect
def _document_upload(request: HttpRequest, matter_uuid: str) -> HttpResponse:
    user = cast(User, request.user)
    matter = get_legal_matter_for_user(user, matter_uuid)
    upload = request.FILES.get("file")
    skipped = [name for handler in request.upload_handlers for name in getattr(handler, "skipped", [])]
    error = ""
    if skipped or upload is None:
        error = _("Choose a file of at most %(mb)d MB.") % {"mb": settings.SAFECHANNEL_MAX_FILE_BYTES // 1048576}
    else:
        try:
            services.legal_document_add(
                actor=user, matter=matter, clean=clean_upload(upload), form_token=request.POST.get("form_token", "")
            )
        except AlreadyDone:  # the same file sent again: stored once
            messages.info(request, _("This document was already stored."))
            return redirect(f"{reverse('legal:matter', args=[matter.uuid])}#documents")
        except AttachmentRejected:
            error = _("Only photos (JPEG, PNG, WebP), PDFs and audio files whose contents match their name.")
        except filestore.StoreError:  # the disk is full: nothing was stored (core/filestore.py)
            error = _(
                "The file could not be stored: the server's storage is full or failing. Tell your coordinator; "
                "try again later."
            )
    if error:
        messages.error(request, error)
        return redirect(f"{reverse('legal:matter', args=[matter.uuid])}#documents")
    messages.success(request, _("Document stored, encrypted."))
    return redirect(f"{reverse('legal:matter', args=[matter.uuid])}#documents")


@staff_view(CASE_ROLES)
@require_GET
def document_download(request: HttpRequest, matter_uuid: str, document_uuid: str) -> HttpResponse:
    user = cast(User, request.user)
    matter = get_legal_matter_for_user(user, matter_uuid)
    return stored_file_download(
        matter.documents.filter(uuid=document_uuid).first(),
        lambda found: services.legal_document_read(actor=user, document=found),
    )


@staff_view(CASE_ROLES)
@require_http_methods(["GET", "POST"])
def event_edit(request: HttpRequest, matter_uuid: str, event_id: int) -> HttpResponse:
    """Correct a legal deadline, hearing or document; the page lists the corrections (from the audit log)."""
    user = cast(User, request.user)
    matter = get_legal_matter_for_user(user, matter_uuid)
    event = matter.events.filter(pk=event_id).first()
    if event is None:
        raise Http404
    initial = {
        "kind": event.kind,
        "due_at": timezone.localtime(event.due_at).strftime("%Y-%m-%dT%H:%M"),
        "description": event.description,
        "done": event.done,
    }
    form = EventEditForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        try:
            changed = services.legal_event_update(
                actor=user, matter=matter, event=event, changes=form.data_without_confirmation
            )
        except ValidationError as exc:
            form.add_error(None, exc)
        else:
            messages.success(request, _("Saved.") if changed else _("Nothing changed."))
            return redirect("legal:matter", matter_uuid=matter.uuid)
    services.legal_matter_read(actor=user, matter=matter)
    return render(
        request,
        "legal/event_edit.html",
        {"matter": matter, "case": matter.case, "event": event, "form": form,
         "history": services.legal_event_history(matter, event)},
        status=400 if form.errors else 200,
    )  # fmt: skip
