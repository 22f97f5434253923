"""Public pages of the campaigns: short links and the feedback form about a service (issue 17, parts 2 and 3)."""

from __future__ import annotations

import hashlib as _hashlib
from uuid import UUID as _UUID

from django.core.cache import cache as _cache
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.http import Http404 as _Http404
from django.http import HttpRequest as _HttpRequest
from django.http import HttpResponse as _HttpResponse
from django.shortcuts import render as _render
from django.utils.translation import gettext
from django.views.decorators.csrf import csrf_exempt as _csrf_exempt
from django.views.decorators.http import require_http_methods as _require_http_methods
from django.views.decorators.http import require_safe

from amparo.core.origin import same_origin

from . import feedback_ratelimit as _feedback_ratelimit
from . import feedback_selectors as _feedback_selectors
from . import feedback_services as _feedback_services
from .feedback_forms import TOKEN_MAX_AGE as _TOKEN_MAX_AGE
from .feedback_forms import FeedbackForm as _FeedbackForm
from .selectors import link_destination
from .services import link_visit

# --- Short links (part 2): /r/<code> -------------------------------------------------------------------------------


@require_safe
def short_link(request: HttpRequest, code: str) -> HttpResponse:
    """Count the visit (one counter per code per day) and send her on, in the link's language.

    Nothing about who: no cookie (the public-page middleware drops any), no address, no browser, no referrer is
    read or kept, and nothing is logged here. A HEAD (a link checker, some previews) is answered and not counted.
    An unknown code is the ordinary 404 page; a link to a deleted pathway or service lands on the pathways list or
    the finder (selectors.target_path). A 302, never a permanent redirect: browsers would keep it and skip the
    count, and a link's target may change with its pathway."""
    destination = link_destination(code.lower())
    if destination is None:
        raise Http404
    link_id, path = destination
    if request.method == "GET":
        link_visit(link_id)
    return HttpResponseRedirect(path)


# --- Community-led monitoring: the public form about a service (issue 17, part 3; docs/campaigns-feedback.md) -----
# No account, no cookie (no CSRF cookie on public pages: POSTs are checked with Fetch Metadata and a signed one-time
# token, as the safe channel's forms), no address, no user agent; limited by `feedback_ratelimit` before the body
# is read. What is stored: the service at its location, the month of the visit, the answers.


FEEDBACK_MAX_BODY_BYTES = 4096  # the form's answers fit in a few hundred bytes


def _body_too_big(request: _HttpRequest) -> bool:
    length = request.META.get("CONTENT_LENGTH") or "0"
    return not length.isdigit() or int(length) > FEEDBACK_MAX_BODY_BYTES


def _feedback_refusal(request: _HttpRequest, sal: object, message: str, status: int) -> _HttpResponse:
    return _render(request, "campaigns/feedback/refusal.html", {"sal": sal, "message": message}, status=status)


@_csrf_exempt
@_require_http_methods(["GET", "POST"])
def service_feedback(request: _HttpRequest, sal_uuid: _UUID) -> _HttpResponse:
    sal = _feedback_selectors.public_service_at_location(sal_uuid)
    if sal is None:
        raise _Http404
    key = str(sal.uuid)
    context: dict[str, object] = {"sal": sal, "service": sal.service}
    if request.method != "POST":
        context["complaints"] = _feedback_selectors.complaint_services(sal)
        context["form"] = _FeedbackForm(sal_uuid=key)
        return _render(request, "campaigns/feedback/form.html", context)
    # Refused before the body is read: another site's form, an oversized body, a full budget.
    if not same_origin(request):
        return _feedback_refusal(request, sal, gettext("This form was sent from another site and was refused."), 403)
    if _body_too_big(request):
        return _feedback_refusal(request, sal, gettext("What was sent is too large for this form."), 400)
    busy = gettext("Many answers are arriving right now. Wait a while and send yours again: it matters.")
    if _feedback_ratelimit.full(request, sal.service_id):
        return _feedback_refusal(request, sal, busy, 429)
    form = _FeedbackForm(request.POST, sal_uuid=key)
    context.update(form=form, complaints=_feedback_selectors.complaint_services(sal))
    if not form.is_valid():
        form.refreshed()
        return _render(request, "campaigns/feedback/form.html", context, status=400)
    nonce_key = "fb-token:" + _hashlib.sha256(form.cleaned_data["form_token"].encode()).hexdigest()
    if not _cache.add(nonce_key, 1, timeout=_TOKEN_MAX_AGE + 60):
        return _render(request, "campaigns/feedback/thanks.html", {**context, "again": True})
    if not _feedback_ratelimit.spend(request, sal.service_id):
        form.refreshed()
        form.add_error(None, busy)
        return _render(request, "campaigns/feedback/form.html", context, status=429)
    _feedback_services.feedback_submit(
        service_at_location=sal, visit_month=form.cleaned_data["visit_month"], answers=form.answers()
    )
    return _render(request, "campaigns/feedback/thanks.html", context)
