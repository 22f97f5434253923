"""The survivor's side of the safe channel (public, no account): report, receipt, and the receipt inbox.

These pages set no cookie until she signs in with her receipt; then one short-lived cookie (`CHANNEL_COOKIE`,
HttpOnly, SameSite=Strict) holds her session token. There is no CSRF cookie on public pages, so POSTs are checked
by origin (`same_origin`) and, for the report form, by a signed one-time form token that also stops replays.
"""

from __future__ import annotations

import base64
import hashlib
import json
import secrets
from collections.abc import Callable
from datetime import timedelta
from functools import wraps
from typing import Any

from django.conf import settings
from django.db.models import Q
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import get_language
from django.utils.translation import gettext as _
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_http_methods

from amparo.core import filestore
from amparo.core.metrics import count_channel_submission
from amparo.core.middleware import CHANNEL_COOKIE
from amparo.core.origin import same_origin
from amparo.core.uploads import (
    AttachmentRejected,
    CleanFile,
    DiscardFilesUploadHandler,
    LimitedMemoryUploadHandler,
    clean_upload,
)
from amparo.directory.models import Place

from . import crypto, ratelimit, services
from .forms import ReceiptForm, ReportForm, SharingForm, SurvivorMessageForm, form_token_expiry
from .models import Report


def _files_not_stored() -> str:
    return _(
        "Your files could not be saved right now, so nothing was sent yet. Your text is kept: send it again "
        "without the files, or try again later."
    )


CONFIRM_MAX_AGE = 15 * 60  # the sealed receipt in the confirmation form: single use, and only this long


