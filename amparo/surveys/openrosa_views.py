"""The OpenRosa server ODK Collect and KoboCollect talk to, under /openrosa/ (the "server URL" of the phone):

    GET  formList                                    the forms assigned to the phone's enumerator (open ones)
    GET  forms/<form>/<version>/form.xml             the XForm, byte for byte what the list's md5 hashes
    GET  forms/<form>/<version>/manifest             the files the form needs (xformsManifest)
    GET  forms/<form>/<version>/media/<file name>    one of them
    HEAD submission                                  204 and X-OpenRosa-Accept-Content-Length (preflight)
    POST submission                                  multipart: xml_submission_file and attachments

Every answer carries X-OpenRosa-Version and Date; errors are OpenRosa messages the phone shows. The phone signs in
with HTTP Basic (phones.py); no session, no cookie (the public-page middleware drops any), no address is read or
logged. Bodies are bounded before they are read: the declared length first (413), then each file while it arrives.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any

from django.core.exceptions import RequestDataTooBig, SuspiciousOperation, TooManyFieldsSent, TooManyFilesSent
from django.http import HttpRequest, HttpResponse
from django.http.multipartparser import MultiPartParserError
from django.urls import reverse
from django.utils.http import content_disposition_header
from django.utils.translation import gettext as _
from django.views.decorators.csrf import csrf_exempt

from amparo.core.uploads import BoundedMemoryUploadHandler, declared_length

from . import openrosa
from .extract import max_instance_bytes
from .models import EnumeratorCredential, Form, FormVersion, Submission
from .openrosa import ListedForm, ListedMedia, message_response
from .phones import FAILURE_WINDOW, TooManyFailures, authenticate_phone, phone_forms
from .services import IncomingFile, SubmissionError, max_attachment_bytes, max_attachments, receive_submission

XML_PART = "xml_submission_file"
# SubmissionError codes -> HTTP status (the OpenRosa Form Submission API; 409 as ODK Central for a closed form
# and for a resend whose XML changed).
STATUS = {
    "malformed": 400,
    "no_instance_id": 400,
    "unknown_form": 404,
    "closed_form": 409,
    "unknown_version": 400,
    "not_encrypted": 400,
    "unexpected_encryption": 400,
    "too_large": 413,
    "too_many_files": 413,
    "undeclared_attachment": 400,
    "conflict": 409,
    "wrong_attachment_type": 400,
}
PhoneView = Callable[..., HttpResponse]


def phone_view(methods: set[str]) -> Callable[[PhoneView], Callable[..., HttpResponse]]:
    """An OpenRosa endpoint: CSRF-exempt (no cookies, no session: the phone signs every request), the methods it
    takes (405 else), the Basic sign-in (401 with the challenge else); the view gets the credential."""

    def decorate(view: PhoneView) -> Callable[..., HttpResponse]:
        @csrf_exempt
        @wraps(view)
        def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
            if request.method not in methods:
                response = message_response(_("This address does not take this method."), 405)
                response["Allow"] = ", ".join(sorted(methods))
                return response
            pair = openrosa.basic_credentials(request.headers.get("Authorization", ""))
            try:
                credential = authenticate_phone(*pair) if pair else None
            except TooManyFailures:
                response = message_response(_("Too many wrong secrets for this user name: wait a few minutes."), 429)
                response["Retry-After"] = str(FAILURE_WINDOW)
                return response
            if credential is None:
                return openrosa.challenge(
                    _("Sign in with the user name and secret your coordinator gave for this phone.")
                    if pair is None
                    else _("This phone's user name or secret is not valid, or it was revoked. Ask your coordinator.")
                )
            return openrosa.with_openrosa_headers(view(request, credential, *args, **kwargs))

        return wrapper

    return decorate


def _version(credential: EnumeratorCredential, form_uuid: Any, version_pk: int) -> FormVersion | None:
    return (
        FormVersion.objects.select_related("form")
        .filter(pk=version_pk, form__uuid=form_uuid, form__in=phone_forms(credential))
        .first()
    )


def _not_found() -> HttpResponse:
    return message_response(_("This form is not assigned to this phone, or it does not exist."), 404)


@phone_view({"GET", "HEAD"})
def form_list(request: HttpRequest, credential: EnumeratorCredential) -> HttpResponse:
    forms = phone_forms(credential).filter(is_open=True).order_by("title")
    wanted = request.GET.get("formID", "")
    if wanted:
        forms = forms.filter(form_id=wanted)
    listed = []
    for form in forms:
        version = form.latest_version()
        if version is None:
            continue
        listed.append(_listed(request, form, version))
    return openrosa.xml_response(openrosa.form_list_xml(listed))


def _listed(request: HttpRequest, form: Form, version: FormVersion) -> ListedForm:
    has_media = version.media.exists()
    manifest = ""
    if openrosa.needs_manifest(version.xform, has_media):
        manifest = request.build_absolute_uri(reverse("openrosa:manifest", args=[form.uuid, version.pk]))
    return ListedForm(
        form_id=form.form_id,
        name=version.title,
        version=version.version,
        md5=version.md5,
        download_url=request.build_absolute_uri(reverse("openrosa:form", args=[form.uuid, version.pk])),
        manifest_url=manifest,
    )


@phone_view({"GET", "HEAD"})
def form_download(
    request: HttpRequest, credential: EnumeratorCredential, form_uuid: Any, version_pk: int
) -> HttpResponse:
    version = _version(credential, form_uuid, version_pk)
    if version is None:
        return _not_found()
    return openrosa.xml_response(version.xform.encode("utf-8"))


@phone_view({"GET", "HEAD"})
def manifest(request: HttpRequest, credential: EnumeratorCredential, form_uuid: Any, version_pk: int) -> HttpResponse:
    version = _version(credential, form_uuid, version_pk)
    if version is None:
        return _not_found()
    files = [
        ListedMedia(
            filename=media.filename,
            md5=media.md5,
            download_url=request.build_absolute_uri(
                reverse("openrosa:media", args=[version.form.uuid, version.pk, media.filename])
            ),
        )
        for media in version.media.order_by("filename").only("filename", "md5")
    ]
    return openrosa.xml_response(openrosa.manifest_xml(files))


@phone_view({"GET", "HEAD"})
def media_download(
    request: HttpRequest, credential: EnumeratorCredential, form_uuid: Any, version_pk: int, filename: str
) -> HttpResponse:
    version = _version(credential, form_uuid, version_pk)
    media = version.media.filter(filename=filename).first() if version is not None else None
    if media is None:
        return _not_found()
    response = HttpResponse(bytes(media.content), content_type=media.content_type)
    response["Content-Disposition"] = content_disposition_header(as_attachment=True, filename=media.filename)
    return response


@phone_view({"HEAD", "POST"})
def submission(request: HttpRequest, credential: EnumeratorCredential) -> HttpResponse:
    if request.method == "HEAD":
        return openrosa.with_openrosa_headers(HttpResponse(status=204), accept_length=True)
    length = declared_length(request.META)
    if length is None:
        return message_response(_("The submission must say its length (Content-Length)."), 411)
    if length > openrosa.max_submission_bytes():
        return message_response(_("The submission is larger than this server accepts."), 413)
    handler = BoundedMemoryUploadHandler(
        request, max_file_bytes=max(max_attachment_bytes(), max_instance_bytes()), max_files=max_attachments() + 1
    )
    request.upload_handlers = [handler]
    try:
        files = request.FILES
    except (RequestDataTooBig, TooManyFilesSent, TooManyFieldsSent):
        return message_response(_("The submission has more files or fields than this server accepts."), 413)
    except (MultiPartParserError, SuspiciousOperation, ValueError):
        return message_response(_("The submission is not a multipart form with xml_submission_file."), 400)
    if handler.too_large:
        return message_response(
            _("A file of the submission, or their number, is larger than this server accepts."), 413
        )
    xml_file = files.get(XML_PART)
    if xml_file is None:
        return message_response(_("The submission has no xml_submission_file."), 400)
    attachments = [
        IncomingFile(name=upload.name or "", content_type=upload.content_type or "", data=upload.read())
        for field in files
        if field != XML_PART
        for upload in files.getlist(field)
    ]
    try:
        stored, created = receive_submission(
            xml=xml_file.read(),
            attachments=attachments,
            source=Submission.Source.OPENROSA,
            forms=phone_forms(credential),
            enumerator=credential.user,
            credential=credential,
        )
    except SubmissionError as exc:
        return message_response(exc.message, STATUS.get(exc.code, 400))
    if created:
        return message_response(_("Submission received. Thank you."), 201)
    if getattr(stored, "attachments_added", 0):
        # Collect splits a large submission over several POSTs with the same XML: the new files are kept.
        return message_response(_("The submission's files were received."), 201)
    return message_response(_("This submission was already received; nothing was stored twice."), 202)


@csrf_exempt
def unknown(request: HttpRequest) -> HttpResponse:
    """Any other address under /openrosa/: a 404 the phone can show, with the OpenRosa headers."""
    return message_response(_("This address is not part of Amparo's OpenRosa server."), 404)
