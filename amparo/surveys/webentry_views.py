"""Web entry pages (issue 14, item 4): staff fill a form's interview in the browser, JavaScript off.

Thin views: `webform` reads and evaluates the form, `webentry_services` seals the state and sends the interview.
Who: enumerators assigned to the form (and members of its organisation as enumerators), and coordinators of its
organisation. The pages are neutral: the form's cover title, no menu, no case data, and the quick exit; leaving
discards the interview, which lives only in the page until it is sent.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import urlencode
from uuid import UUID

from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import get_language
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods

from amparo.access import (
    SURVEY_ENTRY_ROLES,
    get_survey_form_for_entry,
    get_survey_submission_for_offer,
    staff_view,
    survey_forms_for_entry,
)
from amparo.core import once

from . import referral_offer, webform
from . import webentry_services as services
from .models import Form, FormVersion


def _language() -> str:
    return (get_language() or "es")[:2].lower()


def _latest_version(form: Form) -> FormVersion | None:
    return FormVersion.objects.filter(form=form).order_by("-created_at", "-pk").first()


def _web_form(version: FormVersion) -> tuple[webform.WebForm | None, list[tuple[str, Any]]]:
    try:
        return webform.build_cached(f"{version.pk}:{version.md5}", version.xform), []
    except webform.Unsupported as refused:
        return None, refused.problems


def _refused(request: HttpRequest, title: str, reasons: list[tuple[str, Any]], status: int = 200) -> HttpResponse:
    return render(
        request,
        "surveys/entry/refused.html",
        {"title": title, "reasons": reasons, "staff_menu": []},
        status=status,
    )


@staff_view(SURVEY_ENTRY_ROLES)
@require_GET
def entry_list(request: HttpRequest) -> HttpResponse:
    forms = [form for form in survey_forms_for_entry(request.user) if form.is_open]
    return render(request, "surveys/entry/list.html", {"forms": forms})


def _display(question: webform.Question, value: str, language: str, form: webform.WebForm) -> str:
    if question.kind in ("select_one", "select_multiple"):
        labels = {choice.value: choice.labels for choice in question.choices}
        chosen = value.split() if question.kind == "select_multiple" else [value]
        return ", ".join(
            "".join(str(part) for part in form.text(labels.get(item, {}), language) if isinstance(part, str)) or item
            for item in chosen
            if item
        )
    return value


def _message(form: webform.WebForm, problem: webform.Problem, language: str, state: webform.State) -> str:
    own = webform.render_text(form, form.text(problem.messages, language), state) if problem.messages else ""
    if own:
        return own
    defaults = {
        "required": _("This question needs an answer."),
        "constraint": _("This answer is not accepted: check it."),
        "invalid_integer": _("Write a whole number, for example 12."),
        "invalid_decimal": _("Write a number, for example 12.5."),
        "invalid_date": _("Write a date as year-month-day, for example 2026-12-04."),
        "invalid_choice": _("Choose one of the options shown."),
        "too_long": _("This answer is too long: at most %(count)s characters.") % {"count": webform.MAX_TEXT},
    }
    return defaults.get(problem.kind, _("This answer is not accepted: check it."))


def _items(
    form: webform.WebForm,
    items: list[webform.Question | webform.Group],
    state: webform.State,
    posted: dict[str, list[str]] | None,
    errors: dict[str, str],
    language: str,
) -> list[dict[str, Any]]:
    """What the template shows of a page: groups as fieldsets, the shown and relevant questions, each with its
    value (what was posted when the page comes back with messages), choices, hint and message."""
    out: list[dict[str, Any]] = []
    for item in items:
        if isinstance(item, webform.Group):
            if item.path not in state.relevant:
                continue
            children = _items(form, item.items, state, posted, errors, language)
            if children:
                label = webform.render_text(form, form.text(item.labels, language), state)
                out.append({"group": True, "label": label, "items": children})
            continue
        question = item
        if not question.shown or question.path not in state.relevant:
            continue
        readonly = webform.is_readonly(question, state)
        if posted is not None and question.path in posted and not readonly:
            values = posted[question.path]
        else:
            stored = state.value(question.path)
            values = stored.split() if question.kind == "select_multiple" else [stored]
        required = question.required is not None and not readonly
        field_id = "q-" + question.path.strip("/").replace("/", "-")
        out.append(
            {
                "group": False,
                "kind": question.kind,
                "name": question.path,
                "id": field_id,
                "label": webform.render_text(form, form.text(question.labels, language), state) or question.name,
                "hint": webform.render_text(form, form.text(question.hints, language), state),
                "value": values[0] if values else "",
                "readonly": readonly,
                "display": _display(question, state.value(question.path), language, form),
                "required": required,
                "multiline": "multiline" in question.appearance,
                "minimal": "minimal" in question.appearance,
                "error": errors.get(question.path, ""),
                "choices": [
                    {
                        "value": choice.value,
                        "label": webform.render_text(form, form.text(choice.labels, language), state) or choice.value,
                        "checked": choice.value in values,
                        "id": f"{field_id}-{index}",
                    }
                    for index, choice in enumerate(question.choices)
                ],
            }
        )
    return out


def _summary(form: webform.WebForm, state: webform.State, language: str) -> list[dict[str, Any]]:
    pages = []
    for index, page in enumerate(form.pages):
        if not webform.page_visible(form, page, state):
            continue
        rows = [
            {
                "label": webform.render_text(form, form.text(question.labels, language), state) or question.name,
                "value": _display(question, state.value(question.path), language, form),
            }
            for question in page.questions()
            if question.shown and question.kind != "note" and question.path in state.relevant
        ]
        title = webform.render_text(form, form.text(page.group.labels, language), state) if page.group else ""
        pages.append({"index": index, "title": title, "rows": rows})
    return pages


def _render_page(
    request: HttpRequest,
    form: Form,
    web_form: webform.WebForm,
    entry: services.EntryState,
    state: webform.State,
    *,
    posted: dict[str, list[str]] | None = None,
    problems: list[webform.Problem] | None = None,
    title: str,
    status: int = 200,
    appeared: bool = False,
) -> HttpResponse:
    language = _language()
    problems = problems or []
    errors = {problem.path: _message(web_form, problem, language, state) for problem in problems}
    summary = entry.page >= len(web_form.pages)
    context: dict[str, Any] = {
        "title": title,
        "form": form,
        "summary": summary,
        "staff_menu": [],
        "first": services.previous_page(web_form, state, entry.page) >= entry.page,
        "appeared": appeared,
    }
    entry.shown = []
    if summary:
        context["pages"] = _summary(web_form, state, language)
    else:
        page = web_form.pages[entry.page]
        context["items"] = _items(web_form, page.items, state, posted, errors, language)
        entry.shown = [q.path for q in page.questions() if q.shown and q.path in state.relevant]
        context["page_title"] = (
            webform.render_text(web_form, web_form.text(page.group.labels, language), state) if page.group else ""
        )
        context["errors"] = [
            {
                "id": "q-" + problem.path.strip("/").replace("/", "-"),
                "message": errors[problem.path],
                "label": web_form.questions[problem.path].name,
            }
            for problem in problems
        ]
    context["state"] = services.seal(entry)
    return render(request, "surveys/entry/page.html", context, status=status)


@staff_view(SURVEY_ENTRY_ROLES)
@require_http_methods(["GET", "POST"])
def entry(request: HttpRequest, form_uuid: UUID) -> HttpResponse:
    form = get_survey_form_for_entry(request.user, form_uuid)
    now = timezone.localtime()
    if request.method == "GET":
        version = _latest_version(form)
        title = (version.title if version is not None else "") or form.title
        if version is None:
            return _refused(request, title, [("", _("This form has no published version yet."))])
        if not form.is_open:
            return _refused(request, title, [("", _("This form is closed: it takes no more interviews."))])
        if version.encrypted:
            return _refused(
                request,
                title,
                [
                    (
                        "",
                        _(
                            "This form is encrypted: its answers may only be read with the organisation's key, so "
                            "the server cannot take them from a web page. Fill it in with ODK Collect or KoboCollect."
                        ),
                    )
                ],
            )
        web_form, reasons = _web_form(version)
        if web_form is None:
            return _refused(request, title, _with_rows(version, reasons))
        entry_state = services.new_state(
            user_id=int(request.user.pk or 0), form_uuid=str(form.uuid), version_id=version.pk, form=web_form, now=now
        )
        state = webform.evaluate(web_form, entry_state.answers, now)
        entry_state.page = services.next_page(web_form, state, -1)
        return _render_page(request, form, web_form, entry_state, state, title=title)

    try:
        entry_state = services.unseal(
            request.POST.get("state", ""), user_id=int(request.user.pk or 0), form_uuid=str(form.uuid)
        )
    except services.StateError as error:
        message = (
            _("This interview was open too long and has expired; nothing of it was saved. Start it again.")
            if error.expired
            else _("This page cannot be used: it was changed or belongs to another session. Start the interview again.")
        )
        return render(
            request,
            "surveys/entry/refused.html",
            {"title": form.title, "reasons": [("", message)], "staff_menu": [], "restart": form},
            status=400,
        )
    version = FormVersion.objects.filter(form=form, pk=entry_state.version_id).first()
    if version is None:
        raise Http404
    web_form, reasons = _web_form(version)
    title = version.title or form.title
    if web_form is None or version.encrypted:
        return _refused(request, title, _with_rows(version, reasons), status=400)
    action = request.POST.get("action", "next")
    pages = len(web_form.pages)
    unusable = [("", _("This page cannot be used: start the interview again."))]
    if not 0 <= entry_state.page <= pages:
        return _refused(request, title, unusable, status=400)
    if action == "submit":
        if entry_state.page != pages:
            return _refused(request, title, unusable, status=400)
        return _submit(request, form, version, web_form, entry_state, title, now)
    if action not in ("next", "back") and not action.startswith("goto-"):
        return _refused(request, title, unusable, status=400)
    target = action.removeprefix("goto-") if action.startswith("goto-") else ""
    if action.startswith("goto-") and not (target.isdigit() and int(target) < pages):
        return _refused(request, title, unusable, status=400)

    posted: dict[str, list[str]] = {}
    problems: list[webform.Problem] = []
    if entry_state.page < pages:
        page = web_form.pages[entry_state.page]
        posted = {question.path: request.POST.getlist(question.path) for question in page.questions()}
        answers, state, problems = webform.parse_page(web_form, page, entry_state.answers, posted, now)
        # A question that appears only now (its relevance hangs on this page) gets no message before it is seen.
        problems = [problem for problem in problems if problem.path in entry_state.shown]
    else:
        state = webform.evaluate(web_form, entry_state.answers, now)
        answers = state.answers
    if action == "back":
        # Going back keeps what is valid on this page and does not insist on the rest.
        entry_state.answers = answers
        entry_state.page = services.previous_page(web_form, state, entry_state.page)
        return _render_page(request, form, web_form, entry_state, state, title=title)
    if problems:
        return _render_page(request, form, web_form, entry_state, state, posted=posted, problems=problems, title=title)
    entry_state.answers = answers
    if action == "next" and entry_state.page < pages:
        # Without JavaScript a question whose relevance hangs on an answer of the same page appears only when the
        # page is sent: show the page again with it, rather than moving on past a question nobody saw.
        page = web_form.pages[entry_state.page]
        new = [
            q.path for q in page.questions() if q.shown and q.path in state.relevant and q.path not in entry_state.shown
        ]
        if new:
            return _render_page(request, form, web_form, entry_state, state, title=title, appeared=True)
    if action == "next":
        entry_state.page = services.next_page(web_form, state, entry_state.page)
        return _render_page(request, form, web_form, entry_state, state, title=title)
    target = action.removeprefix("goto-")
    if (
        not target.isdigit()
        or not int(target) < pages
        or not webform.page_visible(web_form, web_form.pages[int(target)], state)
    ):
        return _refused(request, title, unusable, status=400)
    entry_state.page = int(target)
    return _render_page(request, form, web_form, entry_state, state, title=title)


def _submit(
    request: HttpRequest,
    form: Form,
    version: FormVersion,
    web_form: webform.WebForm,
    entry_state: services.EntryState,
    title: str,
    now: Any,
) -> HttpResponse:
    state = webform.evaluate(web_form, entry_state.answers, now)
    problems = webform.check_all(web_form, state)
    if problems:  # a state sealed before a page was checked cannot get here, but the form decides, not the page
        entry_state.page = services.first_page_with_problems(web_form, problems)
        return _render_page(request, form, web_form, entry_state, state, problems=problems, title=title)
    try:
        submission, _created = services.web_entry_submit(
            form=form, version=version, user=request.user, web_form=web_form, entry=entry_state, now=now
        )
        sent = str(submission.uuid)
    except once.AlreadyDone as done:
        sent = done.ref  # sent already (a second click, or Back and send again): the same page as the first time
    except services.SubmissionError as refused:
        return _refused(request, title, [("", refused.message)], status=400)
    url = reverse("surveys:entry_sent", kwargs={"form_uuid": form.uuid})
    return redirect(f"{url}?{urlencode({'interview': sent})}" if sent else url)


def _with_rows(version: FormVersion, reasons: list[tuple[str, Any]]) -> list[tuple[str, Any]]:
    """Each refused question with its row in the survey sheet, when the XLSForm can tell it."""
    rows = services.survey_rows(version)
    return [
        (
            _("question “%(name)s”, survey sheet row %(row)s") % {"name": name, "row": rows[name]}
            if name in rows
            else (_("question “%(name)s”") % {"name": name} if name else ""),
            message,
        )
        for name, message in reasons
    ]


@staff_view(SURVEY_ENTRY_ROLES)
@require_GET
def entry_sent(request: HttpRequest, form_uuid: UUID) -> HttpResponse:
    """The interview was sent. When the form asks her needs, a link to the referral offer of that interview (the
    nearest services for what she needs, and a referral with her consent): `?interview=` names it, and the link is
    given only for an interview of this form whose offer she may see (anything else: the page without it)."""
    form = get_survey_form_for_entry(request.user, form_uuid)
    version = _latest_version(form)
    title = (version.title if version is not None else "") or form.title
    offer_url = ""
    interview = request.GET.get("interview", "")
    if interview:
        try:
            submission = get_survey_submission_for_offer(request.user, interview)
        except Http404:
            submission = None
        if (
            submission is not None
            and submission.form_id == form.pk
            and referral_offer.asks_needs(submission.version.schema or [])
        ):
            offer_url = reverse("surveys:offer", kwargs={"submission_uuid": submission.uuid})
    return render(
        request,
        "surveys/entry/sent.html",
        {"title": title, "form": form, "staff_menu": [], "offer_url": offer_url},
    )
