"""Staff pages of the bulletin and the orientation library (issue 17, part 4). Thin: parse, authorise through
amparo.access, call bulletin_services, render. Uploads are bounded before they are read (core.uploads)."""

from __future__ import annotations

from typing import Any, cast

from django.conf import settings
from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.csrf import csrf_exempt, csrf_protect
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from amparo.access import staff_view
from amparo.access.bulletin_access import (
    BULLETIN_ROLES,
    LIBRARY_EDIT_ROLES,
    WITHDRAW_ROLES,
    get_document_for_user,
    get_document_to_edit,
    get_post_to_withdraw,
    get_version_for_user,
    library_organizations,
    may_edit_document,
    may_withdraw_post,
    posting_organizations,
)
from amparo.accounts.models import User
from amparo.core.responses import attachment
from amparo.core.uploads import (
    AttachmentRejected,
    BoundedMemoryUploadHandler,
    DiscardFilesUploadHandler,
    clean_upload,
    declared_length,
)

from . import bulletin_services as services
from .bulletin_forms import DocumentForm, PostForm, VersionForm
from .bulletin_models import DocumentKind, PostKind
from .bulletin_selectors import documents_for, posts_for

FORM_OVERHEAD = 64 * 1024


def _user(request: HttpRequest) -> User:
    return cast(User, request.user)


def _max_bytes() -> int:
    return int(settings.SAFECHANNEL_MAX_FILE_BYTES)  # the library's files are checked like the channel's


