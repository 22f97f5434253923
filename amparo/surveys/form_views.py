"""Staff pages of the surveys' forms (issue 14, items 1 and 2), under /staff/surveys/: the organisation's forms,
uploading an XLSForm (a new form or a new version), a form's versions and their files, opening and closing it, who
fills it, and the enumerators' phones (credentials). Coordinators manage; analysts read the lists. Thin: parse,
authorise (amparo.access), call the writes, render."""

from __future__ import annotations

from typing import Any, cast

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.csrf import csrf_exempt, csrf_protect
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from amparo.access import (
    get_enumerator_credential_for_user,
    get_organization_for_user,
    get_survey_form_for_user,
    organizations_for_user,
    staff_view,
)
from amparo.accounts.models import User
from amparo.accounts.roles import Role
from amparo.core.once import AlreadyDone
from amparo.core.responses import bad_request_page
from amparo.core.uploads import BoundedMemoryUploadHandler, declared_length

from . import form_admin, phones
from .forms import CredentialForm, EnumeratorsForm, MediaUploadForm, OpenForm, XLSFormUploadForm
from .models import EnumeratorCredential, Form
from .services import publish_xlsform
from .xlsform import FormProblem, XLSFormError, max_xlsform_bytes

READERS = frozenset({Role.COORDINATOR, Role.ANALYST})
MANAGERS = frozenset({Role.COORDINATOR})
# Room for the multipart framing and the CSRF token around the one file of an upload form.
FORM_OVERHEAD = 64 * 1024


def _user(request: HttpRequest) -> User:
    return cast(User, request.user)


def _coordinates(user: User, organization: Any) -> bool:
    return organizations_for_user(user, MANAGERS).filter(pk=organization.pk).exists()