def channel_post(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
    """csrf_exempt (there is no CSRF cookie on public pages) plus the origin check, and uploads kept in memory."""

    @wraps(view)
    def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        if request.method == "POST":
            if not same_origin(request):
                return _refusal(request, _("This form was sent from another site and was refused."), 403)
            request.upload_handlers = [LimitedMemoryUploadHandler(request)]
        return view(request, *args, **kwargs)

    return csrf_exempt(wrapper)


def _refusal(request: HttpRequest, message: str, status: int) -> HttpResponse:
    return render(request, "safechannel/refusal.html", {"message": message}, status=status)


def _context(request: HttpRequest, **extra: Any) -> dict[str, Any]:
    return {
        "max_mb": settings.SAFECHANNEL_MAX_FILE_BYTES // (1024 * 1024),
        "max_files": settings.SAFECHANNEL_MAX_FILES,
        **extra,
    }


def _refused_message(admission: ratelimit.Admission) -> str:
    if admission.refusal == "busy" and admission.lane == ratelimit.PLAIN:
        return _(
            "Many requests are arriving right now. Wait a few minutes and try again, or turn on JavaScript "
            "in your browser, which lets the page prove it is a person and get through sooner."
        )
    if admission.refusal == "busy":
        return _("Many requests are arriving right now. Wait one minute and try again.")
    return _("Many people are using the channel right now. This page is trying again by itself; please wait.")


MAX_AUTOMATIC_RETRIES = 3


def _next_retry(request: HttpRequest) -> int:
    """How many times the page's script has sent again by itself (`powr` in the query string), plus one; 0 once
    MAX_AUTOMATIC_RETRIES is reached, so a page never loops (e.g. app servers whose clocks disagree): she then
    presses the button herself."""
    sent = request.GET.get("powr", "0")
    count = int(sent) if sent.isascii() and sent.isdigit() and len(sent) < 3 else MAX_AUTOMATIC_RETRIES
    return count + 1 if count < MAX_AUTOMATIC_RETRIES else 0


def _discarded_files(request: HttpRequest) -> list[str]:
    return [name for handler in request.upload_handlers for name in getattr(handler, "discarded", [])]


def _skipped_files(request: HttpRequest) -> list[str]:
    return [name for handler in request.upload_handlers for name in getattr(handler, "skipped", []) if name is not None]


def _clean_files(request: HttpRequest, form: Any) -> list[CleanFile]:
    """Check every attachment; each refusal becomes an error on the form's file field."""
    messages = {
        "too_big": _("“%(name)s” is larger than %(mb)d MB or one file too many (at most %(count)d)."),
        "empty": _("“%(name)s” is empty."),
        "unknown_type": _("“%(name)s” is not a photo (JPEG, PNG, WebP), a PDF or an audio file."),
        "disguised": _("The contents of “%(name)s” do not match its name."),
        "broken_image": _("“%(name)s” could not be read as an image."),
        "too_many_pixels": _("“%(name)s” has too many pixels. Send a smaller photo or a screenshot."),
    }
    params = {"mb": settings.SAFECHANNEL_MAX_FILE_BYTES // (1024 * 1024), "count": settings.SAFECHANNEL_MAX_FILES}
    errors = [messages["too_big"] % {"name": name, **params} for name in _skipped_files(request)]
    # After a skipped file Django has closed the others: the form goes back with the error, nothing is read.
    uploads = [] if errors else request.FILES.getlist("attachments")
    if len(uploads) > settings.SAFECHANNEL_MAX_FILES:
        errors.append(messages["too_big"] % {"name": uploads[-1].name, **params})
        uploads = []
    cleaned = []
    for upload in uploads:
        try:
            cleaned.append(clean_upload(upload))
        except AttachmentRejected as exc:
            errors.append(messages[exc.code] % {"name": exc.name, **params})
    for error in errors:
        form.add_error("attachments", error)
    if errors:
        form.add_error("attachments", _("Your text is kept; choose the files again."))
    return cleaned


# --- Pages ---------------------------------------------------------------------------------------------------


@require_http_methods(["GET"])
def home(request: HttpRequest) -> HttpResponse:
    return render(request, "safechannel/home.html", _context(request))


def reporting_places() -> list[Place]:
    """Municipalities from which at least one organisation receives reports."""
    from amparo.accounts.models import Organization

    covered = Organization.objects.filter(
        channel_settings__receives_reports=True,
        memberships__active=True,
        memberships__role__in=services.RECIPIENT_ROLES,  # the same organisations as receiving_organizations()
    ).values("areas")
    return list(
        Place.objects.filter(level=Place.Level.ADMIN2)
        .filter(Q(pk__in=covered) | Q(parent__in=covered) | Q(parent__parent__in=covered))
        .select_related("parent")
        .order_by("name")
    )


@channel_post
@require_http_methods(["GET", "POST"])
def report(request: HttpRequest) -> HttpResponse:
    admission = ratelimit.check(request, "report") if request.method == "POST" else None
    if admission is not None and not admission.admitted:
        # Refused before the body is read: files are dropped as they stream in, never held or decoded.
        request.upload_handlers = [DiscardFilesUploadHandler(request)]
    elif admission is not None and admission.lane == ratelimit.PROOF:
        # A valid proof is spent and counted before any upload is read; a replay or a race is refused here.
        admission = ratelimit.admit(request, admission, "report")
        if not admission.admitted:
            request.upload_handlers = [DiscardFilesUploadHandler(request)]
    code = (request.POST.get("place") or request.GET.get("place") or "").strip()
    place = Place.objects.filter(pcode=code, level=Place.Level.ADMIN2).first() if 0 < len(code) <= 16 else None
    if place is None:
        status = 400 if code else 200
        error = _("Choose your municipality from the list.") if code else ""
        if admission is not None:
            count_channel_submission("refused" if not admission.admitted else "invalid")
        return render(
            request,
            "safechannel/choose_place.html",
            _context(request, places=reporting_places(), error=error),
            status=status,
        )
    organizations = list(services.receiving_organizations(place))
    form = ReportForm(request.POST or None, organizations=organizations)
    context = _context(request, form=form, place=place, no_organization=not organizations)

    def again(status: int, *, retry: bool = False) -> HttpResponse:
        form.refreshed_token()
        context["pow"] = ratelimit.new_challenge("report")
        context["pow_retry"] = _next_retry(request) if retry else 0
        return render(request, "safechannel/report_form.html", context, status=status)

    if admission is None:
        context["pow"] = ratelimit.new_challenge("report")
        return render(request, "safechannel/report_form.html", context)
    if not admission.admitted:
        count_channel_submission("refused")
        form.is_valid()
        form.add_error(None, _refused_message(admission))
        lost = _discarded_files(request)
        if lost:
            form.add_error("attachments", _("Your text is kept; choose the files again."))
        # The script sends again by itself after a weak or stale proof, unless files must be chosen again.
        return again(429 if admission.refusal != "bad_proof" else 400, retry=admission.refusal != "busy" and not lost)
    if not form.is_valid() or not organizations:
        count_channel_submission("invalid")
        return again(400)
    if admission.lane == ratelimit.PLAIN:
        # Counted once the text is valid: correcting a mistake never uses up her attempts. Files are decoded after.
        admission = ratelimit.admit(request, admission, "report")
        if not admission.admitted:
            count_channel_submission("refused")
            form.add_error(None, _refused_message(admission))
            form.add_error("attachments", _("Your text is kept; choose the files again."))
            return again(429)
    files = _clean_files(request, form)
    if not form.is_valid():
        count_channel_submission("invalid")
        return again(400)
    if not services.spend_form_token(form.cleaned_data["form_token"], form_token_expiry()):
        count_channel_submission("duplicate")
        return _refusal(
            request,
            _("This report was already sent. If you did not see your receipt, please write your report again."),
            409,
        )
    data = services.NewReport(
        place=place,
        what_happened=form.cleaned_data["what_happened"],
        happened=form.cleaned_data["happened"],
        persecuted=form.cleaned_data["persecuted"],
        state_agent=form.cleaned_data["state_agent"],
        wants=form.cleaned_data["wants"],
        contact_how=form.cleaned_data["contact_how"],
        contact_details=form.cleaned_data["contact_details"],
        safe_times=form.cleaned_data["safe_times"],
        language=get_language() or settings.LANGUAGE_CODE,
        files=files,
    )
    try:
        new_report, receipt = services.report_create(organization=form.chosen_organization(), data=data)
    except services.ChannelError:
        count_channel_submission("invalid")
        form.add_error("organization", _("This organisation does not receive reports from your municipality."))
        return again(400)
    except filestore.StoreError:
        # The disk is full (or the storage cannot be written): nothing was stored, her text comes back.
        form.add_error("attachments", _files_not_stored())
        count_channel_submission("unavailable")
        return again(503)
    count_channel_submission("accepted")
    return _receipt_page(request, new_report.pk, receipt)


def _confirm_key() -> bytes:
    return hashlib.blake2b(settings.SECRET_KEY.encode(), person=b"amparo-rcpt-conf", digest_size=32).digest()


def _receipt_page(request: HttpRequest, report_id: int, receipt: str, *, error: str = "") -> HttpResponse:
    """The receipt, shown once. The confirmation form carries it back encrypted under a server key (not stored),
    so it can be shown again if she copied it wrongly. Each sealed value works once, for CONFIRM_MAX_AGE: a wrong
    copy spends it and the page comes back with a new one."""
    payload = {"r": receipt, "id": report_id, "t": int(ratelimit.clock()), "n": secrets.token_urlsafe(16)}
    sealed = crypto.encrypt(_confirm_key(), json.dumps(payload).encode())
    return render(
        request,
        "safechannel/receipt.html",
        _context(
            request,
            receipt=crypto.format_receipt(receipt),
            sealed=base64.urlsafe_b64encode(sealed).decode(),
            form=ReceiptForm(),
            error=error,
        ),
        status=400 if error else 200,
    )


@channel_post
@require_http_methods(["POST"])
def receipt_confirm(request: HttpRequest) -> HttpResponse:
    try:
        data = json.loads(crypto.decrypt(_confirm_key(), base64.urlsafe_b64decode(request.POST.get("sealed", ""))))
        issued, nonce, report_id, receipt = int(data["t"]), str(data["n"]), int(data["id"]), str(data["r"])
    except (crypto.CryptoError, ValueError, TypeError, KeyError):
        return _refusal(request, _("This confirmation is not valid. Sign in with your receipt to check it."), 400)
    if not 0 <= ratelimit.clock() - issued <= CONFIRM_MAX_AGE:
        return _refusal(request, _("This confirmation is too old. Sign in with your receipt to check it."), 400)
    expires = timezone.now() + timedelta(seconds=CONFIRM_MAX_AGE + 60)
    if not services.spend_form_token(f"receipt-confirm:{nonce}", expires):
        return _refusal(request, _("This confirmation was already used. Sign in with your receipt to check it."), 400)
    form = ReceiptForm(request.POST)
    if form.is_valid() and form.cleaned_data["receipt"] == receipt:
        services.receipt_confirm(report_id, receipt)
        return render(request, "safechannel/receipt_saved.html", _context(request))
    return _receipt_page(
        request, report_id, receipt, error=_("That is not the same number. Copy it again, digit by digit.")
    )


@channel_post
@require_http_methods(["GET", "POST"])
def login(request: HttpRequest) -> HttpResponse:
    form = ReceiptForm(request.POST or None)

    def page(status: int, *, retry: bool = False) -> HttpResponse:
        retries = _next_retry(request) if retry else 0
        context = _context(request, form=form, pow=ratelimit.new_challenge("receipt"), pow_retry=retries)
        return render(request, "safechannel/login.html", context, status=status)

    if request.method != "POST":
        return page(200)
    admission = ratelimit.check(request, "receipt")
    if admission.refusal in {"bad_proof", "weak_proof"}:
        form.is_valid()
        form.add_error(None, _refused_message(admission))
        return page(429 if admission.refusal == "weak_proof" else 400, retry=True)
    # Malformed input costs nothing and counts nothing: the format and the check digit come before any counter
    # and any Argon2 run. Receipts from before the check digit go through the counted path while one is live.
    if not form.is_valid():
        return page(400)
    receipt = form.cleaned_data["receipt"]
    if not crypto.receipt_checks(receipt) and not services.legacy_receipts_live():
        form.add_error("receipt", _("One of the digits is wrong or two are swapped. Check what you wrote down."))
        return page(400)
    admission = ratelimit.admit(request, admission, "receipt")
    if not admission.admitted:  # the lane filled meanwhile, or the proof was already used
        form.add_error(None, _refused_message(admission))
        busy = admission.refusal == "busy"
        return page(429 if busy else 400, retry=not busy)
    opened = services.receipt_login(receipt)
    if opened is not None:
        response = redirect("safechannel:inbox")
        _set_session_cookie(response, opened[1])
        return response
    form.add_error("receipt", _("We found no report with this receipt. Check the digits."))
    return page(400)


def _set_session_cookie(response: HttpResponse, token: str) -> None:
    response.set_cookie(
        CHANNEL_COOKIE,
        token,
        path="/",
        secure=settings.SESSION_COOKIE_SECURE,
        httponly=True,
        samesite="Strict",
    )


def with_receipt_session(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
    @wraps(view)
    def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        opened = services.receipt_session(request.COOKIES.get(CHANNEL_COOKIE, ""))
        if opened is None:
            response: HttpResponse = redirect("safechannel:login")
            response.delete_cookie(CHANNEL_COOKIE, path="/", samesite="Strict")
            return response
        return view(request, opened[0], opened[1], *args, **kwargs)

    return wrapper


@channel_post
@require_http_methods(["GET", "POST"])
@with_receipt_session
def inbox(request: HttpRequest, report: Report, key: bytes) -> HttpResponse:
    form = SurvivorMessageForm(request.POST or None)
    status = 200
    if request.method == "POST":
        files = _clean_files(request, form) if form.is_valid() else []
        if form.is_valid() and not form.cleaned_data["text"] and not files:
            form.add_error("text", _("Write something or choose a file."))
        status = 400
        if form.is_valid():
            try:
                services.survivor_message(report, key, text=form.cleaned_data["text"], files=files)
            except filestore.StoreError:  # the disk is full: nothing stored, her text comes back
                form.add_error("attachments", _files_not_stored())
                status = 503
            else:
                return redirect(f"{reverse('safechannel:inbox')}#messages")
    return render(
        request,
        "safechannel/inbox.html",
        _context(
            request,
            # Signed in: the quick exit also ends her receipt session and clears what the browser kept.
            QUICK_EXIT_URL=reverse("safechannel:exit"),
            report=report,
            content=services.report_content(report, key),
            thread=services.messages_of(report, key),
            attachments=services.attachments_of(report, key),
            form=form,
            sharing_form=SharingForm(initial={"sharing": sorted(services.sharing_consents(report))}),
            referrals=report.referrals.select_related("service__organization").order_by("-sent_at", "-pk"),
        ),
        status=status,
    )


@channel_post
@require_http_methods(["POST"])
@with_receipt_session
def case_consent(request: HttpRequest, report: Report, key: bytes) -> HttpResponse:
    if request.POST.get("consent") == "give":
        services.survivor_case_consent(report)
    elif request.POST.get("consent") == "withdraw":
        services.survivor_case_consent_withdraw(report)
    return redirect(f"{reverse('safechannel:inbox')}#case")


@channel_post
@require_http_methods(["POST"])
@with_receipt_session
def sharing(request: HttpRequest, report: Report, key: bytes) -> HttpResponse:
    """Her consents to share for referrals: the form lists every type; what is ticked is what she agrees to now."""
    form = SharingForm(request.POST)
    if not form.is_valid():
        return _refusal(request, _("This choice is not valid. Go back to your report and try again."), 400)
    services.survivor_sharing_consent(report, set(form.cleaned_data["sharing"]))
    return redirect(f"{reverse('safechannel:inbox')}#sharing")


@channel_post
@require_http_methods(["GET", "POST"])
def exit_channel(request: HttpRequest) -> HttpResponse:
    """End the receipt session and ask the browser to forget this site, then leave for the neutral site."""
    token = request.COOKIES.get(CHANNEL_COOKIE, "")
    if token:
        services.receipt_logout(token)
    response = HttpResponseRedirect(settings.QUICK_EXIT_URL)
    response.delete_cookie(CHANNEL_COOKIE, path="/", samesite="Strict")
    response["Clear-Site-Data"] = '"cache", "cookies", "storage"'
    return response