def _too_big_message() -> str:
    return _("Choose a file of at most %(mb)d MB.") % {"mb": _max_bytes() // (1024 * 1024)}


def _bounded(request: HttpRequest) -> bool:
    """Set the upload handler before the body is read. False when the body is refused unread (its declared length
    is over the limit): its files are then dropped as they arrive, and the form comes back with her text."""
    length = declared_length(request.META)
    if length is not None and length > _max_bytes() + FORM_OVERHEAD:
        request.upload_handlers = [DiscardFilesUploadHandler(request)]
        return False
    request.upload_handlers = [BoundedMemoryUploadHandler(request, max_file_bytes=_max_bytes(), max_files=1, skip=True)]
    return True


def _file(request: HttpRequest, form: Any, accepted: bool) -> Any:
    """The checked file of a bound, valid form, or None with the reason added to the form."""
    skipped = not accepted or any(getattr(h, "too_large", False) for h in request.upload_handlers)
    upload = request.FILES.get("file")
    if skipped or upload is None:
        form.add_error("file", _too_big_message() if skipped else _("Choose a file."))
        return None
    try:
        return clean_upload(upload)
    except AttachmentRejected:
        form.add_error("file", _("Only PDFs and images (JPEG, PNG, WebP) whose contents match their name."))
        return None


# --- The bulletin ----------------------------------------------------------------------------------------------------


@staff_view(BULLETIN_ROLES)
@require_GET
def bulletin(request: HttpRequest) -> HttpResponse:
    user = _user(request)
    kind = request.GET.get("kind", "")
    if kind and kind not in PostKind.values:
        kind = ""
    posts = list(posts_for(user, kind=kind)[:200])
    return render(
        request,
        "campaigns/bulletin/list.html",
        {
            "posts": [(p, may_withdraw_post(user, p)) for p in posts],
            "kinds": PostKind.choices,
            "kind": kind,
            "may_post": posting_organizations(user).exists(),
        },
    )


@staff_view(BULLETIN_ROLES)
@require_http_methods(["GET", "POST"])
def post_new(request: HttpRequest) -> HttpResponse:
    user = _user(request)
    organizations = posting_organizations(user)
    form = PostForm(request.POST if request.method == "POST" else None, organizations=organizations)
    status = 200
    if request.method == "POST":
        if form.is_valid():
            data = form.cleaned_data
            try:
                services.post_publish(
                    actor=user, organization=data["organization"],
                    data=services.PostInput(kind=data["kind"], title=data["title"], body=data["body"],
                                            audience=data["audience"], place=data["place"],
                                            expires_on=data["expires_on"]),
                )  # fmt: skip
            except ValidationError as refused:
                form.add_error(None, refused)
            else:
                messages.success(request, _("Posted: the organisations it is for see it now."))
                return redirect("bulletin:list")
        status = 400
    return render(request, "campaigns/bulletin/post_form.html", {"form": form}, status=status)


@staff_view(WITHDRAW_ROLES)
@require_POST
def post_withdraw(request: HttpRequest, post_uuid: str) -> HttpResponse:
    user = _user(request)
    post = get_post_to_withdraw(user, post_uuid)
    services.post_withdraw(actor=user, post=post)
    messages.success(request, _("Withdrawn: nobody sees it any more."))
    return redirect("bulletin:list")


# --- The library -----------------------------------------------------------------------------------------------------


@staff_view(BULLETIN_ROLES)
@require_GET
def library(request: HttpRequest) -> HttpResponse:
    user = _user(request)
    language = request.GET.get("language", "")
    kind = request.GET.get("kind", "")
    language = language if language in services.LIBRARY_LANGUAGES else ""
    kind = kind if kind in DocumentKind.values else ""
    return render(
        request,
        "campaigns/bulletin/library.html",
        {
            "documents": list(documents_for(user, language=language, kind=kind)[:300]),
            "kinds": DocumentKind.choices,
            "kind": kind,
            "language": language,
            "may_add": library_organizations(user).exists(),
        },
    )


@staff_view(LIBRARY_EDIT_ROLES)
@csrf_exempt  # CSRF is checked below, after the bounded upload handler is set (Django's documented pattern)
@require_http_methods(["GET", "POST"])
def document_new(request: HttpRequest) -> HttpResponse:
    accepted = _bounded(request) if request.method == "POST" else True
    return _document_new(request, accepted)


@csrf_protect
def _document_new(request: HttpRequest, accepted: bool) -> HttpResponse:
    user = _user(request)
    bound = request.method == "POST"  # an empty POST is still a sent form: it comes back with what is missing
    form = DocumentForm(
        request.POST if bound else None, request.FILES if bound else None, organizations=library_organizations(user)
    )
    status = 200
    if request.method == "POST":
        valid = form.is_valid()  # first: errors are added to a cleaned form
        clean = _file(request, form, accepted)
        if valid and clean is not None:
            data = form.cleaned_data
            try:
                document = services.document_add(
                    actor=user, organization=data["organization"], clean=clean, issued_on=data["issued_on"],
                    data=services.DocumentInput(kind=data["kind"], title=data["title"],
                                                description=data["description"], language=data["language"],
                                                audience=data["audience"], place=data["place"]),
                )  # fmt: skip
            except ValidationError as refused:
                form.add_error(None, refused)
            else:
                messages.success(request, _("Added to the library."))
                return redirect("bulletin:document", document_uuid=document.uuid)
        status = 400
    return render(request, "campaigns/bulletin/document_form.html", {"form": form}, status=status)


@staff_view(BULLETIN_ROLES)
@require_GET
def document(request: HttpRequest, document_uuid: str) -> HttpResponse:
    user = _user(request)
    found = get_document_for_user(user, document_uuid)
    editable = may_edit_document(user, found)
    return render(
        request,
        "campaigns/bulletin/document.html",
        {"document": found, "versions": list(found.versions.defer("data")), "editable": editable,
         "form": VersionForm() if editable else None},
    )  # fmt: skip


@staff_view(LIBRARY_EDIT_ROLES)
@csrf_exempt  # as document_new
@require_POST
def version_add(request: HttpRequest, document_uuid: str) -> HttpResponse:
    accepted = _bounded(request)
    return _version_add(request, document_uuid, accepted)


@csrf_protect
def _version_add(request: HttpRequest, document_uuid: str, accepted: bool) -> HttpResponse:
    user = _user(request)
    found = get_document_to_edit(user, document_uuid)
    form = VersionForm(request.POST, request.FILES)
    valid = form.is_valid()  # first: errors are added to a cleaned form
    clean = _file(request, form, accepted)
    if found.withdrawn_at is not None:
        form.add_error(None, _("This document was withdrawn from the library: share it again as a new document."))
    elif valid and clean is not None:
        services.version_add(actor=user, document=found, clean=clean, issued_on=form.cleaned_data["issued_on"])
        messages.success(request, _("New version added."))
        return redirect("bulletin:document", document_uuid=found.uuid)
    return render(
        request,
        "campaigns/bulletin/document.html",
        {"document": found, "versions": list(found.versions.defer("data")), "editable": True, "form": form},
        status=400,
    )


@staff_view(LIBRARY_EDIT_ROLES)
@require_POST
def document_withdraw(request: HttpRequest, document_uuid: str) -> HttpResponse:
    user = _user(request)
    found = get_document_to_edit(user, document_uuid)
    services.document_withdraw(actor=user, document=found)
    messages.success(request, _("Withdrawn from the library."))
    return redirect(reverse("bulletin:library"))


@staff_view(BULLETIN_ROLES)
@require_GET
def version_download(request: HttpRequest, document_uuid: str, version_uuid: str) -> HttpResponse:
    version = get_version_for_user(_user(request), document_uuid, version_uuid)
    return attachment(bytes(version.data), content_type=version.content_type, filename=version.filename)