def _bounded_upload(request: HttpRequest, limit: int) -> str:
    """Set the in-memory, bounded upload handler before the body is read; '' or the reason the body is refused
    unread (its declared length is over the limit: a 50 MB file is never received, let alone decoded)."""
    length = declared_length(request.META)
    if length is not None and length > limit + FORM_OVERHEAD:
        return _("The file is larger than %(mb)s MB.") % {"mb": limit // (1024 * 1024)}
    request.upload_handlers = [BoundedMemoryUploadHandler(request, max_file_bytes=limit, max_files=1, skip=True)]
    return ""


def _skipped(request: HttpRequest) -> bool:
    """Whether the bounded handler skipped a file (the body is parsed first if nothing read it yet)."""
    request.FILES  # noqa: B018 - parses the body with the bounded handler
    return any(getattr(handler, "too_large", False) for handler in request.upload_handlers)


# --- The organisation's forms ----------------------------------------------------------------------------------


@staff_view(READERS)
@require_GET
def forms_list(request: HttpRequest, org_uuid: str) -> HttpResponse:
    user = _user(request)
    organization = get_organization_for_user(user, org_uuid, READERS)
    forms = Form.objects.filter(organization=organization).prefetch_related("versions").order_by("title")
    return render(
        request,
        "surveys/forms/list.html",
        {"organization": organization, "forms": forms, "coordinates": _coordinates(user, organization)},
    )


@staff_view(MANAGERS)
@csrf_exempt  # CSRF is checked below, after the bounded upload handler is set (Django's documented pattern)
@require_http_methods(["GET", "POST"])
def form_upload(request: HttpRequest, org_uuid: str) -> HttpResponse:
    organization = get_organization_for_user(_user(request), org_uuid, MANAGERS)
    refused = _bounded_upload(request, max_xlsform_bytes()) if request.method == "POST" else ""
    return _upload(request, organization=organization, form=None, refused=refused)


@staff_view(MANAGERS)
@csrf_exempt  # as form_upload
@require_http_methods(["GET", "POST"])
def version_upload(request: HttpRequest, form_uuid: str) -> HttpResponse:
    form = get_survey_form_for_user(_user(request), form_uuid, MANAGERS)
    refused = _bounded_upload(request, max_xlsform_bytes()) if request.method == "POST" else ""
    return _upload(request, organization=form.organization, form=form, refused=refused)


@csrf_protect
def _upload(request: HttpRequest, *, organization: Any, form: Form | None, refused: str) -> HttpResponse:
    upload_form = XLSFormUploadForm()
    problems: list[FormProblem] = []
    status = 200
    if request.method == "POST":
        status = 400
        if refused or _skipped(request):
            problems = [FormProblem(refused or _("The file is larger than %(mb)s MB.") % {"mb": _mb()})]
        else:
            upload_form = XLSFormUploadForm(request.POST, request.FILES)
            if upload_form.is_valid():
                upload = upload_form.cleaned_data["xlsform"]
                try:
                    version = publish_xlsform(
                        organization=organization,
                        filename=upload.name or "",
                        data=upload.read(),
                        user=_user(request),
                        form=form,
                    )
                except XLSFormError as exc:
                    problems = exc.problems
                else:
                    messages.success(
                        request,
                        _("Version %(version)s of “%(title)s” is published.")
                        % {"version": version.version, "title": version.title},
                    )
                    for warning in version.warnings:
                        messages.warning(request, warning)
                    return redirect("surveys:form_detail", form_uuid=version.form.uuid)
    return render(
        request,
        "surveys/forms/upload.html",
        {"organization": organization, "survey_form": form, "form": upload_form, "problems": problems},
        status=status,
    )


def _mb() -> int:
    return max_xlsform_bytes() // (1024 * 1024)


# --- One form: versions, files, open or closed, enumerators ------------------------------------------------------


@staff_view(READERS)
@require_GET
def form_detail(request: HttpRequest, form_uuid: str) -> HttpResponse:
    user = _user(request)
    form = get_survey_form_for_user(user, form_uuid, READERS)
    versions = form.versions.select_related("uploaded_by").prefetch_related("media").order_by("-created_at", "-pk")
    coordinates = _coordinates(user, form.organization)
    return render(
        request,
        "surveys/forms/detail.html",
        {
            "survey_form": form,
            "versions": [(version, sorted(form_admin.referenced_files(version))) for version in versions],
            "enumerators": form.enumerators.order_by("email") if coordinates else [],
            "coordinates": coordinates,
            "media_form": MediaUploadForm(),
            "max_media_mb": form_admin.max_media_bytes() // (1024 * 1024),
        },
    )


@staff_view(MANAGERS)
@csrf_exempt  # as form_upload
@require_POST
def media_upload(request: HttpRequest, form_uuid: str, version_pk: int) -> HttpResponse:
    form = get_survey_form_for_user(_user(request), form_uuid, MANAGERS)
    version = form.versions.filter(pk=version_pk).first()
    if version is None:
        raise Http404
    refused = _bounded_upload(request, form_admin.max_media_bytes())
    return _media_upload(request, form, version, refused)


@csrf_protect
def _media_upload(request: HttpRequest, form: Form, version: Any, refused: str) -> HttpResponse:
    upload = None if refused or _skipped(request) else request.FILES.get("file")
    if upload is None:
        message = refused or _("Choose a CSV, JPEG or PNG file of at most %(mb)s MB.") % {
            "mb": form_admin.max_media_bytes() // (1024 * 1024)
        }
        return bad_request_page(request, message)
    try:
        media = form_admin.media_add(
            actor=_user(request), version=version, filename=upload.name or "", data=upload.read()
        )
    except form_admin.MediaRejected as exc:
        return bad_request_page(request, str(exc))
    messages.success(
        request, _("“%(name)s” is added to version %(version)s.") % {"name": media.filename, "version": version.version}
    )
    return redirect("surveys:form_detail", form_uuid=form.uuid)


@staff_view(MANAGERS)
@require_POST
def form_open(request: HttpRequest, form_uuid: str) -> HttpResponse:
    form = get_survey_form_for_user(_user(request), form_uuid, MANAGERS)
    parsed = OpenForm(request.POST)
    if not parsed.is_valid():
        return bad_request_page(request, _("Say whether the form is open or closed."))
    is_open = parsed.cleaned_data["is_open"]
    form_admin.form_set_open(actor=_user(request), form=form, is_open=is_open)
    messages.success(
        request,
        _("The form takes submissions.") if is_open else _("The form is closed: phones can no longer send to it."),
    )
    return redirect("surveys:form_detail", form_uuid=form.uuid)


@staff_view(MANAGERS)
@require_http_methods(["GET", "POST"])
def form_enumerators(request: HttpRequest, form_uuid: str) -> HttpResponse:
    form = get_survey_form_for_user(_user(request), form_uuid, MANAGERS)
    chooser = EnumeratorsForm(
        request.POST if request.method == "POST" else None,
        organization=form.organization,
        initial={"enumerators": list(form.enumerators.all())},
    )
    if request.method == "POST" and chooser.is_valid():
        users = chooser.cleaned_data["enumerators"]
        count = form_admin.form_set_enumerators(actor=_user(request), form=form, users=users)
        messages.success(request, _("%(count)s enumerators fill this form.") % {"count": count})
        return redirect("surveys:form_detail", form_uuid=form.uuid)
    return render(
        request,
        "surveys/forms/enumerators.html",
        {"survey_form": form, "form": chooser},
        status=400 if chooser.errors else 200,
    )


# --- Enumerators' phones ---------------------------------------------------------------------------------------


@staff_view(MANAGERS)
@require_http_methods(["GET", "POST"])
def phones_list(request: HttpRequest, org_uuid: str) -> HttpResponse:
    user = _user(request)
    organization = get_organization_for_user(user, org_uuid, MANAGERS)
    creator = CredentialForm(request.POST or None, organization=organization)
    created: EnumeratorCredential | None = None
    secret = ""
    status = 200
    if request.method == "POST":
        if creator.is_valid():
            try:
                created, secret = phones.credential_create(
                    actor=user,
                    organization=organization,
                    user=creator.cleaned_data["user"],
                    label=creator.cleaned_data["label"],
                    form_token=creator.cleaned_data["form_token"],
                )
            except AlreadyDone:
                messages.info(
                    request,
                    _("This phone's credential was already created, and its secret was shown then, once. If it was "
                      "not typed on the phone, revoke it and create another."),
                )  # fmt: skip
                return redirect("surveys:phones", org_uuid=organization.uuid)
            except ValidationError as exc:
                creator.add_error(None, exc)
                status = 400
            else:
                creator = CredentialForm(organization=organization)
        else:
            status = 400
    credentials = (
        EnumeratorCredential.objects.filter(organization=organization)
        .select_related("user")
        .order_by("revoked_at", "-created_at")
    )
    return render(
        request,
        "surveys/forms/phones.html",
        {
            "organization": organization,
            "credentials": credentials,
            "form": creator,
            "created": created,
            "secret": secret,
            "server_url": request.build_absolute_uri("/openrosa/"),
        },
        status=status,
    )


@staff_view(MANAGERS)
@require_POST
def phone_revoke(request: HttpRequest, credential_uuid: str) -> HttpResponse:
    credential = get_enumerator_credential_for_user(_user(request), credential_uuid)
    if phones.credential_revoke(actor=_user(request), credential=credential):
        messages.success(request, _("The phone “%(label)s” can no longer sign in.") % {"label": credential.label})
    return redirect("surveys:phones", org_uuid=credential.organization.uuid)
